# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 robot_learning maintainers
"""Built-in MuJoCo world: a differential-drive robot in a walled room with coloured pillars.

ROS-free (no rclpy import): the ROS node (:mod:`robot_learning_sim.sim_node`), the
gymnasium bridge and the scripted expert all drive this class directly.

World frame (= the ``odom`` frame of the ROS node): origin at the room centre, x/y on the
floor, z up (REP-103). The room interior spans ``[-room_size/2, room_size/2]`` in x and y.

Robot: a real differential drive. A cylindrical chassis (radius :data:`ROBOT_RADIUS`) on a
free joint, two wheels on hinge joints driven by velocity actuators, a front and a rear
frictionless caster ball. A unicycle command (v, w) is converted to the two wheel speeds;
the chassis reaches the commanded speed within about one control step (0.1 s) like a
real base; turning overshoots by ~10 % for a step.

Scene: walls; ``n_obstacles`` boxes and one cylinder pillar per colour live in mocap bodies
of one compiled model. Each episode moves/resizes them (``mocap_pos``, ``geom_size`` and the
bounding volumes) instead of recompiling XML, so :meth:`World.reset` costs microseconds.
The model and its collision filtering: :mod:`robot_learning_sim.world_xml`; the layout
sampler: :mod:`robot_learning_sim.world_layout`; the sensors:
:mod:`robot_learning_sim.world_sensors`; the appearance and sensor randomisation (and the
fixed 'shifted' target domain): :mod:`robot_learning_sim.appearance`.
"""

from __future__ import annotations

from dataclasses import replace
import math

from robot_learning_sim.world_config import (  # noqa: F401 - re-exported; sets MUJOCO_GL
    COLOR_RGBA,
    HALF_TRACK,
    LIDAR_HEIGHT,
    OUTCOMES,
    ROBOT_RADIUS,
    StepResult,
    WHEEL_RADIUS,
    WorldConfig,
)
import mujoco  # noqa: I100 - after world_config, which picks the GL backend
import numpy as np
from robot_learning_sim.appearance import SceneAppearance
from robot_learning_sim.world_layout import _box_distance, _yaw_quat, LayoutSampler
from robot_learning_sim.world_potential import PathField
from robot_learning_sim.world_sensors import WorldSensors
from robot_learning_sim.world_xml import _PARKED_Z, build_xml

__all__ = [
    'COLOR_RGBA', 'OUTCOMES', 'ROBOT_RADIUS', 'StepResult', 'World', 'WorldConfig',
    'build_xml', '_box_distance', '_yaw_quat',
]


class World(LayoutSampler, WorldSensors):
    """The room, the robot and the episode logic.

    Reward of one step (:meth:`step`), with ``d`` the distance (m) from the robot centre to
    the instructed pillar centre before (``d_prev``) and after the step::

        reward = reward_progress * (d_prev - d)        # 10 per metre of progress
                                                        # (progress='path': d along the
                                                        # shortest path, world_potential)
               + reward_time                            # -0.05 every step
               + reward_collision * collided            # -0.5 while touching scenery
               + reward_success  if d < success_radius  # +10, terminated, 'success'
               + reward_wrong    if a wrong pillar is within success_radius
                                                        # -5, terminated, 'failure'

    Reaching ``max_episode_steps`` without terminating truncates the episode ('timeout').
    Collisions do not end the episode. Stepping after the episode ended keeps simulating
    but returns the terminal outcome again; call :meth:`reset`.

    Attributes:
        model, data: the MuJoCo model and data (read them, don't restructure them).
        instruction (str): ``"go to the <colour> pillar"``.
        goal_color (str): the instructed colour.
        episode_steps (int): steps taken in the current episode.
        episode (int): episode id, 0 for the first, +1 per :meth:`reset`.
        outcome (str): 'running', 'success', 'failure' or 'timeout'.
    """

    def __init__(self, cfg: WorldConfig | None = None):
        self.cfg = cfg = cfg if cfg is not None else WorldConfig()
        self.model = mujoco.MjModel.from_xml_string(build_xml(cfg))
        self.data = mujoco.MjData(self.model)
        m = self.model
        self._n_sub = max(1, round(cfg.control_dt / m.opt.timestep))
        name = lambda t, n: mujoco.mj_name2id(m, t, n)  # noqa: E731
        G, B = mujoco.mjtObj.mjOBJ_GEOM, mujoco.mjtObj.mjOBJ_BODY
        self._chassis = name(G, 'chassis')
        self._base_body = name(B, 'base')
        self._lidar_site = name(mujoco.mjtObj.mjOBJ_SITE, 'lidar')
        self._camera = name(mujoco.mjtObj.mjOBJ_CAMERA, 'front')
        self._obs_geom = np.array(
            [name(G, f'obstacle_{i}') for i in range(cfg.n_obstacles)], dtype=int
        )
        self._obs_mocap = np.array(
            [m.body_mocapid[name(B, f'obstacle_{i}')] for i in range(cfg.n_obstacles)], dtype=int
        )
        self._obs_bvh = np.array(
            [m.body_bvhadr[name(B, f'obstacle_{i}')] for i in range(cfg.n_obstacles)], dtype=int
        )
        self._pil_mocap = np.array(
            [m.body_mocapid[name(B, f'pillar_{c}')] for c in cfg.colors], dtype=int
        )
        self._act_l, self._act_r = (
            name(mujoco.mjtObj.mjOBJ_ACTUATOR, 'wheel_l'),
            name(mujoco.mjtObj.mjOBJ_ACTUATOR, 'wheel_r'),
        )
        # Lidar ray directions in the robot frame; rotated by yaw per scan.
        inc = 2.0 * math.pi / cfg.lidar_rays
        ang = -math.pi + inc * np.arange(cfg.lidar_rays)
        self._ray_c, self._ray_s = np.cos(ang), np.sin(ang)
        self._ray_vec = np.zeros((cfg.lidar_rays, 3))
        self._ray_dist = np.zeros(cfg.lidar_rays)
        self._ray_geom = np.zeros(cfg.lidar_rays, dtype=np.int32)
        self._renderer = None
        self._rng = np.random.default_rng(cfg.seed)
        # Appearance/sensor randomisation: generators of its own, the layout stream stays.
        self._look = SceneAppearance(
            m, cfg.appearance, cfg.seed, floor=name(G, 'floor'),
            walls=[name(G, f'wall_{n}') for n in 'nsew'], obstacles=self._obs_geom,
            pillars=[name(G, f'pillar_{c}') for c in cfg.colors], camera=self._camera,
        )
        self._ticks = 0  # control periods since construction (the clock never goes back)
        self.episode = -1
        # Episode layout (world frame), filled by reset().
        self.obstacles = np.zeros((cfg.n_obstacles, 5))  # x, y, half_x, half_y, yaw
        self._path: PathField | None = None  # the progress potential, progress='path'
        self.pillars = np.full((len(cfg.colors), 2), np.nan)  # NaN rows: absent
        self.goal_index = 0
        self.reset()

    # ------------------------------------------------------------------ episode
    @property
    def time(self) -> float:
        """Sim time, s: control periods since construction times ``control_dt``.

        Monotonic across episodes; :meth:`reset` advances it by one ``control_dt`` so
        that the first observation of an episode never shares a stamp with the last
        observation of the previous one.
        """
        return self._ticks * self.cfg.control_dt

    @property
    def goal_color(self) -> str:
        return self.cfg.colors[self.goal_index]

    @property
    def instruction(self) -> str:
        return f'go to the {self.goal_color} pillar'

    def set_goal_distance_max(self, metres: float) -> None:
        """Cap the start-to-goal distance of the next layouts (m; 0 = any), for a curriculum.

        Raises:
            ValueError: negative, or below ``start_pillar_distance``.
        """
        self.cfg = replace(self.cfg, goal_distance_max=float(metres))

    def reset(self, seed: int | None = None) -> None:
        """Start a new episode with a random layout (and appearance, ``cfg.appearance``).

        Args:
            seed: reseeds the episode generator (same seed, same layout sequence) and the
                appearance and sensor noise generators; None continues the current streams.
        """
        if seed is not None:
            self._rng = np.random.default_rng(seed)
            self._look.reseed(seed)
        cfg, m, d = self.cfg, self.model, self.data
        self._sample_layout()
        self._look.reset()  # before mj_forward: the camera pose follows cam_quat
        mujoco.mj_resetData(m, d)
        # Obstacles: move the mocap bodies, resize the box and keep its bounding volumes
        # (collision broad- and mid-phase cull with them) consistent with the new size.
        for i in range(cfg.n_obstacles):
            x, y, hx, hy, yaw = self.obstacles[i]
            g, hz = self._obs_geom[i], cfg.obstacle_height / 2
            m.geom_size[g] = (hx, hy, hz)
            m.geom_rbound[g] = math.sqrt(hx * hx + hy * hy + hz * hz)
            m.geom_aabb[g] = (0, 0, 0, hx, hy, hz)
            m.bvh_aabb[self._obs_bvh[i]] = (0, 0, 0, hx, hy, hz)
            d.mocap_pos[self._obs_mocap[i]] = (x, y, hz)
            d.mocap_quat[self._obs_mocap[i]] = _yaw_quat(yaw)
        for k, mid in enumerate(self._pil_mocap):
            x, y = self.pillars[k]
            d.mocap_pos[mid] = (
                (x, y, cfg.pillar_height / 2) if np.isfinite(x) else (0.0, 0.0, _PARKED_Z)
            )
        d.qpos[0:3] = (self._start[0], self._start[1], 0.0)
        d.qpos[3:7] = _yaw_quat(self._start[2])
        mujoco.mj_forward(m, d)
        self._ticks += 1
        self.episode += 1
        self.episode_steps = 0
        self.outcome = 'running'
        self._path = None
        if cfg.progress == 'path':
            wrong = self.pillars.copy()
            wrong[self.goal_index] = np.nan
            self._path = PathField(
                cfg.room_size, tuple(self.pillars[self.goal_index]), cfg.success_radius,
                ROBOT_RADIUS, self.obstacles, wrong, cfg.success_radius + 0.05,
            )
        self._d_prev = self._progress_distance()

    def place_robot(self, x: float, y: float, yaw: float) -> None:
        """Teleport the robot to (x m, y m, yaw rad) at rest, in the current episode.

        For tests and scripted scenarios; the progress reward restarts from here.
        """
        d = self.data
        d.qpos[0:3] = (x, y, 0.0)
        d.qpos[3:7] = _yaw_quat(yaw)
        d.qpos[7:] = 0.0
        d.qvel[:] = 0.0
        d.ctrl[:] = 0.0
        mujoco.mj_forward(self.model, d)
        self._d_prev = self._progress_distance()

    # ------------------------------------------------------------------ stepping
    def step(self, v: float, w: float) -> StepResult:
        """Apply the unicycle command for ``control_dt`` and score the transition.

        Args:
            v: forward speed command, m/s, clipped to [min_linear, max_linear].
            w: yaw rate command, rad/s (counter-clockwise positive), clipped to
                [-max_angular, max_angular].

        Raises:
            ValueError: if v or w is not finite.
        """
        if not (math.isfinite(v) and math.isfinite(w)):
            raise ValueError(f'non-finite command v={v} w={w}')
        cfg, m, d = self.cfg, self.model, self.data
        v = min(max(v, cfg.min_linear), cfg.max_linear)
        w = min(max(w, -cfg.max_angular), cfg.max_angular)
        d.ctrl[self._act_l] = (v - w * HALF_TRACK) / WHEEL_RADIUS
        d.ctrl[self._act_r] = (v + w * HALF_TRACK) / WHEEL_RADIUS
        # Substeps one by one so that a brief touch inside the control period counts too.
        collided = False
        touch = d.sensordata
        for _ in range(self._n_sub):
            mujoco.mj_step(m, d)
            if touch[0] > 0.0:
                collided = True
        self._ticks += 1
        self.episode_steps += 1
        dist = self._goal_distance()
        progress = self._progress_distance(dist)
        reward = cfg.reward_progress * (self._d_prev - progress) + cfg.reward_time
        self._d_prev = progress
        if collided:
            reward += cfg.reward_collision
        terminated = truncated = False
        if self.outcome in ('success', 'failure'):
            terminated = True  # stepping after the end: report the end again
        elif dist < cfg.success_radius:
            reward += cfg.reward_success
            terminated, self.outcome = True, 'success'
        else:
            x, y = d.qpos[0], d.qpos[1]
            dp = np.hypot(self.pillars[:, 0] - x, self.pillars[:, 1] - y)
            dp[self.goal_index] = np.inf
            if np.nanmin(dp) < cfg.success_radius:
                reward += cfg.reward_wrong
                terminated, self.outcome = True, 'failure'
        if not terminated and self.episode_steps >= cfg.max_episode_steps:
            truncated, self.outcome = True, 'timeout'
        return StepResult(float(reward), terminated, truncated, self.outcome, collided)

    def _progress_distance(self, straight: float | None = None) -> float:
        """Distance (m) the progress reward is measured in (``WorldConfig.progress``)."""
        if self._path is None:
            return self._goal_distance() if straight is None else straight
        return self._path(float(self.data.qpos[0]), float(self.data.qpos[1]))

    def _goal_distance(self) -> float:
        gx, gy = self.pillars[self.goal_index]
        return math.hypot(gx - self.data.qpos[0], gy - self.data.qpos[1])
