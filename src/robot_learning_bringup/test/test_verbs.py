# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 robot_learning maintainers
"""The ``robot_learning.verbs`` entry points this package gives the core's CLI."""

import argparse
from importlib import metadata

import pytest
from robot_learning.errors import ProfileError
from robot_learning_bringup import launcher, verbs
from robot_learning_bringup.profiles import available_profiles, parse_overrides


def test_every_ros_verb_is_an_entry_point_of_this_package():
    found = {ep.name: ep for ep in metadata.entry_points(group='robot_learning.verbs')}
    assert set(found) >= {'up', 'profiles', 'demo', 'eval', 'export-world'}
    for name, ep in found.items():
        # export-world needs no ROS: robot_learning_sim registers it (the world's package).
        home = 'robot_learning_bringup.verbs:'
        if name == 'export-world':
            home = 'robot_learning_sim.world_sdf:'
        assert ep.value.startswith(home), (name, ep.value)
        assert callable(ep.load())


def test_profiles_prints_one_line_per_profile(capsys):
    assert verbs.run_profiles(argparse.Namespace()) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in lines] == available_profiles()
    assert {'sim_teleop', 'sim_learn', 'sim_deploy'} <= set(available_profiles())


def test_up_refuses_a_bad_profile_or_override_before_starting_anything():
    args = {'set': [], 'namespace': '', 'params_file': '', 'checkpoint': '', 'log_level': ''}
    with pytest.raises(ProfileError, match="unknown profile 'nope'"):
        verbs.run_up(argparse.Namespace(profile='nope', **args))
    args['set'] = ['sim_node.mode']
    with pytest.raises(ProfileError, match='write node.param=value'):
        verbs.run_up(argparse.Namespace(profile='sim_learn', **args))


def test_child_processes_get_the_same_options(tmp_path):
    params = tmp_path / 'mine.yaml'
    options = launcher._options(['sim_node.seed=3'], 'robot1', str(params), '', 'warn')
    assert options['overrides'] == parse_overrides(['sim_node.seed=3']) == {
        'sim_node': {'seed': 3}
    }
    assert launcher._child_args(['sim_node.seed=3'], options) == [
        '--set', 'sim_node.seed=3',
        '--namespace', 'robot1',
        '--params-file', str(params.resolve()),
        '--log-level', 'warn',
    ]


def test_the_moved_names_still_import_from_the_launcher():
    for name in ('config_dir', 'params_file_section', 'available_profiles', 'load_profile',
                 'parse_overrides', 'ProfileProcesses', 'create_nodes', 'run_group'):
        assert callable(getattr(launcher, name)), name
