# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 robot_learning maintainers
"""The success-gated curriculum (robot_learning.common.curriculum), no ROS."""

import pytest
from robot_learning.common.curriculum import CurriculumConfig, SuccessCurriculum
from robot_learning.errors import ConfigError


def test_moves_up_after_a_full_window_at_the_success_rate_and_stays_at_the_last():
    cur = SuccessCurriculum(CurriculumConfig(levels=(1.5, 2.5, 0.0), window=4, promote_at=0.75))
    assert cur.value == 1.5 and not cur.final
    for ok in (True, True, False):
        assert not cur.record(ok)  # window not full
    assert cur.record(True)  # 3 of 4 = 0.75
    assert cur.value == 2.5 and cur.success_rate() == 0.0  # a fresh window
    for ok in (True, False, True, False, False, True):
        assert not cur.record(ok)  # never 3 of the last 4
    assert cur.record(True) is False and cur.level == 1
    assert cur.record(True) and cur.final and cur.value == 0.0
    for _ in range(10):
        assert not cur.record(True)
    assert cur.promotions == [(4, 1), (12, 2)]


@pytest.mark.parametrize('kw', [
    {'levels': ()}, {'levels': (0.0, 2.0)}, {'levels': (-1.0,)}, {'levels': ('far',)},
    {'window': 0}, {'window': 2.5}, {'promote_at': 0.0}, {'promote_at': 1.5},
])
def test_bad_configs_are_refused_in_one_line(kw):
    with pytest.raises(ConfigError) as info:
        CurriculumConfig(**kw)
    assert '\n' not in str(info.value)
