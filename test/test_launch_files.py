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
from robot_learning_nodes.launch_description import profile_nodes
from robot_learning_nodes.launcher import load_profile, params_file_section, parse_overrides
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
