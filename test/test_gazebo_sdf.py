# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 robot_learning maintainers
"""The exported Gazebo world: libsdformat loads it with zero errors, and it is the MuJoCo world.

Gazebo cannot run here, so the SDF is checked two ways. libsdformat (Debian's
``libsdformat-dev``, sdformat12, installed by ``make test-deps``) parses world.sdf,
robot.sdf and the world with the robot placed in it, through a small checker compiled
from ``test/sdf_check.cpp`` (Debian ships no SDF command-line checker without
ignition-tools and Ruby); without g++ or sdformat12 those tests skip with one line. The
other tests compare the files with the MuJoCo world of the same seed: pillar, box and
start positions, robot dimensions, limits and sensors.
"""

import math
import os
from pathlib import Path
import shutil
import subprocess
import xml.etree.ElementTree as ET

import numpy as np
import pytest
from robot_learning.task import load_task
from robot_learning_sim.robot_sdf import camera_hfov, GZ_TOPICS
from robot_learning_sim.world_config import WorldConfig
from robot_learning_sim.world_sdf import export_world
import yaml

ROOT = Path(__file__).resolve().parents[1]
CHECKER_SRC = ROOT / 'test' / 'sdf_check.cpp'
CHECKER = ROOT / 'build' / 'sdf_check' / 'sdf_check'
#: Elements outside the SDF 1.9 spec that Gazebo Harmonic reads (gz-sensors: header frame).
KNOWN_EXTENSIONS = ('gz_frame_id',)
CASES = [(0, 0), (1, 0), (7, 3)]  # (seed, episode)


def _pkg_config_flags() -> list[str] | None:
    if not shutil.which('pkg-config'):
        return None
    r = subprocess.run(['pkg-config', '--cflags', '--libs', 'sdformat12'],
                       capture_output=True, text=True)
    return r.stdout.split() if r.returncode == 0 else None


@pytest.fixture(scope='session')
def sdf_check() -> Path:
    """Return the compiled checker (rebuilt when its source is newer); skip without a compiler."""
    if CHECKER.is_file() and CHECKER.stat().st_mtime >= CHECKER_SRC.stat().st_mtime:
        return CHECKER
    flags = _pkg_config_flags()
    if not shutil.which('g++') or flags is None:
        pytest.skip('libsdformat check needs g++ and libsdformat-dev (make test-deps installs)')
    CHECKER.parent.mkdir(parents=True, exist_ok=True)
    tmp = CHECKER.with_suffix(f'.{os.getpid()}')
    r = subprocess.run(['g++', '-std=c++17', str(CHECKER_SRC), '-o', str(tmp), *flags],
                       capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, f'sdf_check.cpp does not build:\n{r.stderr[-3000:]}'
    tmp.replace(CHECKER)  # atomic: a concurrent run never executes half a binary
    return CHECKER


@pytest.fixture(scope='module')
def exports(tmp_path_factory):
    """One export per (seed, episode) of :data:`CASES`."""
    return {
        case: export_world(tmp_path_factory.mktemp(f'seed{case[0]}_ep{case[1]}'), *case)
        for case in CASES
    }


def _placed(world_sdf: Path, robot_sdf: Path, start, out: Path) -> Path:
    """world.sdf with robot.sdf's model at ``start``: what Gazebo has after ``create``."""
    world = ET.parse(world_sdf)
    model = ET.parse(robot_sdf).getroot().find('model')
    pose = ET.Element('pose')
    pose.text = f'{start[0]} {start[1]} 0 0 0 {start[2]}'
    model.insert(0, pose)
    world.getroot().find('world').append(model)
    world.write(out, encoding='utf-8', xml_declaration=True)
    return out


@pytest.mark.parametrize('case', CASES, ids=lambda c: f'seed{c[0]}-episode{c[1]}')
def test_libsdformat_loads_the_export_with_zero_errors(sdf_check, exports, case, tmp_path):
    done = exports[case]
    files = [done.world, done.robot,
             _placed(done.world, done.robot, done.layout.start, tmp_path / 'placed.sdf')]
    r = subprocess.run([str(sdf_check), *map(str, files)], capture_output=True, text=True,
                       timeout=120)
    lines = r.stdout.splitlines()
    assert r.returncode == 0 and not [x for x in lines if ': error: ' in x], r.stdout + r.stderr
    ok = [x for x in lines if ': ok version 1.9 ' in x]
    assert len(ok) == 3, r.stdout
    assert 'worlds 1' in ok[0] and 'models 1' in ok[1] and 'worlds 1' in ok[2]
    unknown = [x for x in lines if ': strict: ' in x
               and not any(f'Element[{e}]' in x for e in KNOWN_EXTENSIONS)]
    assert not unknown, 'elements outside SDF 1.9 (misspelt?):\n' + '\n'.join(unknown)


def _mujoco_world(seed: int, episode: int):
    from robot_learning_sim.world import World

    world = World(WorldConfig(seed=seed))
    for _ in range(episode):
        world.reset()
    return world


@pytest.mark.parametrize('case', CASES, ids=lambda c: f'seed{c[0]}-episode{c[1]}')
def test_pillars_boxes_and_start_are_the_mujoco_worlds(exports, case):
    done = exports[case]
    world = _mujoco_world(*case)
    try:
        sdf = ET.parse(done.world).getroot().find('world')
        for k, color in enumerate(world.cfg.colors):
            pillar = sdf.find(f"model[@name='pillar_{color}']")
            x, y = world.pillars[k]
            if not np.isfinite(x):
                assert pillar is None, color
                continue
            pose = [float(v) for v in pillar.findtext('pose').split()]
            assert pose[:2] == pytest.approx([x, y], abs=1e-6), color
            cyl = pillar.find('link/visual/geometry/cylinder')
            assert float(cyl.findtext('radius')) == world.cfg.pillar_radius
            assert pillar.find("plugin[@name='gz::sim::systems::PosePublisher']") is not None
        for i, (x, y, hx, hy, yaw) in enumerate(world.obstacles):
            box = sdf.find(f"model[@name='obstacle_{i}']")
            pose = [float(v) for v in box.findtext('pose').split()]
            assert pose[:2] + pose[5:] == pytest.approx([x, y, yaw], abs=1e-6)
            size = [float(v) for v in box.findtext('link/collision/geometry/box/size').split()]
            assert size == pytest.approx([2 * hx, 2 * hy, world.cfg.obstacle_height])
        start = yaml.safe_load(done.layout_file.read_text())['robot']
        x, y, yaw = world.pose()
        assert [start['x'], start['y']] == pytest.approx([x, y], abs=1e-5)
        assert math.remainder(start['yaw'] - yaw, 2 * math.pi) == pytest.approx(0, abs=1e-5)
        task = load_task(done.task)
        goals = {g.name: g.position for g in task.goals}
        assert goals == {c: pytest.approx(tuple(world.pillars[k]), abs=1e-5)
                         for k, c in enumerate(world.cfg.colors)
                         if np.isfinite(world.pillars[k][0])}
        assert task.frame == 'odom' and task.success_radius == world.cfg.success_radius
        assert task.instruction_for(world.goal_color) == world.instruction
    finally:
        world.close()


def _floats(el, path):
    return [float(v) for v in el.findtext(path).split()]


def test_robot_has_the_mujoco_robots_dimensions_limits_and_sensors(exports):
    import mujoco

    robot = ET.parse(exports[(0, 0)].robot).getroot().find('model')
    world = _mujoco_world(0, 0)
    cfg, m = world.cfg, world.model
    try:
        body = lambda n: mujoco.mj_name2id(m, mujoco.mjtObj.mjOBJ_BODY, n)  # noqa: E731
        geom = lambda n: mujoco.mj_name2id(m, mujoco.mjtObj.mjOBJ_GEOM, n)  # noqa: E731
        drive = robot.find("plugin[@name='gz::sim::systems::DiffDrive']")
        wheel_y = m.body_pos[body('wheel_l')][1]
        wheel_r = m.geom_size[m.body_geomadr[body('wheel_l')]][0]
        assert float(drive.findtext('wheel_separation')) == pytest.approx(2 * wheel_y)
        assert float(drive.findtext('wheel_radius')) == pytest.approx(wheel_r)
        assert _floats(robot, "link[@name='wheel_left']/pose")[1:3] == pytest.approx(
            list(m.body_pos[body('wheel_l')][1:]))
        assert float(drive.findtext('max_linear_velocity')) == cfg.max_linear
        assert float(drive.findtext('min_linear_velocity')) == cfg.min_linear
        assert float(drive.findtext('max_angular_velocity')) == cfg.max_angular
        assert float(drive.findtext('min_angular_velocity')) == -cfg.max_angular
        assert drive.findtext('topic') == GZ_TOPICS['cmd_vel']
        odom = robot.find("plugin[@name='gz::sim::systems::OdometryPublisher']")
        assert (odom.findtext('odom_frame'), odom.findtext('robot_base_frame')) == (
            'odom', 'base_link')
        masses = [float(x.text) for x in robot.iter('mass')]
        assert sum(masses) == pytest.approx(
            m.body_subtreemass[body('base')], rel=1e-6)
        chassis = robot.find("link[@name='base_link']/collision[@name='chassis']")
        assert float(chassis.findtext('geometry/cylinder/radius')) == pytest.approx(
            m.geom_size[geom('chassis')][0])
        assert float(chassis.findtext('geometry/cylinder/length')) == pytest.approx(
            2 * m.geom_size[geom('chassis')][1])

        lidar = robot.find(".//sensor[@type='gpu_lidar']")
        site = mujoco.mj_name2id(m, mujoco.mjtObj.mjOBJ_SITE, 'lidar')
        assert _floats(lidar, 'pose')[:3] == pytest.approx(list(m.site_pos[site]))
        h = lidar.find('lidar/scan/horizontal')
        n = int(h.findtext('samples'))
        lo, hi = float(h.findtext('min_angle')), float(h.findtext('max_angle'))
        assert n == cfg.lidar_rays and lo == pytest.approx(-math.pi)
        assert (hi - lo) / (n - 1) == pytest.approx(2 * math.pi / cfg.lidar_rays)
        assert float(lidar.findtext('lidar/range/min')) == cfg.range_min
        assert float(lidar.findtext('lidar/range/max')) == cfg.range_max

        camera = robot.find(".//sensor[@type='camera']")
        cam = mujoco.mj_name2id(m, mujoco.mjtObj.mjOBJ_CAMERA, 'front')
        assert _floats(camera, 'pose')[:3] == pytest.approx(list(m.cam_pos[cam]))
        assert int(camera.findtext('camera/image/width')) == cfg.camera_width
        assert int(camera.findtext('camera/image/height')) == cfg.camera_height
        hfov = float(camera.findtext('camera/horizontal_fov'))
        assert hfov == pytest.approx(camera_hfov(cfg))
        # Back to the vertical field of view MuJoCo renders with.
        fovy = 2 * math.degrees(math.atan(math.tan(hfov / 2) * cfg.camera_height
                                          / cfg.camera_width))
        assert fovy == pytest.approx(m.cam_fovy[cam])
        # Optical axis: MuJoCo looks along -z of the camera frame, Gazebo along +x.
        pitch = _floats(camera, 'pose')[4]
        look = -np.asarray(m.cam_mat0[cam]).reshape(3, 3)[:, 2]
        assert [math.cos(pitch), 0, -math.sin(pitch)] == pytest.approx(list(look), abs=1e-6)
    finally:
        world.close()


def test_bad_seed_or_episode_is_one_line(tmp_path):
    from robot_learning.errors import ConfigError

    with pytest.raises(ConfigError, match='--episode -1'):
        export_world(tmp_path, seed=0, episode=-1)
    with pytest.raises(ConfigError, match='--seed -2'):
        export_world(tmp_path, seed=-2)
    blocker = tmp_path / 'file'
    blocker.write_text('')
    with pytest.raises(ConfigError, match='cannot write there'):
        export_world(blocker / 'sub')


def test_export_world_verb_writes_the_files_and_refuses_bad_input_in_one_line(tmp_path):
    import sys

    cli = [sys.executable, '-m', 'robot_learning.cli', 'export-world']
    r = subprocess.run([*cli, '--sdf', str(tmp_path / 'w'), '--seed', '2'],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    for name in ('world.sdf', 'robot.sdf', 'task.yaml', 'layout.yaml'):
        assert (tmp_path / 'w' / name).is_file(), name
    assert yaml.safe_load((tmp_path / 'w' / 'layout.yaml').read_text())['seed'] == 2
    r = subprocess.run([*cli, '--sdf', str(tmp_path / 'x'), '--episode', '-1'],
                       capture_output=True, text=True, timeout=120)
    lines = [x for x in r.stderr.splitlines() if x.strip()]
    assert r.returncode == 2 and len(lines) == 1, r.stderr
    assert lines[0].startswith('robot-learning export-world: --episode -1'), lines
