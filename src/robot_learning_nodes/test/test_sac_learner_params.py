# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 robot_learning maintainers
"""sac_learner parameters and diagnostics: live sets take effect, the rest are refused."""

from __future__ import annotations

import pytest
from rclpy.parameter import Parameter
from robot_learning.errors import ConfigError
from robot_learning_nodes.sac_learner import SacLearner
from test_joint_learning import _action, _feed, _learner, _pubs


def test_live_warmup_starts_updates_and_bad_sets_are_refused(ros, tmp_path):
    learner = _learner(ros, tmp_path)  # warmup 10**6: no update yet
    _feed(ros, _pubs(ros, ''), 8, start=10)
    ros.spin_until(lambda: learner.learner.transitions == 8, 10.0, '8 transitions')
    ros.spin_for(0.2)
    assert learner.learner.updates == 0
    (r,) = ros.set_params(learner, warmup_transitions=4)
    assert r.successful
    ros.spin_until(lambda: learner.learner.updates >= 8, 20.0, 'updates after the live warmup')
    # Out of the descriptor's range: refused, old values kept.
    (r,) = ros.set_params(learner, sac__demo_ratio=1.5)
    assert not r.successful and 'out of range' in r.reason
    assert learner.sac_cfg.demo_ratio == 0.5
    (r,) = ros.set_params(learner, push_every=0)
    assert not r.successful and learner.push_every == 100
    results = ros.set_params(learner, sac__demo_ratio=0.25, push_every=7)
    assert all(r.successful for r in results)
    assert learner.push_every == 7
    assert learner.sac_cfg.demo_ratio == 0.25  # what batches and the checkpoint sidecar use
    assert learner.learner.sac_cfg is learner.sac_cfg
    # Built once at start-up: refused with a reason, never a silent success.
    for name, value in (('buffer_capacity', 10), ('sac__gamma', 0.9), ('run_dir', '/tmp/x')):
        (r,) = ros.set_params(learner, **{name: value})
        assert not r.successful and 'read-only' in r.reason, name
    assert learner.sac_cfg.gamma == 0.99


def test_out_of_range_start_values_are_one_line_config_errors(ros, tmp_path):
    for name, value in (('sac.gamma', 1.5), ('push_every', 0), ('observation.num_sectors', 0)):
        with pytest.raises(ConfigError, match=name.replace('.', r'\.')) as info:
            SacLearner(
                namespace=ros.ns,
                parameter_overrides=[
                    Parameter('run_dir', value=str(tmp_path / 'r')),
                    Parameter(name, value=value),
                ],
            )
        assert '\n' not in str(info.value)


def test_diagnostics_tasks_warn_on_dropped_input_then_clear(ros, tmp_path):
    learner = _learner(ros, tmp_path, **{'diagnostics.window_s': 1.0})
    pubs = _pubs(ros, '')
    _feed(ros, pubs, 3, start=10)
    d = ros.diagnostics(learner, cond=lambda d: d.get('transitions') == '3')
    assert d['_names'] == 'sac_learner: transitions,sac_learner: updates'
    assert d['_level'] == '0'

    def dropped(d):
        if 'error_action_length' in d:
            return True
        pubs[1].publish(_action(11, [1.0, 2.0]))  # wrong length: dropped and counted
        return False

    d = ros.diagnostics(learner, cond=dropped)
    assert d['_level sac_learner: transitions'] == '1'
    assert 'expected' in d['_message sac_learner: transitions']
    d = ros.diagnostics(learner, cond=lambda d: d['_level'] == '0')
    assert int(d['error_action_length']) >= 1
