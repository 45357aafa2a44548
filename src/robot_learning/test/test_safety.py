# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 robot_learning maintainers
"""Safety core (no rclpy): bounds, acceleration limits, stop gate, non-finite weights."""

import json
import math

import pytest
from robot_learning.common.checkpoint import bytes_to_weights
from robot_learning.common.features import ActionConfig
from robot_learning.errors import CheckpointError, ConfigError
from robot_learning.safety import (
    CommandLimiter,
    DISABLED,
    E_STOP,
    nonfinite_weights,
    ramp,
    STALE,
    StopGate,
    VelocityLimits,
)
from safetensors.torch import save
import torch


def test_bounds_default_to_the_checkpoint_action_space_and_only_tighten():
    act = ActionConfig()  # training: linear (-0.3, 0.6) m/s
    lim = VelocityLimits(linear=(-0.6, 0.6), angular=(-1.5, 1.5)).tightened(
        act.linear, act.angular
    )
    assert lim.linear == (-0.3, 0.6) and lim.angular == (-1.5, 1.5)
    tight = VelocityLimits(linear=(-0.1, 0.25)).tightened(act.linear, act.angular)
    assert tight.linear == (-0.1, 0.25)
    limiter = CommandLimiter(lim)
    assert limiter.apply(-0.6, 3.0, 0.0) == (-0.3, 1.5)


def test_invalid_limits_and_disjoint_bounds_raise_one_line():
    with pytest.raises(ConfigError, match='min <= max'):
        VelocityLimits(linear=(0.5, -0.5))
    with pytest.raises(ConfigError, match='>= 0'):
        VelocityLimits(linear_accel=-1.0)
    with pytest.raises(ConfigError, match='finite'):
        VelocityLimits(angular=(-math.inf, 1.0))
    with pytest.raises(ConfigError, match='do not overlap'):
        VelocityLimits(linear=(-0.6, 0.0)).tightened((0.1, 0.6), (-1.0, 1.0))


def test_ramp_accelerates_and_decelerates_at_their_own_rates():
    assert ramp(0.0, 1.0, accel=0.5, decel=2.0, dt=0.1) == pytest.approx(0.05)
    assert ramp(1.0, 0.0, accel=0.5, decel=2.0, dt=0.1) == pytest.approx(0.8)
    # Reversing through zero is a deceleration (nav2 velocity_smoother's rule).
    assert ramp(0.1, -1.0, accel=0.5, decel=2.0, dt=0.1) == pytest.approx(-0.1)
    assert ramp(-0.2, -1.0, accel=0.5, decel=2.0, dt=0.1) == pytest.approx(-0.25)
    assert ramp(0.0, 1.0, accel=0.0, decel=0.0, dt=0.1) == 1.0  # no limit
    assert ramp(0.2, 1.0, accel=0.5, decel=0.5, dt=-1.0) == 0.2  # clock stepped back


def test_limiter_uses_the_real_time_between_commands():
    lim = VelocityLimits(linear=(-0.3, 0.6), linear_accel=1.0, linear_decel=2.0,
                         angular_accel=4.0, angular_decel=4.0)
    limiter = CommandLimiter(lim, period_s=0.1, gap_s=0.5)
    v, w = limiter.apply(0.6, 1.0, 10.0)  # first command: ramps from zero over one period
    assert (v, w) == (pytest.approx(0.1), pytest.approx(0.4))
    v, _ = limiter.apply(0.6, 1.0, 10.05)  # 50 ms later: +0.05 m/s
    assert v == pytest.approx(0.15)
    v, _ = limiter.apply(0.6, 1.0, 10.25)  # 200 ms later: +0.2 m/s
    assert v == pytest.approx(0.35)
    v, _ = limiter.apply(0.0, 0.0, 10.3)  # decelerating at 2 m/s^2
    assert v == pytest.approx(0.25)
    limiter.stop(10.4)  # a stop is immediate
    assert limiter.last == (0.0, 0.0)
    v, _ = limiter.apply(0.6, 0.0, 10.5)
    assert v == pytest.approx(0.1)
    v, _ = limiter.apply(0.6, 0.0, 20.0)  # after a long gap the robot has stopped
    assert v == pytest.approx(0.1)


def test_stop_gate_latches_the_e_stop_over_everything():
    gate = StopGate()
    assert gate.reason(None, 0.5) is None and gate.reason(0.1, 0.5) is None
    assert gate.reason(0.6, 0.5) == STALE
    assert gate.set_enabled(False) and gate.reason(0.1, 0.5) == DISABLED
    assert gate.set_e_stop(True) and not gate.set_e_stop(True)
    assert gate.reason(0.1, 0.5) == E_STOP
    gate.set_enabled(True)
    assert gate.reason(0.1, 0.5) == E_STOP  # latched until released
    assert gate.set_e_stop(False) and gate.reason(0.1, 0.5) is None
    assert StopGate(enabled=False).reason(None, 0.5) == DISABLED


def _blob(meta=None, **tensors):
    # Written with safetensors directly: weights_to_bytes itself refuses non-finite metadata.
    meta = meta or {
        'version': 1,
        'action': {'linear': [-0.3, 0.6], 'angular': [-1.5, 1.5]},
        'sac_config': {'max_grad_norm': math.inf},  # not an acting spec: allowed
    }
    return save(tensors, metadata={'robot_learning': json.dumps(meta)})


@pytest.mark.parametrize('dtype', [torch.float32, torch.float64, torch.float16, torch.bfloat16])
def test_nonfinite_weights_are_found_in_every_float_dtype(dtype):
    good = torch.ones(3, 4, dtype=dtype)
    blob = _blob(a=good, b=torch.arange(5))
    assert nonfinite_weights(blob) == []
    bytes_to_weights(blob)  # the layout written here is the one the policy node reads
    for bad_value in (math.nan, math.inf, -math.inf):
        bad = good.clone()
        bad[2, 1] = bad_value
        assert nonfinite_weights(_blob(a=good, z=bad, b=torch.arange(5))) == ['z']


def test_nonfinite_action_spec_is_found_and_a_garbled_blob_raises():
    blob = _blob({'version': 1, 'action': {'linear': [math.nan, 0.6]}}, a=torch.zeros(2))
    assert nonfinite_weights(blob) == ['__metadata__.robot_learning.action.linear[0]']
    with pytest.raises(CheckpointError, match='truncated'):
        nonfinite_weights(b'\x01')
    with pytest.raises(CheckpointError, match='exceeds'):
        nonfinite_weights((10**6).to_bytes(8, 'little') + b'{}')
    with pytest.raises(CheckpointError, match='not JSON'):
        nonfinite_weights((4).to_bytes(8, 'little') + b'{{{{')
