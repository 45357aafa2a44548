# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 robot_learning maintainers
"""The learning-curve plot of the learner and of ``robot-learning demo``."""

import numpy as np
import pytest
from robot_learning.common.curves import plot_learning_curve, rolling_mean

pytest.importorskip('matplotlib')


def test_rolling_mean_is_a_trailing_mean():
    np.testing.assert_allclose(rolling_mean([1, 3, 5, 7], 2), [1.0, 2.0, 4.0, 6.0])
    assert rolling_mean([], 5).size == 0


def test_no_episode_writes_nothing(tmp_path):
    assert plot_learning_curve([], tmp_path / 'curve.png') is None
    assert not (tmp_path / 'curve.png').exists()


def test_eval_rate_adds_the_success_panel_even_without_a_training_success(tmp_path):
    rows = [{'env_steps': 10 * i, 'return': -1.0, 'success': False} for i in range(1, 30)]
    plain = plot_learning_curve(rows, tmp_path / 'plain.png', window=5)
    with_eval = plot_learning_curve(
        rows, tmp_path / 'demo' / 'eval.png', title='demo', window=50, eval_rate=0.4
    )
    assert with_eval == tmp_path / 'demo' / 'eval.png' and with_eval.stat().st_size > 1000
    import matplotlib.image

    # Two panels (return, success with the eval line) are taller than the return alone.
    assert matplotlib.image.imread(with_eval).shape[0] > matplotlib.image.imread(plain).shape[0]
