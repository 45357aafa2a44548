# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 robot_learning maintainers
"""Command safety for a deployed policy: velocity bounds, acceleration limits, stop gate.

ROS-free logic behind ``robot_learning_nodes.policy_node``'s safety layer:

* :class:`VelocityLimits`: asymmetric bounds on forward speed (m/s) and yaw rate (rad/s),
  tightened to the checkpoint's action space (:meth:`VelocityLimits.tightened`), plus
  acceleration and deceleration limits (m/s^2, rad/s^2; 0 = none).
* :class:`CommandLimiter`: applies them to each command using the time since the previous
  command, in the manner of nav2's ``velocity_smoother`` (speeding up in the same
  direction is an acceleration; slowing down or reversing through zero is a
  deceleration) and ros2_control's ``SpeedLimiter``.
* :class:`StopGate`: the latched e-stop, the enable switch and stale observations, and
  which of them stops which command source (policy or teleop).
* :func:`nonfinite_weights`: names of the tensors (and metadata numbers) of a safetensors
  weights blob that hold NaN or infinity, checked before a streamed actor is swapped in.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
import json
import math
from typing import Any

import numpy as np
from robot_learning.errors import CheckpointError, ConfigError

#: Why commands are zero; ``None`` from :meth:`StopGate.reason` means none of them holds.
E_STOP = 'e_stop'
DISABLED = 'disabled'
STALE = 'stale'


@dataclass(frozen=True)
class VelocityLimits:
    """Bounds and rate limits of a planar velocity command (REP-103: x forward, z up).

    Attributes:
        linear: (min, max) forward speed ``linear.x`` in m/s; min may be negative (reverse).
        angular: (min, max) yaw rate ``angular.z`` in rad/s.
        linear_accel: largest increase of ``|linear.x|`` per second, m/s^2 (0 = no limit).
        linear_decel: largest decrease of ``|linear.x|`` per second, m/s^2 (0 = no limit).
        angular_accel: same for ``|angular.z|``, rad/s^2.
        angular_decel: same for ``|angular.z|``, rad/s^2.

    Raises:
        ConfigError: a bound or limit is not finite, min > max, or a limit is negative.
    """

    linear: tuple = (-0.6, 0.6)
    angular: tuple = (-1.5, 1.5)
    linear_accel: float = 0.0
    linear_decel: float = 0.0
    angular_accel: float = 0.0
    angular_decel: float = 0.0

    def __post_init__(self):
        for name in ('linear', 'angular'):
            lo, hi = (float(x) for x in getattr(self, name))
            if not (math.isfinite(lo) and math.isfinite(hi) and lo <= hi):
                raise ConfigError(f'{name} velocity bounds must be finite with min <= max, '
                                  f'got ({lo}, {hi})')
            object.__setattr__(self, name, (lo, hi))
        for name in ('linear_accel', 'linear_decel', 'angular_accel', 'angular_decel'):
            value = float(getattr(self, name))
            if not (math.isfinite(value) and value >= 0.0):
                raise ConfigError(f'{name} must be finite and >= 0 (0 = no limit), got {value}')
            object.__setattr__(self, name, value)

    def tightened(self, linear: tuple, angular: tuple) -> 'VelocityLimits':
        """Intersect the bounds with another pair, e.g. a checkpoint's action space.

        Args:
            linear: (min, max) m/s, e.g. ``ActionConfig.linear`` (-0.3, 0.6).
            angular: (min, max) rad/s.

        Returns:
            A copy whose bounds lie inside both; the rate limits are kept.

        Raises:
            ConfigError: the two ranges of an axis do not overlap.
        """
        out = {}
        for name, (lo2, hi2) in (('linear', linear), ('angular', angular)):
            lo1, hi1 = getattr(self, name)
            lo, hi = max(lo1, float(lo2)), min(hi1, float(hi2))
            if lo > hi:
                raise ConfigError(
                    f'{name} bounds ({lo1}, {hi1}) and the action space ({lo2}, {hi2}) '
                    'do not overlap'
                )
            out[name] = (lo, hi)
        return replace(self, **out)


def ramp(current: float, target: float, accel: float, decel: float, dt: float) -> float:
    """Move ``current`` towards ``target`` by at most the rate limit over ``dt`` seconds.

    Speeding up (``|target| > |current|`` in the same direction) is limited by ``accel``;
    slowing down and reversing (through zero) by ``decel``, as nav2's velocity smoother
    does. A limit of 0 means none: the target is returned.

    Args:
        current: the previous command (unit u, e.g. m/s).
        target: the wanted command (u).
        accel: acceleration limit (u/s), >= 0.
        decel: deceleration limit (u/s), >= 0.
        dt: seconds since the previous command; <= 0 allows no change.

    Returns:
        The limited command (u).
    """
    speeding_up = abs(target) > abs(current) and current * target >= 0.0
    limit = accel if speeding_up else decel
    if limit <= 0.0:
        return target
    step = limit * max(dt, 0.0)
    return current + min(max(target - current, -step), step)


def _clip(x: float, bounds: tuple) -> float:
    # Plain floats: np.clip costs ~10 us a call, this well under 1 us (per command).
    return min(max(float(x), bounds[0]), bounds[1])


class CommandLimiter:
    """Bounds and rate-limits (v, w) commands; remembers the last one sent.

    The rate limits use the real time between commands (the caller's clock, s). After a
    gap longer than ``gap_s`` the robot is assumed to have stopped (a ros2_control
    controller does after its ``cmd_vel_timeout``), so the next command ramps up from
    zero over one nominal ``period_s``.

    Args:
        limits: bounds and rate limits.
        period_s: nominal time between commands (s), used after a gap.
        gap_s: a longer silence (s) means the robot stopped.
    """

    def __init__(self, limits: VelocityLimits, period_s: float = 0.1, gap_s: float = 0.5):
        self.limits = limits
        self.period_s = float(period_s)
        self.gap_s = float(gap_s)
        self.last = (0.0, 0.0)
        self._t: float | None = None

    def apply(self, v: float, w: float, t: float) -> tuple[float, float]:
        """Limit one command wanted at time ``t``.

        Args:
            v: wanted forward speed (m/s), finite.
            w: wanted yaw rate (rad/s), finite.
            t: time of the command (s, any monotonic-enough clock; a step back allows no
                change for this one command).

        Returns:
            (v, w) within the bounds and rate limits; remembered as the last command.
        """
        lim = self.limits
        if self._t is None or t - self._t > self.gap_s:
            (cv, cw), dt = (0.0, 0.0), self.period_s
        else:
            (cv, cw), dt = self.last, t - self._t
        v = _clip(ramp(cv, _clip(v, lim.linear), lim.linear_accel, lim.linear_decel, dt),
                  lim.linear)  # bounds tightened live may cut below a ramp: the bound wins
        w = _clip(ramp(cw, _clip(w, lim.angular), lim.angular_accel, lim.angular_decel, dt),
                  lim.angular)
        self.last, self._t = (v, w), t
        return v, w

    def stop(self, t: float) -> None:
        """Record a zero command sent at ``t`` (a stop bypasses the deceleration limit)."""
        self.last, self._t = (0.0, 0.0), t


class StopGate:
    """Latched e-stop, enable switch and stale observations: why commands must be zero.

    The e-stop stops every command, teleop included, until released. Disabled and stale
    stop the policy only: a human at the joystick still drives (takeover), within the
    same bounds.

    Args:
        enabled: whether the node starts enabled.
    """

    def __init__(self, enabled: bool = True):
        self.e_stop = False
        self.enabled = bool(enabled)

    def set_e_stop(self, engaged: bool) -> bool:
        """Engage (True) or release (False) the e-stop; returns whether it changed."""
        changed = bool(engaged) != self.e_stop
        self.e_stop = bool(engaged)
        return changed

    def set_enabled(self, enabled: bool) -> bool:
        """Enable or disable the policy; returns whether it changed."""
        changed = bool(enabled) != self.enabled
        self.enabled = bool(enabled)
        return changed

    def reason(self, observation_age: float | None, timeout: float) -> str | None:
        """Why the policy must command zero, or None.

        Args:
            observation_age: seconds since the newest observation; None before the first
                (not stale: nothing has been commanded yet).
            timeout: age (s) beyond which the observation is stale.

        Returns:
            :data:`E_STOP`, :data:`DISABLED`, :data:`STALE` (in that precedence) or None.
        """
        if self.e_stop:
            return E_STOP
        if not self.enabled:
            return DISABLED
        if observation_age is not None and observation_age > timeout:
            return STALE
        return None


#: Metadata entries the actor acts with; their numbers must be finite.
_ACTING_SPECS = ('observation', 'action')

# safetensors dtype -> (numpy dtype to view the bytes as, mask of an all-ones exponent).
# Floats without numpy support are checked by their bit pattern: all-ones exponent =
# infinity or NaN (IEEE 754); float8 e4m3 ("fn") has no infinity and NaN = S.1111.111.
_FLOAT_VIEWS = {
    'F64': (np.dtype('<f8'), None),
    'F32': (np.dtype('<f4'), None),
    'F16': (np.dtype('<f2'), None),
    'BF16': (np.dtype('<u2'), 0x7F80),
    'F8_E5M2': (np.dtype('u1'), 0x7C),
    'F8_E4M3': (np.dtype('u1'), 0x7F),
}


def nonfinite_weights(blob: bytes) -> list[str]:
    """Names of the tensors and metadata numbers of a weights blob that are not finite.

    Reads the safetensors layout (8-byte little-endian header length, JSON header with
    ``dtype`` and ``data_offsets`` per tensor, then the data) without building tensors,
    so every float tensor is checked in place; integer and bool tensors are always
    finite. The numbers of the specs the actor acts with (``observation`` and ``action``
    in the JSON metadata: observation scales, action bounds) are checked too.

    Args:
        blob: the safetensors bytes (``checkpoint.weights_to_bytes``).

    Returns:
        Sorted names of non-finite tensors, and ``__metadata__.<key>...`` paths of
        non-finite metadata numbers; empty when every value is finite.

    Raises:
        CheckpointError: the blob is not a readable safetensors layout (one line).
    """
    data = memoryview(blob).cast('B')
    if len(data) < 8:
        raise CheckpointError(f'weights blob is truncated: {len(data)} bytes')
    size = int.from_bytes(data[:8], 'little')
    if size > len(data) - 8:
        raise CheckpointError(f'weights blob header of {size} bytes exceeds the blob')
    try:
        header = json.loads(bytes(data[8:8 + size]))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise CheckpointError(f'weights blob header is not JSON: {exc}') from None
    if not isinstance(header, dict):
        raise CheckpointError('weights blob header is not a JSON object')
    body = data[8 + size:]
    bad = []
    for name, info in header.items():
        if name == '__metadata__':
            bad += _nonfinite_metadata(info)
            continue
        try:
            dtype_name = info['dtype']
            begin, end = (int(x) for x in info['data_offsets'])
        except (TypeError, KeyError, ValueError):
            raise CheckpointError(
                f'weights blob entry {name!r} lacks dtype/data_offsets'
            ) from None
        view = _FLOAT_VIEWS.get(dtype_name)
        if view is None:
            continue
        dtype, mask = view
        if not 0 <= begin <= end <= len(body) or (end - begin) % dtype.itemsize:
            raise CheckpointError(f'weights blob tensor {name!r} has bad data_offsets')
        values = np.frombuffer(body[begin:end], dtype)
        finite = np.isfinite(values).all() if mask is None else not ((values & mask) == mask).any()
        if not finite:
            bad.append(name)
    return sorted(bad)


def _nonfinite_metadata(meta: Any) -> list[str]:
    # Only the specs the actor is run with (observation scales, action bounds): other
    # metadata (training statistics, optimiser settings) may legitimately be infinite.
    if not isinstance(meta, dict):
        return []
    bad: list[str] = []
    for key, text in meta.items():
        try:
            value = json.loads(text)
        except (TypeError, ValueError):
            continue  # a plain string: no numbers in it
        if isinstance(value, dict):
            for spec in _ACTING_SPECS:
                _walk(value.get(spec), f'__metadata__.{key}.{spec}', bad)
    return bad


def _walk(value: Any, path: str, bad: list[str]) -> None:
    if isinstance(value, float) and not math.isfinite(value):
        bad.append(path)
    elif isinstance(value, dict):
        for k, v in value.items():
            _walk(v, f'{path}.{k}', bad)
    elif isinstance(value, list):
        for i, v in enumerate(value):
            _walk(v, f'{path}[{i}]', bad)
