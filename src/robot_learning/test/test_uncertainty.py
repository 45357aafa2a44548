# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 robot_learning maintainers
"""MC-dropout uncertainty of the BC and ACT policies (the policy node's takeover requests)."""

from __future__ import annotations

import numpy as np
import pytest
from robot_learning.algos.bc import BCConfig
from robot_learning.errors import ConfigError
from test_bc import make_data, raw_of, SMALL, train
from torch import nn


def _rollout(pol, data, frames, samples=0):
    pol.reset()
    out = []
    for f in frames:
        obs = raw_of(data, f, data.frames['image'][f])
        out.append(pol.act_with_uncertainty(obs, samples) if samples else (pol.act(obs), 0.0))
    return out


def test_the_uncertain_action_is_the_plain_one_and_dropout_is_switched_back_off():
    data = make_data(episodes=4, steps=5)
    tr = train(data, BCConfig(**{**SMALL, 'dropout': 0.3}), 30)
    pol = tr.policy()
    frames = data.transitions['obs'][:5]
    plain = _rollout(pol, data, frames)
    mc = _rollout(pol, data, frames, samples=8)
    for (a, _), (b, sigma) in zip(plain, mc):
        assert np.array_equal(a, b)
        assert sigma > 0 and np.isfinite(sigma)
    assert not any(m.training for m in pol.net.modules() if isinstance(m, nn.Dropout))
    again = np.stack([a for a, _ in _rollout(pol, data, frames)])
    assert np.array_equal(again, np.stack([a for a, _ in plain]))
    with pytest.raises(ConfigError, match='at least 2 samples'):
        pol.act_with_uncertainty(raw_of(data, 0, data.frames['image'][0]), 1)


def test_a_network_without_dropout_is_certain():
    data = make_data(episodes=3, steps=3)
    pol = train(data, BCConfig(**{**SMALL, 'dropout': 0.0}), 5).policy()
    assert all(s == 0.0 for _, s in _rollout(pol, data, data.transitions['obs'][:3], 4))
