# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 robot_learning maintainers
"""The takeover rule without ROS: when the supervising expert drives."""

import numpy as np
import pytest
from robot_learning.errors import ConfigError
from robot_learning_sim.takeover_rule import TakeoverRule

FREE = np.full(360, 3.0, np.float32)


def test_stall_engages_for_takeover_steps_then_hands_back():
    rule = TakeoverRule(stall_steps=5, stall_progress=0.1, takeover_steps=3)
    why = [rule.engaged((0.0, 0.0, 0.0), (2.0, 0.0), FREE) for _ in range(9)]
    # Five steps without progress, a 3-step takeover, then a fresh window.
    assert why == ['', '', '', '', 'stalled', 'engaged', 'engaged', '', '']


def test_progress_never_engages_and_obstacle_does():
    rule = TakeoverRule(stall_steps=3, stall_progress=0.1)
    assert not any(rule.engaged((0.2 * i, 0.0, 0.0), (5.0, 0.0), FREE) for i in range(20))
    near = FREE.copy()
    near[10] = -np.inf  # closer than range_min (REP-117)
    assert rule.engaged((4.0, 0.0, 0.0), (5.0, 0.0), near) == 'near_obstacle'


def test_always_and_reset():
    assert TakeoverRule('always').engaged((0, 0, 0), (1, 0), FREE) == 'always'
    rule = TakeoverRule(stall_steps=2, takeover_steps=10)
    rule.engaged((0, 0, 0), (1, 0), FREE)
    assert rule.engaged((0, 0, 0), (1, 0), FREE) == 'stalled'
    rule.reset()
    assert rule.engaged((0, 0, 0), (1, 0), FREE) == ''


def test_bad_mode_is_one_line():
    with pytest.raises(ConfigError, match='must be'):
        TakeoverRule('sometimes')


def test_on_request_engages_when_asked_and_near_obstacles_but_never_judges_stalls():
    rule = TakeoverRule('on_request', stall_steps=2, takeover_steps=2)
    standing = [rule.engaged((0.0, 0.0, 0.0), (2.0, 0.0), FREE) for _ in range(6)]
    assert standing == [''] * 6  # no progress at all, and nobody asked
    asked = [rule.engaged((0.0, 0.0, 0.0), (2.0, 0.0), FREE, requested=r)
             for r in (True, False, False)]
    assert asked == ['requested', 'engaged', '']
    near = FREE.copy()
    near[3] = 0.1
    assert rule.engaged((0.0, 0.0, 0.0), (2.0, 0.0), near) == 'near_obstacle'
    # A request means nothing to the other modes.
    assert TakeoverRule(stall_steps=9).engaged((0, 0, 0), (1, 0), FREE, requested=True) == ''
