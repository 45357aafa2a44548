# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 robot_learning maintainers
"""The human takeover of ``policy_node``: ``teleop/cmd_vel`` overrides the policy.

While a teleop command arrived within ``teleop_timeout`` (wall clock) the policy does
not act; the human command goes out instead, marked as an intervention (HIL-SERL's
takeover, Luo et al. 2024). Plain Twist by default (as ``teleop_twist_joy`` publishes),
TwistStamped with ``teleop_stamped``. The e-stop blocks the human too.
"""

from __future__ import annotations

import time
from typing import Callable

from geometry_msgs.msg import Twist, TwistStamped
import numpy as np
from rclpy.node import Node
from robot_learning.safety import StopGate

from .diagnostics import Diagnostics
from .qos import COMMAND_QOS


class TeleopInput:
    """Subscribes ``teleop/cmd_vel`` (if ``subscribe``) and sends what it gets.

    Args:
        node: owner of the subscription.
        diag: counts ``teleop_blocked`` and ``error_teleop_nonfinite``.
        gate: the node's stop gate (the e-stop blocks teleop).
        send: ``send(stamp_us, v, w, intervention=True)`` publishes the command.
        last_stamp: the newest observation's stamp, µs (answered by an unstamped command).
        stamped: the topic carries TwistStamped.
        timeout_s: teleop is active this long after its last message, s (live).
        subscribe: False for joint commands (no teleop: :meth:`active` stays False).
    """

    def __init__(
        self,
        node: Node,
        diag: Diagnostics,
        gate: StopGate,
        send: Callable[..., None],
        last_stamp: Callable[[], int],
        stamped: bool,
        timeout_s: float,
        subscribe: bool = True,
    ):
        self._diag, self._gate, self._send, self._last_stamp = diag, gate, send, last_stamp
        self.timeout_s = timeout_s
        self._wall = -1e9
        if subscribe:
            node.create_subscription(
                TwistStamped if stamped else Twist, 'teleop/cmd_vel', self._on_teleop, COMMAND_QOS
            )

    def active(self) -> bool:
        """Return whether a human command came within the timeout (wall clock)."""
        return time.monotonic() - self._wall < self.timeout_s

    def _on_teleop(self, msg) -> None:
        t = msg.twist if isinstance(msg, TwistStamped) else msg
        v, w = t.linear.x, t.angular.z
        if not (np.isfinite(v) and np.isfinite(w)):
            self._diag.error(
                'error_teleop_nonfinite', 'teleop/cmd_vel has non-finite values; ignored'
            )
            return
        if self._gate.e_stop:
            self._diag.count('teleop_blocked')  # the e-stop stops the human too
            return
        self._wall = time.monotonic()
        stamp = -1
        if isinstance(msg, TwistStamped) and (msg.header.stamp.sec or msg.header.stamp.nanosec):
            stamp = msg.header.stamp.sec * 1_000_000 + (msg.header.stamp.nanosec + 500) // 1000
        if stamp < 0:
            stamp = self._last_stamp()
        self._send(stamp, v, w, intervention=True)
