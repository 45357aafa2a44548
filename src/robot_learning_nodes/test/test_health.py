# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 robot_learning maintainers
"""Diagnostic level logic without rclpy: windowed error rates, expected rates, staleness."""

import pytest
from robot_learning_nodes.health import ERROR, OK, STALE, TaskHealth, WARN, WindowCounter


class FakeClock:
    def __init__(self, t: float = 100.0):
        self.t = t

    def __call__(self) -> float:
        return self.t


def test_window_counter_forgets_old_events():
    c = WindowCounter(2.0, buckets=20)
    c.add(10.0, 3)
    c.add(11.0, 2)
    assert c.total(11.0) == 5
    assert c.total(12.05) == 2  # the events at t=10 are more than 2 s old
    assert c.total(13.5) == 0
    with pytest.raises(ValueError):
        WindowCounter(0.0)


def test_window_counter_memory_is_bounded():
    c = WindowCounter(1.0, buckets=10)
    for i in range(100_000):
        c.add(i * 1e-3)
    assert len(c._counts) <= 21
    assert c.total(99.999) == pytest.approx(1000, abs=100)


def test_error_burst_warns_then_clears_after_the_window():
    clock = FakeClock()
    t = TaskHealth('images', window_s=5.0, clock=clock)
    assert t.evaluate()[0] == OK
    for _ in range(10):
        t.tick()
    for _ in range(3):
        t.error('bad png')
    level, message, values = t.evaluate()
    assert level == WARN
    assert '3 errors in the last 5 s: bad png' in message
    assert dict(values)['errors_in_window'] == '3'
    clock.t += 3.0
    t.tick()
    assert t.evaluate()[0] == WARN  # still inside the window
    clock.t += 2.6
    t.tick()
    level, message, values = t.evaluate()
    assert (level, message) == (OK, 'ok')  # the burst left the window: no latching
    assert dict(values)['errors_total'] == '3'  # the totals keep the history


def test_only_broken_input_is_error():
    clock = FakeClock()
    t = TaskHealth('images', window_s=2.0, clock=clock)
    for _ in range(9):
        t.error('truncated jpeg')
    assert t.evaluate()[0] == WARN  # a few broken inputs
    t.error('truncated jpeg')
    assert t.evaluate()[0] == ERROR  # a stream of nothing but broken input
    t.tick()
    assert t.evaluate()[0] == WARN
    t2 = TaskHealth('x', window_s=2.0, error_ratio=0.5, error_min=1, clock=clock)
    t2.tick()
    t2.error('e')
    assert t2.evaluate()[0] == ERROR


def test_rate_below_expected_warns_once_the_window_is_full():
    clock = FakeClock()
    t = TaskHealth('scans', window_s=2.0, expected_hz=10.0, clock=clock)
    t.tick()
    assert t.evaluate()[0] == OK  # the window is not full yet: no verdict on the rate
    for _ in range(40):  # 20 Hz for 2 s
        clock.t += 0.05
        t.tick()
    assert t.evaluate()[0] == OK
    for _ in range(8):  # then 2 Hz
        clock.t += 0.5
        t.tick()
    level, message, _ = t.evaluate()
    assert level == WARN
    assert 'expected 10 Hz' in message


def test_stale_when_input_stops_and_before_the_first():
    clock = FakeClock()
    t = TaskHealth('odom', window_s=1.0, stale_s=3.0, clock=clock)
    clock.t += 2.0
    assert t.evaluate()[0] == OK
    clock.t += 1.5
    level, message, _ = t.evaluate()
    assert level == STALE and 'no input yet' in message
    t.tick()
    assert t.evaluate()[0] == OK
    clock.t += 3.5
    assert t.evaluate()[0] == STALE


def test_condition_holds_until_cleared_and_window_change_restarts():
    clock = FakeClock()
    t = TaskHealth('commands', window_s=5.0, clock=clock)
    t.set_condition(ERROR, 'e-stop engaged')
    level, message, _ = t.evaluate()
    assert (level, message) == (ERROR, 'e-stop engaged')
    t.set_condition(OK)
    assert t.evaluate()[0] == OK
    t.error('x')
    t.set_window(1.0)
    assert t.evaluate()[0] == OK
    assert dict(t.evaluate()[2])['window_s'] == '1'
