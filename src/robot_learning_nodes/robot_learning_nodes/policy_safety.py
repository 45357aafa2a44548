# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 robot_learning maintainers
"""The safety wiring of ``policy_node``: limits, the stop gate, e-stop and enable.

The limits themselves are :mod:`robot_learning.safety` (ROS-free): velocity bounds
intersected with the policy's action space and accel/decel rates
(:class:`~robot_learning.safety.CommandLimiter`), joint command limits, and the
:class:`~robot_learning.safety.StopGate` (enable service, latched e-stop, stale
observations). This module holds their parameters, applies live sets, answers the
``e_stop`` topic and the ``enable`` service, and reports the ``safety`` diagnostics task.
"""

from __future__ import annotations

from typing import Callable

import numpy as np
from rclpy.node import Node
from robot_learning.errors import CheckpointError, ConfigError
from robot_learning.safety import CommandLimiter, E_STOP, STALE, StopGate, VelocityLimits
from std_msgs.msg import Bool
from std_srvs.srv import SetBool

from .diagnostics import Diagnostics
from .health import ERROR, OK, WARN
from .policy_params import BOUNDS, RATE_LIMITS
from .qos import COMMAND_QOS


class PolicySafety:
    """Limits and stop state of one policy node (see the module docstring).

    Args:
        node: owner of the ``e_stop`` subscription and the ``enable`` service.
        diag: the node's diagnostics (task ``safety``).
        p: the node's parameter values (``policy_params.PARAMETERS`` names).
        joint: the node publishes joint commands (``modes.joint_commands``).
        stop: publishes one zero command now (nothing answered: stamp -1).
        teleop_active: whether a human command is driving now.
        refresh: re-evaluates the stop reason after the gate changed (calls :meth:`update`).

    Attributes:
        gate: the stop gate (enable, e-stop).
        limiter: bounds and rate limits of Twist commands.
        joint_limits: ``(lower, upper)`` float arrays (joints, physical units) once a
            joint policy is admitted, else ``(None, None)``.
        obs_timeout: observation age, s, after which the node stops (live).
        reason: why the node is stopped now (``E_STOP``, ``STALE``, disabled), or None.
    """

    def __init__(
        self,
        node: Node,
        diag: Diagnostics,
        p: dict,
        joint: bool,
        stop: Callable[[], None],
        teleop_active: Callable[[], bool],
        refresh: Callable[[], None],
    ):
        self._node, self._diag = node, diag
        self._stop, self._teleop_active, self._refresh = stop, teleop_active, refresh
        self.joint = joint
        self._bounds = {name: p[name] for name in BOUNDS}
        self._rates = {name: p[name] for name in RATE_LIMITS}
        self.joint_lower, self.joint_upper = list(p['joint_lower']), list(p['joint_upper'])
        self.obs_timeout = p['observation_timeout']
        self.command_rate = p['command_rate']
        self.gate = StopGate(enabled=p['start_enabled'])
        self.limiter = CommandLimiter(
            self.velocity_limits(None), 1.0 / self.command_rate, self.obs_timeout
        )
        self.joint_limits: tuple = (None, None)
        self.reason: str | None = None
        self._act_cfg = None  # the admitted policy's action spec
        node.create_subscription(Bool, 'e_stop', self._on_e_stop, COMMAND_QOS)
        node.create_service(SetBool, 'enable', self._on_enable)

    def appliers(self) -> dict:
        """Return the live-parameter appliers of the limits (``live_parameters``)."""
        names = (*BOUNDS, *RATE_LIMITS)
        live = {name: (lambda v, n=name: self._set_limit(n, v)) for name in names}
        live.update(
            observation_timeout=self._set_obs_timeout,
            joint_lower=lambda v: self._set_joint_limits(list(v), self.joint_upper),
            joint_upper=lambda v: self._set_joint_limits(self.joint_lower, list(v)),
        )
        return live

    # --- limits ---------------------------------------------------------------------
    def velocity_limits(self, act_cfg) -> VelocityLimits:
        """Parameter bounds and rates, tightened to ``act_cfg``'s action space (if Twist).

        Raises:
            ConfigError: the bounds are invalid or do not overlap the action space.
        """
        b = self._bounds
        limits = VelocityLimits(
            linear=(b['min_linear'], b['max_linear']),
            angular=(b['min_angular'], b['max_angular']),
            **{field: self._rates[name] for name, field in RATE_LIMITS.items()},
        )
        if act_cfg is not None and getattr(act_cfg, 'kind', 'twist') != 'joint':
            limits = limits.tightened(act_cfg.linear, act_cfg.angular)
        return limits

    def admit(self, policy, command_type: str, joint_names: list[str]) -> list[str]:
        """Fit the limits to ``policy`` before it acts; return the joint names to publish.

        Args:
            policy: the policy about to act (its ``act_cfg``).
            command_type: the node's ``command_type`` (for the message).
            joint_names: the ``joint_names`` parameter (empty: the checkpoint's).

        Returns:
            The joint names of trajectories and echoes ([] for Twist commands).

        Raises:
            CheckpointError: its action kind does not fit ``command_type``, the joint limits,
                the joint names or the velocity bounds (one line).
        """
        act_cfg = policy.act_cfg
        kind = getattr(act_cfg, 'kind', 'twist')
        if (kind == 'joint') != self.joint:
            raise CheckpointError(
                f'the policy commands a {kind} action, this node publishes '
                f'{command_type}: set command_type accordingly'
            )
        names: list[str] = []
        if self.joint:
            self._check_joint_limits(act_cfg)
            names = joint_names or list(act_cfg.names)
            if names and len(names) != act_cfg.dim:
                raise CheckpointError(
                    f'joint_names has {len(names)} names, the policy commands {act_cfg.dim} '
                    'joints'
                )
        else:
            try:
                self.limiter.limits = self.velocity_limits(act_cfg)
            except ConfigError as exc:
                raise CheckpointError(str(exc)) from None
            lo, hi = self.limiter.limits.linear
            self._diag.set('linear_bounds', f'[{lo:g}, {hi:g}]', task='safety')
        self._act_cfg = act_cfg
        return names

    def _set_limit(self, name: str, value: float) -> None:
        table = self._bounds if name in self._bounds else self._rates
        old, table[name] = table[name], float(value)
        try:
            self.limiter.limits = self.velocity_limits(self._act_cfg)
        except ConfigError:
            table[name] = old
            raise

    def _set_obs_timeout(self, value: float) -> None:
        self.obs_timeout = self.limiter.gap_s = float(value)

    def _set_joint_limits(self, lower: list, upper: list) -> None:
        if self._act_cfg is not None and self.joint:
            old = (self.joint_lower, self.joint_upper)
            self.joint_lower, self.joint_upper = lower, upper
            try:
                self._check_joint_limits(self._act_cfg)
            except CheckpointError as exc:
                self.joint_lower, self.joint_upper = old
                raise ConfigError(str(exc)) from None
        elif len(lower) != len(upper) or any(lo > hi for lo, hi in zip(lower, upper)):
            raise ConfigError('joint_lower/joint_upper need equal lengths and lower <= upper')
        self.joint_lower, self.joint_upper = lower, upper

    def _check_joint_limits(self, act_cfg) -> None:
        unset = all(v == 0.0 for v in self.joint_lower + self.joint_upper)
        if unset:
            self.joint_limits = (np.asarray(act_cfg.low), np.asarray(act_cfg.high))
            return
        lo, hi = np.asarray(self.joint_lower, float), np.asarray(self.joint_upper, float)
        if lo.shape != (act_cfg.dim,) or hi.shape != (act_cfg.dim,) or not (lo <= hi).all():
            raise CheckpointError(
                f'joint_lower/joint_upper have {lo.size}/{hi.size} values, the policy '
                f'commands {act_cfg.dim} joints (need lower <= upper)'
            )
        self.joint_limits = (lo, hi)

    # --- stopping -------------------------------------------------------------------
    def stopped(self) -> bool:
        """Return whether no command may go out (teleop still may while only disabled)."""
        # The e-stop stops everything; disabled stops the policy, not an active teleop.
        return self.gate.e_stop or (not self.gate.enabled and not self._teleop_active())

    def stop_reason(self, obs_age_s: float | None) -> str | None:
        """Return why the node must stop, given the newest observation's age (s; None: none)."""
        return self.gate.reason(obs_age_s, self.obs_timeout)

    def update(self, reason: str | None, stop_what: str) -> None:
        """Record ``reason`` as the current stop state and report it on diagnostics."""
        self.reason = reason
        if reason == STALE:
            self._diag.error(
                'error_stale_observation',
                f'newest observation is older than {self.obs_timeout} s: '
                f'{stop_what} at {self.command_rate:g} Hz',
            )
        level = {None: OK, E_STOP: ERROR}.get(reason, WARN)
        text = {None: '', E_STOP: 'e-stop engaged', STALE: 'observations stale'}
        self._diag.set_condition('safety', level, text.get(reason, 'disabled (enable service)'))
        self._diag.set('stopped', reason or 'no', task='safety')

    def _on_e_stop(self, msg: Bool) -> None:
        # A flood costs one comparison per message; only a change is logged and acted on.
        self._diag.count('e_stop_messages')
        if not self.gate.set_e_stop(msg.data):
            return
        if msg.data:
            self._stop()
        # Throttled: a flood alternating true/false must not flood the log either.
        self._node.get_logger().warning(
            'e-stop engaged: zero commands until a false on e_stop'
            if msg.data
            else 'e-stop released',
            throttle_duration_sec=1.0,
        )
        self._refresh()

    def _on_enable(self, request: SetBool.Request, response: SetBool.Response):
        self.gate.set_enabled(request.data)
        response.success = True
        response.message = 'enabled' if request.data else 'disabled: zero policy commands'
        if self.gate.e_stop:
            response.message += ' (e-stop engaged)'
        if not request.data and not self._teleop_active():
            self._stop()
        self._refresh()
        return response
