# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 robot_learning maintainers
"""When the scripted expert takes over a deployed policy: the ROS parameters of the rule.

:class:`TakeoverGate` declares the parameters of
:class:`~robot_learning_sim.takeover_rule.TakeoverRule` (HG-DAgger gating, documented
there) on ``expert_teleop`` and counts the takeovers on its diagnostics.
"""

from __future__ import annotations

import numpy as np
from rclpy.node import Node
from robot_learning_nodes.common import declare, Diagnostics
from robot_learning_sim.takeover_rule import TakeoverRule


class TakeoverGate:
    """Declares the takeover parameters on ``node`` and decides, step by step, to drive.

    Counts ``takeovers`` and ``takeovers_{near_obstacle,moving_away,stalled,requested}`` on
    ``diag``.
    """

    def __init__(self, node: Node, diag: Diagnostics):
        self._diag = diag
        self.takeover = declare(
            node,
            'takeover',
            'always',
            "'always': drive every step (demonstrations); 'on_trouble': "
            'take over a deployed policy only when it stalls or nears an '
            "obstacle (interventions, HG-DAgger); 'on_request': when the policy asks "
            '(takeover_request, ThriftyDAgger) or nears an obstacle',
            read_only=True,
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
        self._requested = False
        self.rule = TakeoverRule(
            self.takeover,
            self.stall_steps,
            self.stall_progress,
            self.near_obstacle,
            self.away_m,
            self.away_steps,
            self.takeover_steps,
        )

    def live(self) -> dict:
        """Appliers of the live takeover parameters, for ``live_parameters``."""
        rule = self.rule
        return {
            'stall_progress_m': lambda v: setattr(rule, 'stall_progress', v),
            'near_obstacle_m': lambda v: setattr(rule, 'near_obstacle', v),
            'away_m': lambda v: setattr(rule, 'away_m', v),
            'takeover_steps': lambda v: setattr(rule, 'takeover_steps', int(v)),
        }

    def request(self) -> None:
        """Take a request for help from the policy (``on_request``): the next step engages."""
        self._requested = True

    def reset(self) -> None:
        """Forget the progress window, a takeover in progress and a request (new episode)."""
        self.rule.reset()
        self._requested = False

    def engaged(self, pose, goal, ranges: np.ndarray) -> bool:
        """Whether to drive this step (:meth:`TakeoverRule.engaged`); counts new takeovers.

        Args:
            pose: (x m, y m, yaw rad) of the base.
            goal: (x m, y m) of the instructed pillar.
            ranges: float32 scan ranges, m (-inf: closer than range_min, REP-117).

        A request (:meth:`request`) since the last step is taken here.
        """
        requested, self._requested = self._requested, False
        why = self.rule.engaged(pose, goal, ranges, requested)
        if why in ('near_obstacle', 'moving_away', 'stalled', 'requested'):
            self._diag.count('takeovers')
            self._diag.count(f'takeovers_{why}')
        return bool(why)
