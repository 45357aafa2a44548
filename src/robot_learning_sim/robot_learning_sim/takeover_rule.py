# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 robot_learning maintainers
"""The supervising expert's takeover rule without ROS (HG-DAgger gating).

HG-DAgger (Kelly et al. 2019) lets a human supervise a learner and take over only when it
goes wrong. :class:`TakeoverRule` plays that human, step by step: it engages when the robot
makes less than ``stall_progress_m`` progress toward the goal over ``stall_steps`` steps,
moves more than ``away_m`` away from it over ``away_steps`` steps (heading for another
pillar), or comes closer than ``near_obstacle_m`` to something, and then drives for
``takeover_steps`` steps before it hands back. ``takeover: always`` drives every step
(demonstrations).

``takeover: on_request`` is ThriftyDAgger's gating (Hoque et al., CoRL 2021): the robot
asks for help (``policy_node`` requests a takeover when its MC-dropout uncertainty exceeds
``takeover_uncertainty``) and the human drives ``takeover_steps`` steps from the next one;
no stall judgement, only ``near_obstacle_m`` still engages unasked (a person stops a
crash they see coming).

``expert_teleop`` (:mod:`.takeover`) declares these as ROS parameters and asks this rule;
the in-process benches (``bench/online_ablation.py``) use it directly, so both gate the
same way. Nothing here imports rclpy.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
import math

import numpy as np
from robot_learning.errors import ConfigError

__all__ = ['TAKEOVER_MODES', 'TakeoverRule']

#: ``always``: every step (demonstrations); ``on_trouble``: HG-DAgger gating;
#: ``on_request``: the policy asks (ThriftyDAgger gating).
TAKEOVER_MODES = ('always', 'on_trouble', 'on_request')


@dataclass
class TakeoverRule:
    """When the expert drives (defaults: ``config/expert_teleop.yaml``'s, sim_intervene's).

    Attributes:
        takeover: one of :data:`TAKEOVER_MODES`.
        stall_steps: steps over which progress toward the goal is judged.
        stall_progress: less progress than this (m) over ``stall_steps`` engages.
        near_obstacle: a scan range below this (m; 0 = off) engages.
        away_m: moving this much (m) away from the goal over ``away_steps`` engages (0 = off).
        away_steps: window of ``away_m``, steps.
        takeover_steps: steps driven per takeover.

    Raises:
        ConfigError: an unknown ``takeover`` or a window below one step.
    """

    takeover: str = 'on_trouble'
    stall_steps: int = 20
    stall_progress: float = 0.15
    near_obstacle: float = 0.22
    away_m: float = 0.0
    away_steps: int = 5
    takeover_steps: int = 30
    _dist: deque = field(default_factory=deque, init=False, repr=False)
    _engaged_left: int = field(default=0, init=False, repr=False)

    def __post_init__(self) -> None:
        if self.takeover not in TAKEOVER_MODES:
            raise ConfigError(
                f'expert_teleop: takeover {self.takeover!r} must be one of '
                f'{", ".join(TAKEOVER_MODES)}'
            )
        if min(self.stall_steps, self.away_steps, self.takeover_steps) < 1:
            raise ConfigError(
                'takeover: stall_steps, away_steps and takeover_steps must be at least 1'
            )
        self._dist = deque(maxlen=max(2, self.stall_steps, self.away_steps + 1))

    def reset(self) -> None:
        """Forget the progress window and any takeover in progress (a new episode)."""
        self._dist.clear()
        self._engaged_left = 0

    def engaged(self, pose, goal, ranges: np.ndarray, requested: bool = False) -> str:
        """Return why the expert drives this step: '' when it does not.

        Args:
            pose: (x m, y m, yaw rad) of the base.
            goal: (x m, y m) of the instructed pillar.
            ranges: float32 scan ranges, m (-inf: closer than range_min, REP-117).
            requested: the policy asked for a takeover since the last step (``on_request``).

        Returns:
            'always', 'engaged' (a takeover in progress), 'near_obstacle', 'moving_away',
            'stalled', 'requested' (a new takeover starts), or ''.
        """
        if self.takeover == 'always':
            return 'always'
        if self._engaged_left > 0:
            self._engaged_left -= 1
            return 'engaged'
        self._dist.append(math.hypot(goal[0] - pose[0], goal[1] - pose[1]))
        # -inf is a return closer than range_min (REP-117): nearest of all.
        close = np.where(np.isneginf(ranges), 0.0, ranges)
        close = close[np.isfinite(close)]
        near = self.near_obstacle > 0 and close.size and float(close.min()) < self.near_obstacle
        judged = self.takeover == 'on_trouble'
        n = max(2, self.stall_steps)
        stalled = (
            judged
            and len(self._dist) >= n
            and self._dist[-n] - self._dist[-1] < self.stall_progress
        )
        k = self.away_steps
        away = (
            judged
            and self.away_m > 0
            and len(self._dist) > k
            and self._dist[-1] - self._dist[-1 - k] > self.away_m
        )
        asked = self.takeover == 'on_request' and requested
        if not (near or stalled or away or asked):
            return ''
        self._engaged_left = self.takeover_steps - 1
        self._dist.clear()
        if near:
            return 'near_obstacle'
        return 'moving_away' if away else 'stalled' if stalled else 'requested'
