# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 robot_learning maintainers
"""Profile switches: a launch argument / ``up NAME:=VALUE`` that turns nodes and overrides on."""

import pytest
from robot_learning.errors import ProfileError
from robot_learning_bringup.launch_description import launch_arguments, profile_nodes
from robot_learning_bringup.launcher import _child_args, _options, parse_switches


def _nodes(**kw):
    return {n['name']: n for n in profile_nodes('sim_learn', **kw)}


def test_sim_learn_interventions_start_the_expert_and_the_teleop_settings():
    off = _nodes()
    assert 'expert_teleop' not in off  # default false: nothing takes over
    assert 'teleop_stamped' not in off['policy_node']['parameters']
    on = _nodes(switches={'interventions': True})
    assert on['expert_teleop']['parameters']['takeover'] == 'on_trouble'
    assert on['expert_teleop']['group'] == 'env'  # in lockstep with the sim and policy
    policy = on['policy_node']['parameters']
    assert policy['teleop_stamped'] is True and policy['teleop_timeout'] == 0.15
    assert policy['deterministic'] is False  # SAC still explores
    assert on['sim_node']['parameters']['lockstep_resend_s'] == 0.2
    assert _nodes(switches={'interventions': False}).keys() == off.keys()


def test_a_switch_is_a_launch_argument_and_an_up_option():
    args = {name: default for name, default, _ in launch_arguments('sim_learn')}
    assert args['interventions'] == 'false'
    assert parse_switches(['interventions:=true', 'x:=off']) == {'interventions': True, 'x': False}
    options = _options(switches={'interventions': True})
    assert _child_args([], options) == ['--switch', 'interventions=true']  # no rcl remap
    assert parse_switches(['interventions=true']) == {'interventions': True}


@pytest.mark.parametrize(
    'call, text',
    [
        (lambda: parse_switches(['interventions']), 'write name:=true'),
        (lambda: parse_switches(['interventions:=maybe']), 'write true or false'),
        (lambda: _nodes(switches={'expert': True}), "sim_learn has no switch 'expert'"),
    ],
)
def test_a_bad_switch_is_refused_in_one_line(call, text):
    with pytest.raises(ProfileError, match=text):
        call()


def test_the_launch_file_takes_the_switch_as_a_launch_argument():
    launch = pytest.importorskip('launch')
    from robot_learning_bringup.launch_description import _launch_nodes

    ctx = launch.LaunchContext()
    for name, default, _ in launch_arguments('sim_learn'):
        ctx.launch_configurations[name] = default
    assert len(_launch_nodes(ctx, 'sim_learn')) == 4
    ctx.launch_configurations['interventions'] = 'true'
    assert len(_launch_nodes(ctx, 'sim_learn')) == 5  # + expert_teleop
    ctx.launch_configurations['interventions'] = 'nope'
    with pytest.raises(ProfileError, match='interventions:=nope: write true or false'):
        _launch_nodes(ctx, 'sim_learn')
