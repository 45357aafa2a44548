# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 robot_learning maintainers
"""Export the built-in world of one seed and episode as SDF for Gazebo Harmonic (ROS-free).

``robot-learning export-world --sdf DIR [--seed N] [--episode K]`` writes:

- ``DIR/world.sdf``: the room (walls, floor), the episode's boxes and coloured pillars at
  the positions :class:`~robot_learning_sim.world.World` draws for that seed and episode
  (the same :class:`~robot_learning_sim.world_layout.LayoutSampler` and random stream,
  without MuJoCo), the world systems (Physics, UserCommands, SceneBroadcaster, Sensors
  with ogre2) and a PosePublisher per pillar (ground truth on ``/model/pillar_<colour>/pose``);
- ``DIR/robot.sdf``: the robot model (:mod:`robot_learning_sim.robot_sdf`);
- ``DIR/task.yaml``: the task for ``task_node`` (:mod:`robot_learning.task` format): the
  present pillars as fixed goals in ``odom``, the built-in world's instruction and radii;
- ``DIR/layout.yaml``: seed, episode, the robot start (where ``ros_gz_sim create`` puts
  the robot), the episode's goal colour, pillar and box positions.

SDF version :data:`SDF_VERSION` (1.9): Debian's libsdformat12 (the test's checker) reads
up to 1.9, and Gazebo Harmonic's libsdformat14 reads 1.9 files (it converts them to 1.11).
Units: m, rad; frame: the world frame, which is the ``odom`` frame of the robot's odometry
(as in the built-in sim).
"""

from __future__ import annotations

import argparse
import dataclasses
import math
from pathlib import Path
import xml.etree.ElementTree as ET

import numpy as np
from robot_learning.errors import ConfigError
from robot_learning_sim.robot_sdf import plugin, robot_model, sdf_document, shape, sub
from robot_learning_sim.world_config import COLOR_RGBA, WorldConfig
from robot_learning_sim.world_layout import LayoutSampler
import yaml

SDF_VERSION = '1.9'
#: Name of the exported world (``ros_gz_sim create -world``).
WORLD_NAME = 'robot_learning_room'
#: Gazebo physics step, s: 1 ms (Gazebo's default; small wheels need short contact steps).
PHYSICS_STEP = 0.001
#: PosePublisher rate of each pillar, Hz.
POSE_HZ = 10.0
WALL_RGBA = (0.85, 0.8, 0.7, 1.0)
BOX_RGBA = (0.45, 0.35, 0.25, 1.0)
FLOOR_RGBA = (0.6, 0.6, 0.62, 1.0)
_WALL_HALF_THICKNESS = 0.05


def pillar_pose_topic(color: str) -> str:
    """Gazebo topic of a pillar's ground-truth pose (gz.msgs.Pose, PosePublisher)."""
    return f'/model/pillar_{color}/pose'


@dataclasses.dataclass
class Layout:
    """One episode's layout, world (= odom) frame, m and rad."""

    obstacles: np.ndarray
    """(n_obstacles, 5): x, y, half_x, half_y, yaw of each box."""
    pillars: dict
    """Colour -> (x, y) of each pillar present this episode."""
    start: tuple
    """Robot start (x, y, yaw)."""
    goal: str
    """The colour this episode of the built-in sim instructs."""


class _Sampler(LayoutSampler):
    def __init__(self, cfg: WorldConfig):
        self.cfg = cfg
        self._rng = np.random.default_rng(cfg.seed)


def episode_layout(cfg: WorldConfig, episode: int = 0) -> Layout:
    """Draw the layout :class:`~robot_learning_sim.world.World` has in episode ``episode``.

    ``World(cfg)`` draws episode 0 at construction and one layout per ``reset()`` from
    ``default_rng(cfg.seed)``; this draws the same ``episode + 1`` layouts without MuJoCo.

    Raises:
        ConfigError: ``episode`` < 0.
    """
    if episode < 0:
        raise ConfigError(f'--episode {episode}: write an episode number >= 0')
    sampler = _Sampler(cfg)
    for _ in range(episode + 1):
        sampler._sample_layout()
    pillars = {
        c: (float(x), float(y))
        for c, (x, y) in zip(cfg.colors, sampler.pillars)
        if np.isfinite(x)
    }
    x, y, yaw = sampler._start
    return Layout(sampler.obstacles.copy(), pillars, (float(x), float(y), float(yaw)),
                  cfg.colors[sampler.goal_index])


def _static_model(world: ET.Element, name: str, pose) -> tuple[ET.Element, ET.Element]:
    """Add a static ``<model>`` at ``pose`` with one link; return (model, link)."""
    model = sub(world, 'model', name=name)
    sub(model, 'static', True)
    sub(model, 'pose', tuple(pose))
    return model, sub(model, 'link', name='link')


def world_element(cfg: WorldConfig, layout: Layout) -> ET.Element:
    """Build the ``<world>``: systems, light, floor, walls, boxes and pillars of ``layout``."""
    world = ET.Element('world', name=WORLD_NAME)
    physics = sub(world, 'physics', name='1ms', type='ignored')
    sub(physics, 'max_step_size', PHYSICS_STEP)
    sub(physics, 'real_time_factor', 1.0)
    for library, name in (
        ('gz-sim-physics-system', 'Physics'),
        ('gz-sim-user-commands-system', 'UserCommands'),
        ('gz-sim-scene-broadcaster-system', 'SceneBroadcaster'),
    ):
        plugin(world, library, f'gz::sim::systems::{name}', {})
    plugin(world, 'gz-sim-sensors-system', 'gz::sim::systems::Sensors',
           {'render_engine': 'ogre2'})
    scene = sub(world, 'scene')
    sub(scene, 'ambient', (0.45, 0.45, 0.45, 1))
    sub(scene, 'background', (0.7, 0.7, 0.7, 1))
    sub(scene, 'shadows', False)
    sub(scene, 'grid', False)
    light = sub(world, 'light', name='sun', type='directional')
    sub(light, 'cast_shadows', False)
    sub(light, 'pose', (0, 0, 4, 0, 0, 0))
    sub(light, 'diffuse', (0.5, 0.5, 0.5, 1))
    sub(light, 'specular', (0, 0, 0, 1))
    sub(light, 'direction', (0.3, 0.2, -1))

    half, t = cfg.room_size / 2.0, _WALL_HALF_THICKNESS
    _, floor = _static_model(world, 'ground_plane', (0, 0, 0, 0, 0, 0))
    plane = ('plane', (2 * (half + 1), 2 * (half + 1)))
    shape(floor, 'collision', 'collision', plane)
    shape(floor, 'visual', 'visual', plane, rgba=FLOOR_RGBA)
    _, walls = _static_model(world, 'walls', (0, 0, 0, 0, 0, 0))
    h = cfg.wall_height
    for name, sx, sy, px, py in (
        ('north', 2 * (half + 2 * t), 2 * t, 0, half + t),
        ('south', 2 * (half + 2 * t), 2 * t, 0, -half - t),
        ('east', 2 * t, 2 * (half + 2 * t), half + t, 0),
        ('west', 2 * t, 2 * (half + 2 * t), -half - t, 0),
    ):
        for kind in ('collision', 'visual'):
            shape(walls, kind, name, ('box', (sx, sy, h)), pose=(px, py, h / 2, 0, 0, 0),
                  rgba=WALL_RGBA if kind == 'visual' else None)
    hz = cfg.obstacle_height / 2.0
    for i, (x, y, hx, hy, yaw) in enumerate(layout.obstacles):
        _, box = _static_model(world, f'obstacle_{i}', (x, y, hz, 0, 0, yaw))
        for kind in ('collision', 'visual'):
            shape(box, kind, kind, ('box', (2 * hx, 2 * hy, cfg.obstacle_height)),
                  rgba=BOX_RGBA if kind == 'visual' else None)
    for color, (x, y) in layout.pillars.items():
        # Model frame on the floor at the pillar centre: its published pose is the goal.
        model, link = _static_model(world, f'pillar_{color}', (x, y, 0, 0, 0, 0))
        cyl = ('cylinder', cfg.pillar_radius, cfg.pillar_height)
        for kind in ('collision', 'visual'):
            shape(link, kind, kind, cyl, pose=(0, 0, cfg.pillar_height / 2, 0, 0, 0),
                  rgba=COLOR_RGBA[color] if kind == 'visual' else None)
        plugin(model, 'gz-sim-pose-publisher-system', 'gz::sim::systems::PosePublisher', {
            'publish_link_pose': False,
            'publish_visual_pose': False,
            'publish_collision_pose': False,
            'publish_sensor_pose': False,
            # The top-level model's own pose: publish_model_pose and nested both true.
            'publish_model_pose': True,
            'publish_nested_model_pose': True,
            'use_pose_vector_msg': False,
            'static_publisher': False,
            'update_frequency': POSE_HZ,
        })
    return world


def task_document(cfg: WorldConfig, layout: Layout) -> dict:
    """Return the task YAML (``robot_learning.task`` format) of the exported episode.

    Goals are the present pillars at their fixed positions in ``odom``, in ``cfg.colors``
    order; radii, step limit and instruction are the built-in world's.
    """
    return {'task': {
        'frame': 'odom',
        'instruction': 'go to the {goal} pillar',
        'success_radius': cfg.success_radius,
        'wrong_radius': cfg.success_radius,
        'max_steps': cfg.max_episode_steps,
        'goals': [
            {'name': c, 'position': [round(x, 6), round(y, 6)]}
            for c, (x, y) in layout.pillars.items()
        ],
    }}


def layout_document(cfg: WorldConfig, layout: Layout, episode: int) -> dict:
    """Return ``layout.yaml``: what was exported and where the robot starts (m, rad)."""
    x, y, yaw = layout.start
    return {
        'seed': cfg.seed,
        'episode': episode,
        'world': WORLD_NAME,
        'robot': {'x': round(x, 6), 'y': round(y, 6), 'z': 0.0, 'yaw': round(yaw, 6)},
        'goal': layout.goal,
        'pillars': {c: [round(px, 6), round(py, 6)] for c, (px, py) in layout.pillars.items()},
        'obstacles': [[round(float(v), 6) for v in o] for o in layout.obstacles],
    }


@dataclasses.dataclass
class Exported:
    """Paths written by :func:`export_world` and the layout they hold."""

    world: Path
    robot: Path
    task: Path
    layout_file: Path
    layout: Layout


def export_world(directory, seed: int = 0, episode: int = 0,
                 cfg: WorldConfig | None = None) -> Exported:
    """Write world.sdf, robot.sdf, task.yaml and layout.yaml of one episode to ``directory``.

    Args:
        directory: output directory (created).
        seed: the built-in world's seed (``sim_node`` parameter ``seed``).
        episode: episode number in that seed's stream (0 = the first).
        cfg: world config (default: ``WorldConfig()``, what ``config/sim_node.yaml`` runs);
            its ``seed`` is replaced by ``seed``.

    Raises:
        ConfigError: a negative seed or episode, or a directory that cannot be written.
    """
    if seed < 0:
        raise ConfigError(f'--seed {seed}: write a seed >= 0')
    cfg = dataclasses.replace(cfg or WorldConfig(), seed=seed)
    layout = episode_layout(cfg, episode)
    out = Path(directory)
    try:
        out.mkdir(parents=True, exist_ok=True)
        paths = Exported(out / 'world.sdf', out / 'robot.sdf', out / 'task.yaml',
                         out / 'layout.yaml', layout)
        paths.world.write_bytes(sdf_document(world_element(cfg, layout), SDF_VERSION))
        paths.robot.write_bytes(sdf_document(robot_model(cfg), SDF_VERSION))
        paths.task.write_text(yaml.safe_dump(task_document(cfg, layout), sort_keys=False))
        paths.layout_file.write_text(
            yaml.safe_dump(layout_document(cfg, layout, episode), sort_keys=False)
        )
    except OSError as exc:
        raise ConfigError(f'--sdf {directory}: cannot write there ({exc.strerror})') from None
    return paths


def run_export(args: argparse.Namespace) -> int:
    """``robot-learning export-world --sdf DIR [--seed N] [--episode K]``; return 0.

    Raises:
        ConfigError: bad seed/episode or an unwritable directory (one line, exit code 2).
    """
    done = export_world(args.sdf, seed=args.seed, episode=args.episode)
    x, y, yaw = done.layout.start
    print(f'wrote {done.world}, {done.robot}, {done.task}, {done.layout_file}')
    print(f'seed {args.seed} episode {args.episode}: pillars '
          + ', '.join(f'{c} ({px:.2f}, {py:.2f})' for c, (px, py) in done.layout.pillars.items())
          + f'; robot start ({x:.2f}, {y:.2f}, yaw {math.degrees(yaw):.0f} deg)')
    print(f'launch: ros2 launch robot_learning_bringup gazebo_learn.launch.py '
          f'world_dir:={done.world.parent}')
    return 0
