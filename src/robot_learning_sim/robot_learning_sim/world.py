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

Collision filtering (contype/conaffinity bits) keeps the contact count tiny: wheels and
casters touch only the floor; the chassis touches only walls, obstacles and pillars;
scenery never collides with scenery.
"""

from __future__ import annotations

import dataclasses
import math
import os
import sys
from typing import NamedTuple

if (
    sys.platform.startswith('linux')
    and 'MUJOCO_GL' not in os.environ
    and not os.environ.get('DISPLAY')
):
    # Headless machines: EGL offscreen rendering. Must be set before mujoco is imported.
    os.environ['MUJOCO_GL'] = 'egl'

import mujoco  # noqa: E402
import numpy as np  # noqa: E402

#: Chassis radius, m (collision cylinder). Used by samplers and by the expert's margins.
ROBOT_RADIUS = 0.17
#: Wheel radius, m.
WHEEL_RADIUS = 0.04
#: Half the distance between the wheel contact points, m.
HALF_TRACK = 0.14
#: Height of the lidar origin above the floor, m.
LIDAR_HEIGHT = 0.20

#: Named colours available for pillars (RGBA in [0, 1]).
COLOR_RGBA: dict[str, tuple[float, float, float, float]] = {
    'red': (0.9, 0.1, 0.1, 1.0),
    'green': (0.1, 0.8, 0.1, 1.0),
    'blue': (0.1, 0.2, 0.9, 1.0),
    'yellow': (0.95, 0.9, 0.1, 1.0),
    'cyan': (0.1, 0.85, 0.85, 1.0),
    'magenta': (0.85, 0.1, 0.85, 1.0),
    'orange': (1.0, 0.5, 0.0, 1.0),
    'purple': (0.5, 0.1, 0.6, 1.0),
    'white': (0.97, 0.97, 0.97, 1.0),
    'black': (0.05, 0.05, 0.05, 1.0),
}

OUTCOMES = ('running', 'success', 'failure', 'timeout')

# Collision bits. Scenery (walls, boxes, pillars) has contype SCENERY and conaffinity 0, so
# it never collides with itself; the chassis has conaffinity SCENERY; the floor has contype
# FLOOR and only the wheels/casters have conaffinity FLOOR.
_FLOOR_BIT = 1
_SCENERY_BIT = 2
# Geom groups: 0 scenery (seen by the lidar), 1 floor, 2 robot visuals, 3 robot collision.
_LIDAR_GEOMGROUP = np.array([1, 0, 0, 0, 0, 0], dtype=np.uint8)
# Where absent pillars are parked: under the floor plane, invisible to camera and lidar.
_PARKED_Z = -5.0


@dataclasses.dataclass
class WorldConfig:
    """World parameters. All lengths in m, angles in rad, times in s."""

    room_size: float = 5.0
    """Interior side length of the square room, m."""
    wall_height: float = 0.8
    """Wall height, m (tall enough that the camera mostly sees walls)."""
    n_obstacles: int = 3
    """Number of box obstacles per episode (the model is compiled with this many slots)."""
    obstacle_size: tuple[float, float] = (0.2, 0.5)
    """Range of box side lengths (x and y, drawn independently), m."""
    obstacle_height: float = 0.4
    """Box height, m (above the lidar plane)."""
    obstacle_gap: float = 0.8
    """Minimum free gap between obstacles' bounding circles and to the walls, m, so the
    robot can always drive around an obstacle."""
    colors: tuple[str, ...] = ('red', 'green', 'blue')
    """Pillar colours (keys of :data:`COLOR_RGBA`); fixes the order of :meth:`World.detections`."""
    n_pillars: int = 0
    """Pillars present per episode (>= 2); 0 means all colours are always present."""
    pillar_radius: float = 0.08
    """Pillar cylinder radius, m."""
    pillar_height: float = 0.6
    """Pillar height, m (seen by camera and lidar)."""
    pillar_clearance: float = 0.6
    """Minimum distance from a pillar centre to the walls and to obstacle surfaces, m."""
    pillar_separation: float = 1.0
    """Minimum distance between pillar centres, m (>= 0.6)."""
    start_pillar_distance: float = 1.0
    """Minimum distance from the robot start to any pillar centre, m."""
    start_clearance: float = 0.35
    """Minimum distance from the robot start to walls and obstacle surfaces, m."""
    control_dt: float = 0.1
    """Duration of one :meth:`World.step`, s."""
    physics_dt: float = 0.005
    """MuJoCo integration step, s (control_dt is rounded to a multiple of it)."""
    max_episode_steps: int = 200
    """Steps after which an episode is truncated (outcome 'timeout')."""
    max_linear: float = 0.6
    """Forward speed limit, m/s."""
    min_linear: float = -0.3
    """Reverse speed limit (negative), m/s."""
    max_angular: float = 1.5
    """Yaw rate limit (both directions), rad/s."""
    lidar_rays: int = 360
    """Number of lidar rays over 2*pi, first ray at -pi, counter-clockwise."""
    range_min: float = 0.12
    """Lidar minimum range, m (closer returns are reported as -inf, REP-117)."""
    range_max: float = 3.5
    """Lidar maximum range, m (no return within it: +inf)."""
    camera_width: int = 160
    """Camera image width, px."""
    camera_height: int = 120
    """Camera image height, px."""
    camera_fovy: float = 60.0
    """Camera vertical field of view, degrees."""
    reward_progress: float = 10.0
    """Reward per metre of progress toward the instructed pillar."""
    reward_time: float = -0.05
    """Reward added every step. -0.05 rather than a token -0.01: learned policies that
    stalled a few decimetres from the goal (deterministic actions near zero) cost only
    -1 over a 200-step timeout at -0.01; -5 makes stalling clearly worse than arriving."""
    reward_collision: float = -0.5
    """Reward added on every step the chassis touches a wall, obstacle or pillar."""
    reward_success: float = 10.0
    """Terminal reward for reaching the instructed pillar."""
    reward_wrong: float = -5.0
    """Terminal reward for reaching a wrong pillar."""
    success_radius: float = 0.4
    """Robot centre to pillar centre distance that counts as reaching it, m."""
    seed: int = 0
    """Seed of the episode generator."""

    def __post_init__(self):
        self.colors = tuple(self.colors)
        self.obstacle_size = tuple(self.obstacle_size)  # type: ignore[assignment]
        unknown = [c for c in self.colors if c not in COLOR_RGBA]
        if unknown:
            raise ValueError(f'unknown colours {unknown}; known: {sorted(COLOR_RGBA)}')
        if len(set(self.colors)) != len(self.colors) or len(self.colors) < 2:
            raise ValueError(f'colors must be >= 2 distinct names, got {self.colors}')
        if self.n_pillars and not 2 <= self.n_pillars <= len(self.colors):
            raise ValueError(f'n_pillars must be 0 or in [2, {len(self.colors)}]')
        if self.control_dt <= 0 or self.physics_dt <= 0:
            raise ValueError('control_dt and physics_dt must be > 0')
        if self.n_obstacles < 0 or self.max_episode_steps < 1:
            raise ValueError('n_obstacles must be >= 0 and max_episode_steps >= 1')


class StepResult(NamedTuple):
    """Outcome of one :meth:`World.step`."""

    reward: float
    """Reward of the transition (see :class:`World`)."""
    terminated: bool
    """Episode ended by reaching a pillar (success or failure)."""
    truncated: bool
    """Episode ended by the step limit (outcome 'timeout')."""
    outcome: str
    """'running', 'success', 'failure' or 'timeout'."""
    collided: bool
    """The chassis touched a wall, obstacle or pillar during this step."""


def _robot_xml(cfg: WorldConfig) -> str:
    r, b = WHEEL_RADIUS, HALF_TRACK
    return f"""
    <body name="base" pos="0 0 0">
      <freejoint name="base"/>
      <!-- Centre of mass slightly behind the axle: the robot rests on its wheels and the
           rear caster; the front caster floats 2 mm up and only catches hard braking. -->
      <inertial pos="-0.02 0 0.08" mass="2.0" diaginertia="0.0165 0.0165 0.029"/>
      <!-- Chassis: the only robot geom that touches scenery. -->
      <geom name="chassis" type="cylinder" size="{ROBOT_RADIUS} 0.055" pos="0 0 0.105"
            mass="0" rgba="0.25 0.25 0.3 1" group="3" contype="0"
            conaffinity="{_SCENERY_BIT}"/>
      <geom name="chassis_vis" type="cylinder" size="{ROBOT_RADIUS} 0.055" pos="0 0 0.105"
            mass="0" rgba="0.25 0.25 0.3 1" group="2" contype="0" conaffinity="0"/>
      <geom name="lidar_vis" type="cylinder" size="0.04 0.02" pos="0 0 {LIDAR_HEIGHT - 0.02}"
            mass="0" rgba="0.1 0.1 0.1 1" group="2" contype="0" conaffinity="0"/>
      <geom name="caster_front" type="sphere" size="0.02" pos="0.12 0 0.022" mass="0"
            group="3" contype="0" conaffinity="{_FLOOR_BIT}" condim="1" rgba=".5 .5 .5 1"/>
      <geom name="caster_rear" type="sphere" size="0.02" pos="-0.12 0 0.02" mass="0"
            group="3" contype="0" conaffinity="{_FLOOR_BIT}" condim="1" rgba=".5 .5 .5 1"/>
      <site name="lidar" pos="0 0 {LIDAR_HEIGHT}" size="0.01"/>
      <!-- Touch zone around the chassis side, above the caster/floor contacts: any force in
           it is a collision with scenery (cheaper than scanning the contact list). -->
      <site name="bumper" type="cylinder" size="{ROBOT_RADIUS + 0.03} 0.07" pos="0 0 0.105"
            group="5" rgba="0 0 0 0"/>
      <camera name="front" pos="{ROBOT_RADIUS - 0.02} 0 0.22" xyaxes="0 -1 0 0.1 0 1"
              fovy="{cfg.camera_fovy}"/>
      <body name="wheel_l" pos="0 {b} {r}">
        <joint name="wheel_l" type="hinge" axis="0 1 0" damping="0"/>
        <geom type="sphere" size="{r}" mass="0.1" group="3" contype="0"
              conaffinity="{_FLOOR_BIT}" condim="3" friction="1.2 0.005 0.0001"/>
        <geom type="cylinder" size="{r} 0.012" zaxis="0 1 0" mass="0" group="2"
              contype="0" conaffinity="0" rgba="0.05 0.05 0.05 1"/>
      </body>
      <body name="wheel_r" pos="0 {-b} {r}">
        <joint name="wheel_r" type="hinge" axis="0 1 0" damping="0"/>
        <geom type="sphere" size="{r}" mass="0.1" group="3" contype="0"
              conaffinity="{_FLOOR_BIT}" condim="3" friction="1.2 0.005 0.0001"/>
        <geom type="cylinder" size="{r} 0.012" zaxis="0 1 0" mass="0" group="2"
              contype="0" conaffinity="0" rgba="0.05 0.05 0.05 1"/>
      </body>
    </body>"""


def build_xml(cfg: WorldConfig) -> str:
    """MJCF text of the world for ``cfg`` (obstacle and pillar slots parked until reset)."""
    half = cfg.room_size / 2.0
    t = 0.05  # wall half thickness
    wh = cfg.wall_height / 2.0
    scen = f'contype="{_SCENERY_BIT}" conaffinity="0" group="0"'
    walls = ''.join(
        f'<geom name="wall_{n}" type="box" size="{sx} {sy} {wh}" pos="{px} {py} {wh}" '
        f'rgba="0.85 0.8 0.7 1" {scen}/>'
        for n, sx, sy, px, py in (
            ('n', half + 2 * t, t, 0, half + t),
            ('s', half + 2 * t, t, 0, -half - t),
            ('e', t, half + 2 * t, half + t, 0),
            ('w', t, half + 2 * t, -half - t, 0),
        )
    )
    obstacles = ''.join(
        f'<body name="obstacle_{i}" mocap="true" pos="0 0 {_PARKED_Z}">'
        f'<geom name="obstacle_{i}" type="box" size="0.15 0.15 {cfg.obstacle_height / 2}" '
        f'rgba="0.45 0.35 0.25 1" {scen}/></body>'
        for i in range(cfg.n_obstacles)
    )
    pillars = ''.join(
        f'<body name="pillar_{c}" mocap="true" pos="0 0 {_PARKED_Z}">'
        f'<geom name="pillar_{c}" type="cylinder" '
        f'size="{cfg.pillar_radius} {cfg.pillar_height / 2}" '
        f'rgba="{" ".join(str(v) for v in COLOR_RGBA[c])}" {scen}/></body>'
        for c in cfg.colors
    )
    n_sub = max(1, round(cfg.control_dt / cfg.physics_dt))
    return f"""
<mujoco model="robot_learning_room">
  <option timestep="{cfg.control_dt / n_sub}" integrator="implicitfast" cone="elliptic"/>
  <visual>
    <global offwidth="{max(640, cfg.camera_width)}" offheight="{max(480, cfg.camera_height)}"
            fovy="{cfg.camera_fovy}"/>
    <quality shadowsize="0"/>
    <headlight ambient="0.45 0.45 0.45" diffuse="0.5 0.5 0.5" specular="0 0 0"/>
  </visual>
  <worldbody>
    <light name="sun" directional="true" pos="0 0 4" dir="0.3 0.2 -1" castshadow="false"
           diffuse="0.5 0.5 0.5" specular="0 0 0"/>
    <!-- condim 1 on the floor: a pair uses the larger condim, so the casters (condim 1)
         roll frictionlessly while the wheels (condim 3) grip. -->
    <geom name="floor" type="plane" size="{half + 1} {half + 1} 0.1" rgba="0.6 0.6 0.62 1"
          contype="{_FLOOR_BIT}" conaffinity="0" group="1" condim="1"
          friction="1 0.005 0.0001"/>
    {walls}
    {obstacles}
    {pillars}
    {_robot_xml(cfg)}
  </worldbody>
  <sensor>
    <touch name="bumper" site="bumper"/>
  </sensor>
  <actuator>
    <!-- Wheel speed servos, rad/s. kv gives a fast velocity loop; the torque cap keeps the
         acceleration (~5 m/s^2) below what the tyres can transmit, so wheels don't spin. -->
    <velocity name="wheel_l" joint="wheel_l" kv="0.05" ctrlrange="-40 40"
              forcerange="-0.3 0.3"/>
    <velocity name="wheel_r" joint="wheel_r" kv="0.05" ctrlrange="-40 40"
              forcerange="-0.3 0.3"/>
  </actuator>
</mujoco>"""


def _yaw_quat(yaw: float) -> np.ndarray:
    return np.array([math.cos(yaw / 2), 0.0, 0.0, math.sin(yaw / 2)])


def _box_distance(px, py, centre, half, yaw) -> np.ndarray:
    """Distance (m) from points (px, py) to a rotated rectangle (0 inside)."""
    c, s = math.cos(yaw), math.sin(yaw)
    dx, dy = np.asarray(px) - centre[0], np.asarray(py) - centre[1]
    lx, ly = c * dx + s * dy, -s * dx + c * dy
    ox = np.maximum(np.abs(lx) - half[0], 0.0)
    oy = np.maximum(np.abs(ly) - half[1], 0.0)
    return np.hypot(ox, oy)


class World:
    """The room, the robot and the episode logic.

    Reward of one step (:meth:`step`), with ``d`` the distance (m) from the robot centre to
    the instructed pillar centre before (``d_prev``) and after the step::

        reward = reward_progress * (d_prev - d)        # 10 per metre of progress
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
        self._ticks = 0  # control periods since construction (the clock never goes back)
        self.episode = -1
        # Episode layout (world frame), filled by reset().
        self.obstacles = np.zeros((cfg.n_obstacles, 5))  # x, y, half_x, half_y, yaw
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

    def reset(self, seed: int | None = None) -> None:
        """Start a new episode with a random layout.

        Args:
            seed: reseeds the episode generator (same seed, same layout sequence);
                None continues the current random stream.
        """
        if seed is not None:
            self._rng = np.random.default_rng(seed)
        cfg, m, d = self.cfg, self.model, self.data
        self._sample_layout()
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
        self._d_prev = self._goal_distance()

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
        self._d_prev = self._goal_distance()

    def _sample_layout(self) -> None:
        cfg, rng = self.cfg, self._rng
        half = cfg.room_size / 2.0
        lo_s, hi_s = cfg.obstacle_size
        n_col = len(cfg.colors)
        n_present = cfg.n_pillars or n_col
        for _attempt in range(1000):
            obs = np.zeros((cfg.n_obstacles, 5))
            ok = True
            for i in range(cfg.n_obstacles):
                for _ in range(200):
                    hx, hy = rng.uniform(lo_s, hi_s, 2) / 2
                    rb = math.hypot(hx, hy)
                    lim = half - rb - cfg.obstacle_gap
                    x, y = rng.uniform(-lim, lim, 2)
                    if all(
                        math.hypot(x - obs[j, 0], y - obs[j, 1])
                        >= rb + math.hypot(obs[j, 2], obs[j, 3]) + cfg.obstacle_gap
                        for j in range(i)
                    ):
                        obs[i] = (x, y, hx, hy, rng.uniform(0, math.pi))
                        break
                else:
                    ok = False
                    break
            if not ok:
                continue
            present = np.sort(rng.choice(n_col, n_present, replace=False))
            pillars = np.full((n_col, 2), np.nan)
            lim = half - cfg.pillar_clearance
            for k in present:
                for _ in range(200):
                    p = rng.uniform(-lim, lim, 2)
                    if self._clear(p, obs, cfg.pillar_clearance) and np.all(
                        np.nan_to_num(np.hypot(*(pillars - p).T), nan=np.inf)
                        >= cfg.pillar_separation
                    ):
                        pillars[k] = p
                        break
                else:
                    ok = False
                    break
            if not ok:
                continue
            lim = half - cfg.start_clearance
            for _ in range(200):
                p = rng.uniform(-lim, lim, 2)
                if self._clear(p, obs, cfg.start_clearance) and np.all(
                    np.nan_to_num(np.hypot(*(pillars - p).T), nan=np.inf)
                    >= cfg.start_pillar_distance
                ):
                    self.obstacles = obs
                    self.pillars = pillars
                    self.goal_index = int(rng.choice(present))
                    self._start = (p[0], p[1], rng.uniform(-math.pi, math.pi))
                    return
        raise RuntimeError('could not sample a layout; room too small for the config')

    @staticmethod
    def _clear(p, obs, clearance) -> bool:
        return all(_box_distance(p[0], p[1], o[:2], o[2:4], o[4]) >= clearance for o in obs)

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
        reward = cfg.reward_progress * (self._d_prev - dist) + cfg.reward_time
        self._d_prev = dist
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

    def _goal_distance(self) -> float:
        gx, gy = self.pillars[self.goal_index]
        return math.hypot(gx - self.data.qpos[0], gy - self.data.qpos[1])

    # ------------------------------------------------------------------ observations
    def pose(self) -> tuple[float, float, float]:
        """Robot base pose in the world (odom) frame: (x m, y m, yaw rad in (-pi, pi])."""
        q = self.data.qpos
        w, x, y, z = q[3], q[4], q[5], q[6]
        return (
            float(q[0]),
            float(q[1]),
            math.atan2(2.0 * (w * z + x * y), 1.0 - 2.0 * (y * y + z * z)),
        )

    def velocity(self) -> tuple[float, float]:
        """Return the base velocity in the base frame: (forward v m/s, yaw rate w rad/s)."""
        qv = self.data.qvel
        yaw = self.pose()[2]
        # Free joint: linear velocity is in the world frame, angular in the body frame.
        return (float(math.cos(yaw) * qv[0] + math.sin(yaw) * qv[1]), float(qv[5]))

    def goal_position(self) -> tuple[float, float]:
        """Instructed pillar centre in the world (odom) frame, (x m, y m)."""
        gx, gy = self.pillars[self.goal_index]
        return float(gx), float(gy)

    def detections(self) -> np.ndarray:
        """Pillar centres in the robot base frame.

        Returns:
            float32 (n_colors, 2): (x forward m, y left m) per colour in ``cfg.colors``
            order; NaN rows for colours absent this episode.
        """
        x, y, yaw = self.pose()
        c, s = math.cos(yaw), math.sin(yaw)
        dx, dy = self.pillars[:, 0] - x, self.pillars[:, 1] - y
        return np.stack([c * dx + s * dy, -s * dx + c * dy], axis=1).astype(np.float32)

    def scan(self) -> np.ndarray:
        """360-degree lidar scan from the lidar site (height :data:`LIDAR_HEIGHT`).

        Rays are horizontal (the scanner is levelled to the base yaw), cast against
        scenery only (robot geoms and the floor are excluded through geom groups).

        Returns:
            float32 (lidar_rays,): range in m of ray i at angle ``-pi + i * 2pi/lidar_rays``
            in the base frame, counter-clockwise; +inf when nothing is hit within
            ``range_max``; -inf for returns closer than ``range_min`` (REP-117).
        """
        cfg, m, d = self.cfg, self.model, self.data
        yaw = self.pose()[2]
        c, s = math.cos(yaw), math.sin(yaw)
        vec = self._ray_vec
        np.multiply(self._ray_c, c, out=vec[:, 0])
        vec[:, 0] -= s * self._ray_s
        np.multiply(self._ray_c, s, out=vec[:, 1])
        vec[:, 1] += c * self._ray_s
        mujoco.mj_multiRay(
            m,
            d,
            d.site_xpos[self._lidar_site],
            vec.reshape(-1),
            _LIDAR_GEOMGROUP,
            1,
            -1,
            self._ray_geom,
            self._ray_dist,
            None,
            cfg.lidar_rays,
            cfg.range_max,
        )
        out = self._ray_dist.astype(np.float32)
        out[(self._ray_geom < 0) | (out > cfg.range_max)] = np.inf
        out[out < cfg.range_min] = -np.inf
        return out

    def render_camera(self) -> np.ndarray:
        """Render the onboard forward camera.

        Returns:
            uint8 (camera_height, camera_width, 3) RGB image (a new array).
        """
        if self._renderer is None:
            self._renderer = mujoco.Renderer(
                self.model, self.cfg.camera_height, self.cfg.camera_width, max_geom=200
            )
            flags = self._renderer.scene.flags
            # Speed: no shadows, reflections or skybox (the walls fill the view anyway).
            flags[mujoco.mjtRndFlag.mjRND_SHADOW] = 0
            flags[mujoco.mjtRndFlag.mjRND_REFLECTION] = 0
            flags[mujoco.mjtRndFlag.mjRND_SKYBOX] = 0
        self._renderer.update_scene(self.data, self._camera)
        return self._renderer.render()

    def close(self) -> None:
        """Release the renderer (GL context)."""
        if self._renderer is not None:
            self._renderer.close()
            self._renderer = None

    def __del__(self):
        try:
            self.close()
        except Exception:  # interpreter shutdown: GL may already be gone
            pass
