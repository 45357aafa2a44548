# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 robot_learning maintainers
"""Lockstep pacing by the learner's progress (``lockstep_max_lag``), for :mod:`.lockstep`.

An online learner that falls behind a fast simulator trains on a replay buffer filled
faster than it learns from; holding the simulator a bounded number of steps ahead of the
learner keeps the update-to-data ratio what it was configured to be. The learner reports
the env steps it has consumed on ``learner/progress`` (std_msgs/UInt64). A dead learner
must never freeze the robot, so the hold ends after ``lockstep_lag_timeout_s`` without
progress, and before the first progress message nothing is held.
"""

from __future__ import annotations

import math
import time
from typing import Callable

from rclpy.node import Node
from robot_learning_nodes.common import COMMAND_QOS, declare, Diagnostics
from std_msgs.msg import UInt64


class LearnerPacing:
    """Whether step k+1 must wait for the learner.

    Declares ``lockstep_max_lag`` (read-only, 0 = off) and ``lockstep_lag_timeout_s``
    (live through the owner's ``live()``) on ``node``; counts ``lag_waits`` (commands
    held at least once) and ``lag_timeouts`` on ``diag``.
    """

    def __init__(self, node: Node, diag: Diagnostics):
        self._node, self._diag = node, diag
        self.max_lag = declare(
            node, 'lockstep_max_lag', 0,
            'lockstep: hold step k+1 while k - learner/progress exceeds this (0 = off)',
            read_only=True, min_value=0,
        )
        self.timeout_s = declare(
            node, 'lockstep_lag_timeout_s', 5.0,
            'lockstep_max_lag: stop waiting when no learner/progress came for this long '
            '(wall), s', min_value=0.0, max_value=3600.0,
        )
        self.progress = None  # latest learner/progress value
        self._progress_wall = -math.inf
        self._warn_wall = -math.inf
        self._waited = self._timed_out = False  # the held command was counted as such
        self._release: Callable[[], None] | None = None

    def start(self, release: Callable[[], None]) -> None:
        """Subscribe ``learner/progress`` (when pacing is on); ``release`` runs on each."""
        self._release = release
        if self.max_lag > 0:
            self._node.create_subscription(
                UInt64, 'learner/progress', self._on_progress, COMMAND_QOS
            )

    def new_command(self) -> None:
        """Start counting the wait and the timeout of a newly held command (once each)."""
        self._waited = self._timed_out = False

    def lagging(self, steps_total: int, now: float) -> bool:
        """Whether step ``steps_total + 1`` must wait (``now``: monotonic wall time, s)."""
        if self.max_lag <= 0 or self.progress is None:
            return False  # off, or no learner has reported yet
        lag = steps_total - self.progress
        if lag <= self.max_lag:
            return False
        if now - self._progress_wall > self.timeout_s:
            if not self._timed_out:
                self._timed_out = True
                self._diag.count('lag_timeouts')
            if now - self._warn_wall >= 5.0:
                self._warn_wall = now
                self._node.get_logger().warning(
                    f'no learner/progress for {now - self._progress_wall:.1f} s (last '
                    f'{self.progress}, {lag} steps behind): stepping without waiting'
                )
            return False
        if not self._waited:
            self._waited = True
            self._diag.count('lag_waits')
        return True

    def _on_progress(self, msg: UInt64) -> None:
        self.progress = int(msg.data)
        self._progress_wall = time.monotonic()
        self._diag.set('learner_progress', self.progress)
        if self._release is not None:
            self._release()
