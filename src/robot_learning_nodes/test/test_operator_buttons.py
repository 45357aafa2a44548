# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 robot_learning maintainers
"""operator_node's button edges, key map, event plans and queue, without rclpy."""

from pathlib import Path

import pytest
from robot_learning_nodes.operator_buttons import (
    ButtonEdges,
    DEFAULT_BUTTONS,
    EventQueue,
    EVENTS,
    key_event,
    plan,
)


def _buttons(*down, n=11):
    return [int(i in down) for i in range(n)]


def test_a_held_button_is_one_press_and_a_release_rearms_it():
    edges = ButtonEdges(DEFAULT_BUTTONS, debounce_s=0.25)
    start = DEFAULT_BUTTONS['start']
    assert edges.update(_buttons(start), 0.0) == (['start'], [])
    for k in range(50):  # held: joy_node repeats the same state (autorepeat_rate)
        assert edges.update(_buttons(start), 0.02 * (k + 1)) == ([], [])
    assert edges.update(_buttons(), 1.1) == ([], [])
    assert edges.update(_buttons(start), 1.2) == (['start'], [])


def test_a_press_within_the_debounce_window_is_dropped_and_counted():
    edges = ButtonEdges(DEFAULT_BUTTONS, debounce_s=0.25)
    a = DEFAULT_BUTTONS['success']
    assert edges.update(_buttons(a), 0.0)[0] == ['success']
    edges.update(_buttons(), 0.05)
    assert edges.update(_buttons(a), 0.1)[0] == []  # bounce / double press
    assert edges.debounced == 1
    edges.update(_buttons(), 0.2)
    assert edges.update(_buttons(a), 0.4)[0] == ['success']


def test_two_buttons_in_one_message_give_both_events_in_order():
    edges = ButtonEdges(DEFAULT_BUTTONS, debounce_s=0.25)
    got, _ = edges.update(_buttons(DEFAULT_BUTTONS['stop'], DEFAULT_BUTTONS['success']), 0.0)
    assert got == ['success', 'stop']


def test_a_short_message_names_the_missing_buttons_and_keeps_their_state():
    edges = ButtonEdges(DEFAULT_BUTTONS, debounce_s=0.0)
    start = DEFAULT_BUTTONS['start']
    assert edges.needed == 8
    assert edges.update(_buttons(start), 0.0) == (['start'], [])
    pressed, missing = edges.update([1, 0, 0, 0], 0.1)  # a 4-button pad
    assert pressed == ['success'] and set(missing) == {'start', 'stop'}
    # start was held all along: no new press when the full message comes back.
    assert edges.update(_buttons(start), 0.2) == ([], [])
    assert edges.update([], 0.3) == ([], sorted(edges.mapping, key=EVENTS.index))


def test_bad_mappings_are_refused():
    with pytest.raises(ValueError, match='share a button'):
        ButtonEdges({'start': 1, 'stop': 1}, 0.1)
    with pytest.raises(ValueError, match='unknown events'):
        ButtonEdges({'jump': 1}, 0.1)
    assert ButtonEdges({'start': -1, 'stop': 2}, 0.1).mapping == {'stop': 2}


def test_keys():
    keys = {'start': 'r', 'success': 's', 'stop': ''}
    assert key_event('R', keys) == 'start' and key_event('s', keys) == 'success'
    assert key_event('q', keys) is None and key_event('', keys) is None


def test_plans_follow_the_recorder_order():
    assert [s.service for s in plan('start')] == ['recorder/start_episode', 'task/reset']
    assert plan('start')[0].needed  # no bag: no task reset
    ok = plan('success')
    # The verdict first, then its terminal episode status, then the label and the stop.
    assert [s.service for s in ok] == [
        'task/success', 'episode', 'recorder/set_success', 'recorder/stop_episode']
    assert [s.wait for s in ok] == [False, True, False, False]
    assert ok[1].group == 'task'  # task_services: off drops the wait with the call
    assert ok[2].data is True and plan('failure')[2].data is False
    assert not any(s.wait for e in ('start', 'discard', 'stop') for s in plan(e))
    assert [s.service for s in plan('discard')] == ['task/discard', 'recorder/discard_episode']
    assert [s.service for s in plan('stop')] == ['recorder/stop_episode']
    with pytest.raises(ValueError):
        plan('jump')


def test_queue_refuses_double_presses_and_a_start_while_recording():
    q = EventQueue(depth=2)
    assert q.submit('start', 'idle') is None and q.take() == 'start'
    assert 'in flight' in q.submit('start', 'idle')
    q.done()
    assert 'end it first' in q.submit('start', 'recording episode_0001')
    assert q.submit('success', 'recording episode_0001') is None
    assert 'queued' in q.submit('success', 'recording episode_0001')
    # A start behind an ending event is fine: it runs once the episode has ended.
    assert q.submit('start', 'recording episode_0001') is None
    assert 'already queued' in q.submit('stop', 'recording episode_0001')
    assert q.take() == 'success' and q.take() is None
    q.done()
    assert q.take() == 'start'


@pytest.mark.parametrize('profile', ['robot_record', 'robot_learn'])
def test_real_robot_profiles_start_no_episode_until_start_is_pressed(profile):
    # No reset service moves a real robot: with autoreset an unrecorded episode would run
    # (and time out, and be learnt from) while the person drives back after a verdict.
    from ruamel.yaml import YAML

    path = Path(__file__).resolve().parents[3] / 'config' / 'profiles' / f'{profile}.yaml'
    groups = YAML(typ='safe').load(path.read_text())['groups']
    nodes = {n['name']: n for group in groups.values() for n in group}
    assert nodes['task_node']['parameters']['autoreset'] is False
    assert 'operator_node' in nodes  # Start (task/reset) begins each episode
