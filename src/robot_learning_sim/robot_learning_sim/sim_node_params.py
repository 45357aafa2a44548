# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 robot_learning maintainers
"""The parameters of ``sim_node``: the world, its curriculum and its appearance.

``declare_world`` declares the world's parameters (rate, camera, seed, episode length,
obstacles, colours, frames, ``publish_task``, ``cmd_vel_stamped``, ``progress``, and the
appearance below) and returns the :class:`~robot_learning_sim.world.WorldConfig`.

With ``curriculum: true`` (read-only) the node runs a success-gated curriculum over its
own episodes (:mod:`robot_learning.common.curriculum`): the start-to-goal distance is
capped at ``curriculum.levels[k]`` m (0 = any) and ``k`` goes up once ``curriculum.window``
episodes at that level succeeded at a rate of ``curriculum.promote_at``. The diagnostics
``simulation`` task reports ``curriculum_level`` and ``goal_distance_max``; a step up is
logged. Evaluate against a ``sim_node`` without it (the full task).

With ``randomize: true`` (read-only) every episode draws a new appearance and the sensors
get noise (domain randomisation, :mod:`robot_learning_sim.appearance`): floor, wall and
box colours (``randomize.floor_rgb``, ``randomize.wall_rgb``, ``randomize.obstacle_rgb``:
max per-channel offsets, 0..1), pillar shades with the hue kept
(``randomize.pillar_shade``), the light intensity (``randomize.light``, relative), the
camera's pitch, yaw and field of view (``randomize.camera_pitch_deg``,
``randomize.camera_yaw_deg``, ``randomize.camera_fovy_deg``, deg), pixel noise
(``randomize.image_noise``, std in 0..255 units) and lidar range noise
(``randomize.scan_noise_m``, std in m, finite ranges only). Each amplitude is a read-only
parameter; 0 turns that one off. ``appearance: shifted`` (read-only; default
``default``) renders one fixed target domain every episode instead (a dark floor, green
walls, dimmer light, the camera pitched down with a wider view, darker pillars;
``robot_learning_sim.appearance.SHIFTED``). The draws have their own generator: a seed's
layouts are the same with or without either. The diagnostics ``simulation`` task reports
``appearance`` and ``randomize``.
"""

from __future__ import annotations

from typing import NamedTuple

from rclpy.node import Node
from robot_learning.common.curriculum import CurriculumConfig, SuccessCurriculum
from robot_learning.errors import ConfigError
from robot_learning_nodes.common import declare, declare_dataclass, one_of
from robot_learning_sim.appearance import AMPLITUDES, AppearanceConfig, APPEARANCES
from robot_learning_sim.world_config import WorldConfig

__all__ = ['SimParams', 'declare_appearance', 'declare_curriculum', 'declare_world']


class SimParams(NamedTuple):
    """What ``sim_node`` reads at start-up (all read-only but ``camera_every``)."""

    world: WorldConfig
    rate: float  # control steps per sim second, Hz
    frames: dict  # 'odom', 'base', 'scan', 'camera' -> frame id
    camera_every: int
    publish_task: bool
    cmd_stamped: bool


def declare_world(node: Node) -> SimParams:
    """Declare the world's parameters on ``node``.

    Raises:
        ConfigError: a value the world refuses (an unknown colour, a bad appearance).
    """
    rate = declare(
        node,
        'control_rate',
        10.0,
        'control steps per sim second, Hz',
        read_only=True,
        min_value=0.1,
        max_value=1000.0,
    )
    cam_w = declare(
        node, 'camera_width', 160, 'camera image width, px', True, min_value=1, max_value=4096
    )
    cam_h = declare(
        node,
        'camera_height',
        120,
        'camera image height, px',
        read_only=True,
        min_value=1,
        max_value=4096,
    )
    camera_every = declare(
        node, 'camera_every', 1, 'publish the camera every N steps (0 = off)', min_value=0
    )
    seed = declare(
        node, 'seed', 0, 'seed of the episode generator', read_only=True, min_value=0
    )
    max_steps = declare(
        node,
        'max_episode_steps',
        200,
        'steps after which an episode is truncated (timeout)',
        read_only=True,
        min_value=1,
    )
    n_obst = declare(
        node,
        'n_obstacles',
        3,
        'box obstacles per episode',
        read_only=True,
        min_value=0,
        max_value=100,
    )
    colors = declare(
        node,
        'colors',
        ['red', 'green', 'blue'],
        'pillar colours; order of the detections poses',
        read_only=True,
    )
    # Frame ids are baked into the pre-allocated messages: fixed at start-up.
    frames = {
        'odom': declare(node, 'odom_frame', 'odom', 'odometry frame id', read_only=True),
        'base': declare(node, 'base_frame', 'base_link', 'robot base frame id', True),
        'scan': declare(node, 'scan_frame', 'base_scan', 'lidar frame id', read_only=True),
        'camera': declare(node, 'camera_frame', 'camera_link', 'camera frame id', True),
    }
    publish_task = declare(
        node, 'publish_task', True,
        'publish episode, instruction, detections, sim/goal and end episodes (false: '
        'a task_node does)', read_only=True,
    )
    cmd_stamped = declare(
        node, 'cmd_vel_stamped', True, 'cmd_vel is TwistStamped (false: plain Twist)', True
    )
    progress = declare(
        node, 'progress', 'straight', "progress reward along the 'straight' line to the "
        "goal or the shortest 'path' around boxes and wrong pillars", read_only=True,
    )
    look = declare_appearance(node)
    try:
        cfg = WorldConfig(
            control_dt=1.0 / rate,
            camera_width=cam_w,
            camera_height=cam_h,
            seed=seed,
            max_episode_steps=max_steps,
            n_obstacles=n_obst,
            colors=tuple(colors),
            progress=progress,
            appearance=look,
        )
    except ValueError as exc:  # e.g. an unknown colour: one line, not a traceback
        raise ConfigError(f'sim_node: {exc}') from None
    return SimParams(cfg, rate, frames, camera_every, publish_task, cmd_stamped)


def declare_curriculum(node: Node, cfg: WorldConfig) -> SuccessCurriculum | None:
    """Declare ``curriculum`` and ``curriculum.*``; the curriculum, or None when off.

    Raises:
        ConfigError: a level nearer than ``cfg.start_pillar_distance`` (no start lies there).
    """
    curriculum = None
    if declare(node, 'curriculum', False, 'grow the start-to-goal distance with the '
               'training success rate (curriculum.*)', read_only=True):
        curriculum = SuccessCurriculum(declare_dataclass(
            node, CurriculumConfig, 'curriculum.', read_only=True,
            docs={
                'levels': 'start-to-goal distance cap per level, m (0 = any, last only)',
                'window': 'episodes at a level before it can be left',
                'promote_at': 'success rate over the window that moves up a level',
            },
            ranges={'window': (1, None), 'promote_at': (0.0, 1.0)},
        ))
        near = [v for v in curriculum.cfg.levels if 0 < v < cfg.start_pillar_distance]
        if near:
            raise ConfigError(
                f'sim_node: curriculum.levels {near} m: each must be 0 (any) or at least '
                f'{cfg.start_pillar_distance} m (no start lies nearer a pillar)'
            )
    return curriculum


def declare_appearance(node: Node) -> AppearanceConfig:
    """Declare ``appearance``, ``randomize`` and ``randomize.*`` (all read-only).

    Raises:
        ConfigError: an unknown ``appearance`` or an amplitude out of its range.
    """
    appearance = one_of(node, 'appearance', declare(
        node, 'appearance', 'default', "the world's look: 'default' or the fixed "
        "'shifted' target domain (dark floor, green walls, dim light, tilted camera)",
        read_only=True,
    ), APPEARANCES)
    randomize = declare(
        node, 'randomize', False, 'draw colours, light and camera anew every episode '
        'and add sensor noise (randomize.*)', read_only=True,
    )
    return declare_dataclass(
        node, AppearanceConfig, 'randomize.', read_only=True,
        skip=('randomize', 'appearance'), randomize=randomize, appearance=appearance,
        docs={k: f'{what} (with randomize)' for k, (_, _, what) in AMPLITUDES.items()},
        ranges={k: (lo, hi) for k, (lo, hi, _) in AMPLITUDES.items()},
    )
