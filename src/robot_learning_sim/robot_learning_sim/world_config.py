# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 robot_learning maintainers
"""Built-in world: dimensions, colours, :class:`WorldConfig` and :class:`StepResult` (ROS-free).

Imported by the world model (:mod:`robot_learning_sim.world`), its MJCF builder, the
expert and the gymnasium env; no MuJoCo import here. Importing it picks EGL offscreen
rendering on a headless Linux machine: ``MUJOCO_GL`` must be set before MuJoCo is
imported, so the modules that import MuJoCo import this one first.
"""

from __future__ import annotations

import dataclasses
import os
import sys
from typing import NamedTuple

from robot_learning_sim.appearance import AppearanceConfig

if (
    sys.platform.startswith('linux')
    and 'MUJOCO_GL' not in os.environ
    and not os.environ.get('DISPLAY')
):
    # Headless machines: EGL offscreen rendering. Must be set before mujoco is imported.
    os.environ['MUJOCO_GL'] = 'egl'


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
    goal_distance_max: float = 0.0
    """Largest distance from the robot start to the instructed pillar, m; 0 = any. A
    curriculum raises it as training succeeds (:mod:`robot_learning.common.curriculum`);
    at 0 the layouts are exactly those of the seed without it."""
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
    progress: str = 'straight'
    """What progress is measured along: 'straight' = the straight-line distance to the
    instructed pillar; 'path' = the shortest path around walls, boxes and the wrong pillars'
    failure discs (:mod:`robot_learning_sim.world_potential`, potential-based shaping)."""
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
    appearance: AppearanceConfig = dataclasses.field(default_factory=AppearanceConfig)
    """Appearance and sensor randomisation, or the fixed 'shifted' target domain
    (:mod:`robot_learning_sim.appearance`); also given as the name 'default'/'shifted' or
    as a dict of :class:`~robot_learning_sim.appearance.AppearanceConfig` fields. Its draws
    have their own generator: the layouts of a seed are the same with or without it."""

    def __post_init__(self):
        self.colors = tuple(self.colors)
        if isinstance(self.appearance, str):
            self.appearance = AppearanceConfig(appearance=self.appearance)
        elif isinstance(self.appearance, dict):
            self.appearance = AppearanceConfig(**self.appearance)
        elif not isinstance(self.appearance, AppearanceConfig):
            raise ValueError(
                f'appearance must be an AppearanceConfig, a dict of its fields or '
                f"'default'/'shifted', got {self.appearance!r}"
            )
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
        if not self.goal_distance_max >= 0 or (
            0 < self.goal_distance_max < self.start_pillar_distance
        ):
            raise ValueError(
                f'goal_distance_max must be 0 (any) or >= start_pillar_distance '
                f'({self.start_pillar_distance} m), got {self.goal_distance_max}'
            )
        if self.progress not in ('straight', 'path'):
            raise ValueError(f"progress must be 'straight' or 'path', got {self.progress!r}")


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
