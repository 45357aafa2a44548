# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 robot_learning maintainers
"""Unit tests of robot_learning.task (no rclpy): task YAML checks, rewards, episode ends."""

import math

import numpy as np
import pytest
from robot_learning.common.geometry import world_to_base, yaw_from_quaternion
from robot_learning.errors import ConfigError
from robot_learning.task import load_task, pick_goal, task_from_dict, TaskTracker

GOALS = [{'name': 'red', 'position': [2.0, 0.0]}, {'name': 'blue', 'topic': 'sim/objects/blue'}]


def _cfg(**kw):
    return task_from_dict({'goals': GOALS, **kw})


def test_load_and_fields(tmp_path):
    p = tmp_path / 't.yaml'
    p.write_text('task:\n  goals:\n    - {name: red, position: [1, 2]}\n  max_steps: 5\n')
    cfg = load_task(p)
    assert cfg.names == ('red',) and cfg.goals[0].position == (1.0, 2.0)
    assert cfg.max_steps == 5 and cfg.instruction_for('red') == 'go to the red pillar'
    assert cfg.reward.progress == 10.0 and cfg.success_radius == 0.4


@pytest.mark.parametrize('raw, words', [
    ({'goals': GOALS, 'sample': ['purple']}, 'unknown goal'),
    ({'goals': [{'name': 'red'}]}, 'exactly one of'),
    ({'goals': [{'name': 'red', 'position': [1]}]}, 'position must be'),
    ({'goals': GOALS, 'success_radius': -1}, 'success_radius'),
    ({'goals': GOALS, 'reward': {'progres': 1}}, 'unknown reward'),
    ({'goals': GOALS, 'colour': 'x'}, 'unknown field'),
    ({'goals': GOALS + GOALS[:1]}, 'distinct'),
    ({'goals': []}, 'non-empty'),
])
def test_bad_task_is_one_line(raw, words):
    with pytest.raises(ConfigError) as e:
        task_from_dict(raw)
    assert words in str(e.value) and '\n' not in str(e.value)


def test_missing_and_broken_files(tmp_path):
    with pytest.raises(ConfigError, match='task file'):
        load_task(tmp_path / 'none.yaml')
    (tmp_path / 'b.yaml').write_text('task: [unclosed')
    with pytest.raises(ConfigError, match='not YAML'):
        load_task(tmp_path / 'b.yaml')


def test_unknown_goal_name_and_fixed_goal():
    cfg = _cfg()
    with pytest.raises(ConfigError, match='unknown goal'):
        cfg.goal('purple')
    with pytest.raises(ConfigError, match='unknown goal'):
        pick_goal(cfg, np.random.default_rng(0), fixed='purple')


def test_pick_goal_skips_absent_goals():
    cfg = _cfg()
    rng = np.random.default_rng(0)
    goals = np.array([[2.0, 0.0], [np.nan, np.nan]])
    assert {pick_goal(cfg, rng, goals) for _ in range(20)} == {'red'}
    assert pick_goal(cfg, rng, np.full((2, 2), np.nan)) is None
    assert {pick_goal(cfg, rng) for _ in range(50)} == {'red', 'blue'}


def test_world_to_base_matches_world_frame():
    det = world_to_base((1.0, 0.0, math.pi / 2), np.array([[1.0, 2.0], [np.nan, np.nan]]))
    assert det[0] == pytest.approx([2.0, 0.0], abs=1e-6)
    assert np.isnan(det[1]).all()
    yaw = 2.5
    assert yaw_from_quaternion(0.0, 0.0, math.sin(yaw / 2), math.cos(yaw / 2)) == \
        pytest.approx(yaw)


def test_goal_holding_the_robot_at_step_0_is_disarmed_until_left():
    # No reset between episodes: the next one starts where a success ended.
    goals = np.array([[2.0, 0.0], [-2.0, 0.0]])
    t = TaskTracker(_cfg(), 'dense')
    t.begin('red', 0.0, (1.8, 0.0, 0.0), goals)  # inside red's success radius
    assert t.disarmed == ('red',)
    r = t.step(0.1, (1.9, 0.0, 0.0), goals)
    assert r.outcome == 'running' and r.reward == pytest.approx(10 * 0.1 - 0.05)
    assert t.step(0.2, (1.5, 0.0, 0.0), goals).outcome == 'running'  # left: armed again
    assert t.disarmed == ()
    assert t.step(0.3, (1.8, 0.0, 0.0), goals).outcome == 'success'
    # A wrong goal that holds the robot at step 0: no 'failure' until it has left.
    t.begin('red', 1.0, (-1.8, 0.0, 0.0), goals)
    assert t.disarmed == ('blue',)
    assert t.step(1.1, (-1.7, 0.0, 0.0), goals).outcome == 'running'
    assert t.step(1.2, (-1.5, 0.0, 0.0), goals).outcome == 'running'
    assert t.step(1.3, (-1.7, 0.0, 0.0), goals).outcome == 'failure'
    # Nothing near at step 0: nothing disarmed.
    t.begin('red', 2.0, (0.0, 0.0, 0.0), goals)
    assert t.disarmed == ()


def test_dense_reward_is_the_worlds_formula():
    cfg = _cfg()
    goals = np.array([[2.0, 0.0], [-2.0, 0.0]])
    t = TaskTracker(cfg, 'dense')
    assert t.begin('red', 0.0, (0.0, 0.0, 0.0), goals).reward == 0.0
    r = t.step(0.1, (0.5, 0.0, 0.0), goals)
    assert r.reward == pytest.approx(10.0 * 0.5 - 0.05) and r.outcome == 'running'
    r = t.step(0.2, (1.7, 0.0, 0.0), goals)  # 0.3 m from red < 0.4: success
    assert r.terminated and r.outcome == 'success'
    assert r.reward == pytest.approx(10.0 * 1.2 - 0.05 + 10.0)
    assert r.step == 2 and r.episode_return == pytest.approx(4.95 + 21.95)
    assert not t.running


def test_dense_wrong_goal_fails_and_collision_term():
    cfg = _cfg(reward={'collision_range': 0.2})
    goals = np.array([[2.0, 0.0], [-2.0, 0.0]])
    t = TaskTracker(cfg, 'dense')
    t.begin('red', 0.0, (-1.0, 0.0, 0.0), goals)
    r = t.step(0.1, (-1.0, 0.0, 0.0), goals, min_range=0.1)
    assert r.reward == pytest.approx(-0.05 - 0.5)
    r = t.step(0.2, (-1.7, 0.0, 0.0), goals)
    assert r.outcome == 'failure' and r.terminated
    assert r.reward == pytest.approx(10.0 * -0.7 - 0.05 - 5.0)


def test_timeout_by_steps_and_seconds():
    t = TaskTracker(_cfg(max_steps=2), 'operator')
    t.begin('red', 0.0)
    assert not t.step(0.1).truncated
    r = t.step(0.2)
    assert r.truncated and not r.terminated and r.outcome == 'timeout'
    t = TaskTracker(_cfg(max_steps=0, max_seconds=1.0), 'operator')
    t.begin('red', 10.0)
    assert not t.step(10.5).truncated and t.step(11.0).truncated


def test_classifier_needs_consecutive_steps():
    t = TaskTracker(_cfg(), 'classifier', threshold=0.8, consecutive=2)
    t.begin('red', 0.0)
    assert t.step(0.1, probability=0.9).outcome == 'running'
    assert t.step(0.2, probability=0.1).outcome == 'running'  # the run is broken
    assert t.step(0.3, probability=0.95).outcome == 'running'
    assert t.step(0.4, probability=None).outcome == 'running'  # no verdict: the run holds
    r = t.step(0.5, probability=0.85)
    assert r.terminated and r.outcome == 'success' and r.reward == pytest.approx(10.0 - 0.05)


def test_dense_classifier_shapes_with_poses_and_ends_on_the_classifier():
    goals = np.array([[2.0, 0.0], [-2.0, 0.0]])
    t = TaskTracker(_cfg(), 'dense_classifier', threshold=0.8)
    t.begin('red', 0.0, (0.0, 0.0, 0.0), goals)
    r = t.step(0.1, (1.7, 0.0, 0.0), goals, probability=0.1)  # inside the radius: no verdict
    assert r.outcome == 'running' and r.reward == pytest.approx(10.0 * 1.7 - 0.05)
    r = t.step(0.2, (1.8, 0.0, 0.0), goals, probability=0.9)
    assert r.terminated and r.outcome == 'success'
    assert r.reward == pytest.approx(10.0 * 0.1 - 0.05 + 10.0)
    t.begin('red', 1.0, (-1.0, 0.0, 0.0), goals)  # a wrong goal still fails by its radius
    r = t.step(1.1, (-1.7, 0.0, 0.0), goals, probability=0.99)
    assert r.outcome == 'failure'


def test_operator_events_once_per_episode():
    t = TaskTracker(_cfg(), 'operator')
    assert t.request('success')[0] is False  # nothing started
    t.begin('red', 0.0)
    ok, why = t.request('success')
    assert ok and 'next step' in why
    ok, why = t.request('success')  # pressed twice
    assert not ok and 'already' in why
    r = t.step(0.1)
    assert r.terminated and r.outcome == 'success' and r.reward == pytest.approx(9.95)
    ok, why = t.request('failure')
    assert not ok and 'already ended' in why
    t.begin('blue', 0.2)
    assert t.episode == 1 and t.instruction == 'go to the blue pillar'
    t.request('failure')
    r = t.step(0.3)
    assert r.outcome == 'failure' and r.reward == pytest.approx(-5.05)


def test_discard_ends_without_terminal_step():
    t = TaskTracker(_cfg(), 'dense')
    t.begin('red', 0.0, (0.0, 0.0, 0.0), np.array([[2.0, 0.0], [np.nan, np.nan]]))
    assert t.discard_now() and not t.running and t.outcome == 'discarded'
    with pytest.raises(RuntimeError):
        t.step(0.1)


def test_bad_mode_and_threshold():
    with pytest.raises(ConfigError, match='reward mode'):
        TaskTracker(_cfg(), 'privileged')
    with pytest.raises(ConfigError, match='threshold'):
        TaskTracker(_cfg(), 'classifier', threshold=1.0)
