# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 robot_learning maintainers
"""Every node and parameter file that a launch file or profile names exists."""

import ast
import configparser
import importlib
from pathlib import Path
import re

import pytest
from robot_learning.errors import ProfileError
from robot_learning_bringup.launch_description import profile_nodes
from robot_learning_bringup.profiles import load_profile, params_file_section, parse_overrides
import yaml

ROOT = Path(__file__).resolve().parents[1]
LAUNCH_FILES = sorted((ROOT / 'launch').glob('*.launch.py'))


def console_scripts(package: str) -> set[str]:
    src = (ROOT / 'src' / package / 'setup.py').read_text()
    return set(re.findall(r"'([\w-]+) = ", src))


def launched_profile(path: Path) -> str:
    tree = ast.parse(path.read_text())
    calls = [
        n
        for n in ast.walk(tree)
        if isinstance(n, ast.Call) and getattr(n.func, 'id', '') == 'generate'
    ]
    assert calls, f'{path.name} does not call generate(<profile>)'
    return calls[0].args[0].value


def test_there_are_launch_files_for_the_sim_profiles():
    names = {p.name for p in LAUNCH_FILES}
    assert {'sim_teleop.launch.py', 'sim_learn.launch.py', 'sim_deploy.launch.py'} <= names


@pytest.mark.parametrize('launch_file', LAUNCH_FILES, ids=lambda p: p.name)
def test_launch_file_names_existing_nodes_and_params(launch_file):
    nodes = profile_nodes(launched_profile(launch_file), check_checkpoint=False)
    assert nodes
    for n in nodes:
        assert n['executable'] in console_scripts(
            n['package']
        ), f"{launch_file.name}: {n['package']} has no executable {n['executable']}"
        module = importlib.import_module(f"{n['package']}.{n['executable']}")
        assert callable(getattr(module, 'main', None))
        for f in n['params_files']:
            assert Path(f).is_file(), f'{launch_file.name}: missing parameter file {f}'
            # Keyed /**/<name>: the file applies under any namespace (issue 8).
            assert params_file_section(Path(f), n['name']) is not None
            assert f"/**/{n['name']}" in yaml.safe_load(Path(f).read_text())


@pytest.mark.parametrize(
    'profile', sorted(p.stem for p in (ROOT / 'config' / 'profiles').glob('*.yaml'))
)
def test_profile_classes_import(profile):
    prof = load_profile(profile)
    for nodes in prof['groups'].values():
        for spec in nodes:
            module, cls = spec['node'].split(':')
            assert hasattr(importlib.import_module(module), cls)


def test_bad_profile_and_override_say_what_to_fix():
    with pytest.raises(ProfileError, match="unknown profile 'nope': choose one of"):
        load_profile('nope')
    with pytest.raises(ProfileError, match='node.param=value'):
        parse_overrides(['mode=lockstep'])
    assert parse_overrides(['sim_node.seed=3', 'a.b=[1, 2]']) == {
        'sim_node': {'seed': 3},
        'a': {'b': [1, 2]},
    }


def test_setup_cfg_installs_node_executables_for_ros2_run():
    for pkg in ('robot_learning_nodes', 'robot_learning_sim'):
        cfg = configparser.ConfigParser()
        cfg.read(ROOT / 'src' / pkg / 'setup.cfg')
        assert cfg['install']['install_scripts'] == f'$base/lib/{pkg}'


def _profile_nodes(profile='sim_learn', **kwargs):
    from robot_learning_bringup.launch_description import profile_nodes as resolve

    return {n['name']: n for n in resolve(profile, **kwargs)}


def test_launch_arguments_are_declared_with_defaults_and_descriptions():
    from robot_learning_bringup.launch_description import launch_arguments

    args = {name: (default, desc) for name, default, desc in launch_arguments('sim_learn')}
    assert set(args) == {
        'namespace', 'use_sim_time', 'params_file', 'log_level', 'cmd_vel', 'odom', 'scan',
        'image', 'pose', 'joy', 'interventions',
    }
    assert args['use_sim_time'][0] == 'true' and args['image'][0] == 'camera/image_raw'
    assert all(desc for _, desc in args.values())
    deploy = {name for name, _, _ in launch_arguments('robot_deploy')}
    assert 'checkpoint' in deploy


def test_user_params_file_layers_over_ours_under_any_namespace(tmp_path):
    user = tmp_path / 'user.yaml'
    user.write_text(
        '/**:\n  ros__parameters:\n    use_sim_time: false\n'
        'policy_node:\n  ros__parameters:\n    max_linear: 0.4\n    use_sim_time: true\n'
        '/robot1/sac_learner:\n  ros__parameters:\n    sac: {n_step: 2}\n'
    )
    nodes = _profile_nodes(namespace='robot1', params_file=str(user))
    assert nodes['policy_node']['namespace'] == '/robot1'
    assert nodes['policy_node']['parameters']['max_linear'] == 0.4
    assert nodes['policy_node']['parameters']['use_sim_time'] is True  # own key beats /**
    assert nodes['sim_node']['parameters']['use_sim_time'] is False
    assert nodes['sim_node']['parameters']['mode'] == 'lockstep'  # profile value kept
    assert nodes['sac_learner']['parameters']['sac.n_step'] == 2
    assert 'sac.n_step' not in _profile_nodes(params_file=str(user))['sac_learner']['parameters']


def test_topic_arguments_remap_every_node_and_log_level_reaches_ros_args():
    nodes = _profile_nodes(
        'sim_teleop', topics={'cmd_vel': '/robot/cmd_vel', 'image': '/cam/rgb'}, log_level='warn'
    )
    assert nodes['camera_ingest']['remaps'] == {
        'image': '/cam/rgb',
        'image/compressed': '/cam/rgb/compressed',
        'cmd_vel': '/robot/cmd_vel',
        'camera/image_raw': '/cam/rgb',
        'camera/image_raw/compressed': '/cam/rgb/compressed',
    }
    assert nodes['sim_node']['remaps']['cmd_vel'] == '/robot/cmd_vel'
    assert nodes['policy_node']['ros_args'] == ['--log-level', 'warn']
    assert _profile_nodes('sim_teleop')['sim_node']['remaps'] == {}


@pytest.mark.parametrize(
    'kwargs, message',
    [
        ({'params_file': '/no/such.yaml'}, 'no such file'),
        ({'namespace': '1robot'}, 'namespace:=1robot'),
        ({'log_level': 'loud'}, 'log_level:=loud: choose one of'),
        ({'topics': {'scan': 'a b'}}, 'scan:=a b: not a ROS topic name'),
        ({'overrides': {'sim_node': {'control_rate': 10}}}, 'control_rate is a double'),
        ({'overrides': {'nobody': {'x': 1}}}, "'nobody' is no node of sim_learn"),
    ],
)
def test_bad_options_say_what_to_fix(kwargs, message):
    with pytest.raises(ProfileError, match=re.escape(message)):
        _profile_nodes(**kwargs)


def test_bad_params_file_content_says_what_to_fix(tmp_path):
    cases = {
        'policy_node:\n  ros__parameters:\n    max_linear: 1\n': 'write 1.0',
        'policy_node:\n  ros__parameters:\n    deterministic: maybe\n': 'is a bool',
        'polcy_node:\n  ros__parameters: {}\n': "'polcy_node' names no node",
        'policy_node: {max_linear: 1.0}\n': 'ros__parameters',
        'a: [': 'not valid YAML',
    }
    for i, (text, message) in enumerate(cases.items()):
        f = tmp_path / f'{i}.yaml'
        f.write_text(text)
        with pytest.raises(ProfileError, match=re.escape(message)):
            _profile_nodes(params_file=str(f))


def test_deploy_profiles_refuse_to_start_without_a_checkpoint(tmp_path):
    for profile in ('robot_deploy', 'sim_deploy', 'sim_intervene'):
        with pytest.raises(ProfileError, match=f'{profile} needs a policy checkpoint'):
            _profile_nodes(profile)
    with pytest.raises(ProfileError, match='no checkpoint.json there'):
        _profile_nodes('robot_deploy', checkpoint=str(tmp_path))
    (tmp_path / 'checkpoint.json').write_text('{}')
    nodes = _profile_nodes('robot_deploy', checkpoint=str(tmp_path))
    assert nodes['policy_node']['parameters']['checkpoint'] == str(tmp_path)


def test_up_without_a_checkpoint_exits_with_one_line_and_starts_nothing():
    import subprocess
    import sys

    r = subprocess.run(
        [sys.executable, '-m', 'robot_learning.cli', 'up', 'robot_deploy'],
        capture_output=True,
        text=True,
        timeout=120,
    )
    lines = [line for line in r.stderr.splitlines() if line.strip()]
    assert r.returncode == 2 and len(lines) == 1, r.stderr
    assert 'robot_deploy needs a policy checkpoint' in lines[0] and '--checkpoint DIR' in lines[0]


def test_launch_ros_finds_every_node_executable_through_the_ament_index():
    # What launch_ros's Node(package=..., executable=...) runs: <prefix>/lib/<package>/<exe>.
    import os

    ament = pytest.importorskip('ament_index_python.packages')
    for profile in sorted(p.stem for p in (ROOT / 'config' / 'profiles').glob('*.yaml')):
        for n in profile_nodes(profile, check_checkpoint=False):
            try:
                prefix = ament.get_package_prefix(n['package'])
            except ament.PackageNotFoundError:
                pytest.skip('workspace not built (colcon build; source install/setup.bash)')
            exe = Path(prefix) / 'lib' / n['package'] / n['executable']
            assert exe.is_file() and os.access(exe, os.X_OK), f'{profile}: {exe} missing'
