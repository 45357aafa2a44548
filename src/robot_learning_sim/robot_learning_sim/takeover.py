# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 robot_learning maintainers
"""When the scripted expert takes over a deployed policy (HG-DAgger gating, ROS parameters).

HG-DAgger (Kelly et al. 2019) lets a human supervise a learner and take over only when it
goes wrong. ``expert_teleop`` with ``takeover: on_trouble`` plays that human: it engages
when the robot makes less than ``stall_progress_m`` progress toward the goal over
``stall_steps`` steps, moves more than ``away_m`` away from it over ``away_steps`` steps
(heading for another pillar), or comes closer than ``near_obstacle_m`` to something, and
drives for ``takeover_steps`` steps before it hands back. ``takeover: always`` drives every
step (demonstrations).
"""

from __future__ import annotations

from collections import deque
import math

import numpy as np
from rclpy.node import Node
from robot_learning.errors import ConfigError
from robot_learning_nodes.common import declare, Diagnostics


class TakeoverGate:
    """Declares the takeover parameters on ``node`` and decides, step by step, to drive.

    Counts ``takeovers`` and ``takeovers_{near_obstacle,moving_away,stalled}`` on ``diag``.
    """

    def __init__(self, node: Node, diag: Diagnostics):
        self._diag = diag
        self.takeover = declare(
            node,
            'takeover',
            'always',
            "'always': drive every step (demonstrations); 'on_trouble': "
            'take over a deployed policy only when it stalls or nears an '
            'obstacle (interventions)',
            read_only=True,
        )
        if self.takeover not in ('always', 'on_trouble'):
            raise ConfigError(
                f"expert_teleop: takeover {self.takeover!r} must be 'always' or 'on_trouble'"
            )
        self.stall_steps = int(
            declare(
                node,
                'stall_steps',
                20,
                'on_trouble: steps over which progress is judged',
                read_only=True,
                min_value=1,
                max_value=100000,
            )
        )
        self.stall_progress = declare(
            node,
            'stall_progress_m',
            0.15,
            'on_trouble: less progress toward the goal than this (m) ' 'over stall_steps engages',
            min_value=0.0,
            max_value=100.0,
        )
        self.near_obstacle = declare(
            node,
            'near_obstacle_m',
            0.22,
            'on_trouble: a scan range below this (m, from the lidar at the base centre; chassis '
            'radius 0.17) engages (0 = off)',
            min_value=0.0,
            max_value=100.0,
        )
        self.away_m = declare(
            node,
            'away_m',
            0.0,
            'on_trouble: moving this much (m) away from the goal over '
            'away_steps engages (0 = off)',
            min_value=0.0,
            max_value=100.0,
        )
        self.away_steps = int(
            declare(
                node,
                'away_steps',
                5,
                'on_trouble: window of away_m',
                read_only=True,
                min_value=1,
                max_value=100000,
            )
        )
        self.takeover_steps = int(
            declare(
                node,
                'takeover_steps',
                30,
                'on_trouble: steps driven per takeover',
                min_value=1,
                max_value=100000,
            )
        )
        self._dist: deque[float] = deque(maxlen=max(2, self.stall_steps, self.away_steps + 1))
        self._engaged_left = 0

    def live(self) -> dict:
        """Appliers of the live takeover parameters, for ``live_parameters``."""
        return {
            'stall_progress_m': lambda v: setattr(self, 'stall_progress', v),
            'near_obstacle_m': lambda v: setattr(self, 'near_obstacle', v),
            'away_m': lambda v: setattr(self, 'away_m', v),
            'takeover_steps': lambda v: setattr(self, 'takeover_steps', int(v)),
        }

    def reset(self) -> None:
        """Forget the progress window and any takeover in progress (a new episode)."""
        self._dist.clear()
        self._engaged_left = 0

    def engaged(self, pose, goal, ranges: np.ndarray) -> bool:
        """Whether to drive this step (always, or HG-DAgger gating in on_trouble mode).

        Args:
            pose: (x m, y m, yaw rad) of the base.
            goal: (x m, y m) of the instructed pillar.
            ranges: float32 scan ranges, m (-inf: closer than range_min, REP-117).
        """
        if self.takeover == 'always':
            return True
        if self._engaged_left > 0:
            self._engaged_left -= 1
            return True
        self._dist.append(math.hypot(goal[0] - pose[0], goal[1] - pose[1]))
        # -inf is a return closer than range_min (REP-117): nearest of all.
        close = np.where(np.isneginf(ranges), 0.0, ranges)
        close = close[np.isfinite(close)]
        near = self.near_obstacle > 0 and close.size and float(close.min()) < self.near_obstacle
        n = max(2, self.stall_steps)
        stalled = len(self._dist) >= n and self._dist[-n] - self._dist[-1] < self.stall_progress
        k = self.away_steps
        away = (
            self.away_m > 0
            and len(self._dist) > k
            and self._dist[-1] - self._dist[-1 - k] > self.away_m
        )
        if near or stalled or away:
            self._engaged_left = self.takeover_steps - 1
            self._dist.clear()
            self._diag.count('takeovers')
            self._diag.count(
                'takeovers_near_obstacle'
                if near
                else 'takeovers_moving_away' if away else 'takeovers_stalled'
            )
            return True
        return False
