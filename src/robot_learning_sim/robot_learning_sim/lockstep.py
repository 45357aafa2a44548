# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 robot_learning maintainers
"""The stepping engine shared by ``sim_node`` and ``gym_bridge`` (docs/interfaces.md).

A simulated robot node owns a :class:`Lockstep`; it says how to take one step
(``step(action)``), how to start an episode and how to republish the last step, and the
engine decides *when*:

* ``realtime``: a steady wall-clock timer steps at ``control_rate`` with the latest
  command (``zero`` once it is older than ``cmd_timeout`` wall seconds);
* ``lockstep``: each command advances exactly one step. A command carries no observation
  stamp, so one that arrives late (the answer to an episode a reset interrupted) or twice
  (a step answered by both a teleop forwarder and the policy node's resend answer) would
  be applied to the wrong step. So while a publisher of the stamped topic (TwistStamped
  ``action`` / JointState ``joint_action``, stamped with the observation it answers) is
  matched, only the first stamped command carrying the current observation's stamp
  advances; the others are counted (``stale_actions``) and dropped, and unstamped commands
  are ignored (``commands_ignored_while_paired``). ``lockstep_commands`` ('auto',
  'action', or the unstamped topic's name) picks this.

Pacing (lockstep): ``lockstep_max_rate`` caps steps per wall second; ``lockstep_max_lag``
holds step k+1 while k - ``learner/progress`` (std_msgs/UInt64, env steps the learner
has consumed) exceeds the lag, until progress arrives or none came for
``lockstep_lag_timeout_s``. A held command is applied when its turn comes, never lost.
With no command for ``lockstep_resend_s`` wall seconds (and none held) the last step is
republished unchanged (same stamp), so an observer that lost it answers again.
``autoreset``: after a terminal step the next command starts a new episode (and is not
applied); false: it is counted (``cmds_while_waiting_for_reset``) until a reset.

The service ``sim/reset`` (std_srvs/Trigger) starts a new episode at once and answers
``episode <id>: <instruction>``. Timers run on the steady wall clock, so a node works
with or without ``use_sim_time``.
"""

from __future__ import annotations

import math
import time
from typing import Any, Callable

from rclpy.clock import Clock, ClockType
from rclpy.node import Node
from robot_learning_nodes.common import declare, Diagnostics, one_of
from robot_learning_nodes.episode_status import stamp_key
from robot_learning_sim.pacing import LearnerPacing
from std_srvs.srv import Trigger

MODES = ('lockstep', 'realtime')


class Lockstep:
    """When to step: pairing commands with observations, resends, pacing, autoreset.

    Declares the parameters ``mode``, ``autoreset``, ``cmd_timeout``, ``lockstep_resend_s``,
    ``lockstep_max_rate``, ``lockstep_commands``, ``lockstep_max_lag`` and
    ``lockstep_lag_timeout_s`` on ``node`` (see :meth:`live` for the live ones).

    Args:
        node: the simulated robot node.
        diag: its diagnostics (counters ``resends``, ``stale_actions``, ...).
        step: applies one action for one step and publishes it (calls :meth:`published`);
            returns False when the step failed (the observation may be answered again).
        new_episode: starts an episode and publishes its step 0 (calls :meth:`published`).
        republish: publishes the last step's messages again.
        mode: default of ``mode``.
        resend_s: default of ``lockstep_resend_s``, s.
        unstamped: name of the unstamped command topic ('cmd_vel', 'commands').
        stamped: name of the stamped command topic ('action', 'joint_action').
        hold: optional; while it returns True nothing steps or resends (a spent budget).
    """

    def __init__(
        self, node: Node, diag: Diagnostics, step: Callable[[Any], bool],
        new_episode: Callable[[], None], republish: Callable[[], None], mode: str,
        resend_s: float, unstamped: str, stamped: str, hold: Callable[[], bool] | None = None,
    ):
        self._node, self._diag = node, diag
        self._step, self._new_episode, self._republish = step, new_episode, republish
        self._hold = hold or (lambda: False)
        self.mode = one_of(node, 'mode', declare(
            node, 'mode', mode,
            "'lockstep' (one step per command) or 'realtime' (wall timer at control_rate)",
            read_only=True,
        ), MODES)
        self.autoreset = declare(
            node, 'autoreset', True,
            'after a terminal step the next command starts a new episode (and is not '
            'applied); false: wait for sim/reset',
        )
        self.cmd_timeout = declare(
            node, 'cmd_timeout', 0.5, 'realtime: a command older than this (wall) counts as '
            'zero, s', min_value=0.0, max_value=3600.0,
        )
        self.resend_s = declare(
            node, 'lockstep_resend_s', resend_s,
            'lockstep: republish the last step (same stamp) after this many wall seconds '
            'without a command (0 = never), s', min_value=0.0, max_value=3600.0,
        )
        self.max_rate = declare(
            node, 'lockstep_max_rate', 0.0,
            'lockstep: at most this many steps per wall second (0 = unlimited), Hz',
            read_only=True, min_value=0.0,
        )
        self.commands = one_of(node, 'lockstep_commands', declare(
            node, 'lockstep_commands', 'auto',
            f"lockstep: what advances a step: 'action' ({stamped} stamped with the "
            'observation it answers; only the first for the current step counts), '
            f"'{unstamped}' (every unstamped command), 'auto' ('action' while a {stamped} "
            f"publisher is matched, else '{unstamped}')",
            read_only=True,
        ), ('auto', 'action', unstamped))
        self.unstamped_only = self.commands == unstamped
        self.pacing = LearnerPacing(node, diag)
        self._wall = Clock(clock_type=ClockType.STEADY_TIME)
        self._timer = None
        self.action_sub = None
        self.ended = False  # the last published step was terminal / truncated
        self.steps_total = 0  # steps taken since start-up (all episodes)
        self._zero = None
        self._cmd, self._cmd_wall = None, -math.inf  # realtime: latest command, its wall time
        self._pending = None  # lockstep: a command waiting for max_rate / max_lag
        self._obs_key = None  # (sec, usec) stamp of the current observation
        self._answered = False  # a command was taken for the current observation
        self._last_pub_wall = 0.0  # monotonic time of the last publication of a step
        self._last_step_wall = -math.inf
        self._rate_t0, self._rate_n = time.monotonic(), 0

    # ------------------------------------------------------------------ set-up
    def start(
        self, control_rate: float, zero, action_sub, describe: Callable[[], str]
    ) -> None:
        """Create the timers, ``learner/progress`` and ``sim/reset`` once the node can step.

        Args:
            control_rate: realtime steps per wall second, Hz.
            zero: the action applied by a realtime step without a fresh command.
            action_sub: the subscription of the stamped command topic (None: no pairing).
            describe: "<episode id>: <instruction>" of the current episode.
        """
        self._zero = self._cmd = zero
        self.action_sub = action_sub
        self._describe = describe
        self._node.create_service(Trigger, 'sim/reset', self._on_reset)
        if self.mode == 'realtime':
            self._node.create_timer(1.0 / control_rate, self._on_tick, clock=self._wall)
            return
        self.pacing.start(self._try_pending)
        self._arm()

    def live(self) -> dict[str, Callable[[Any], None]]:
        """Appliers of the engine's live parameters, for ``live_parameters``."""
        return {
            'autoreset': lambda v: setattr(self, 'autoreset', bool(v)),
            'cmd_timeout': lambda v: setattr(self, 'cmd_timeout', float(v)),
            'lockstep_resend_s': self._set_resend,
            'lockstep_lag_timeout_s': lambda v: setattr(self.pacing, 'timeout_s', float(v)),
        }

    def _set_resend(self, value: float) -> None:
        self.resend_s = float(value)
        if self.mode == 'lockstep' and self._zero is not None:
            self._arm()

    def _arm(self) -> None:
        """(Re)create the lockstep timer: fine enough for the resend period and max_rate."""
        period = 0.05
        if self.resend_s > 0:
            period = min(period, self.resend_s / 4.0)
        if self.max_rate > 0:
            period = min(period, 0.25 / self.max_rate)
        if self._timer is not None:
            self._node.destroy_timer(self._timer)
        self._timer = self._node.create_timer(
            max(period, 0.001), self._on_timer, clock=self._wall
        )

    # ------------------------------------------------------------------ publishing
    def published(self, stamp) -> None:
        """Record that the step stamped ``stamp`` went out: it waits for its command now."""
        self._obs_key = stamp_key(stamp)
        self._answered = False
        self._last_pub_wall = time.monotonic()

    def _on_reset(self, request, response):
        """``sim/reset``: start a new episode now; a held command is dropped."""
        self._pending = None
        self._new_episode()
        response.success = True
        # "episode <id>: <instruction>": an operator must know which episode its reset
        # started (statuses of the one it interrupted may still be in flight).
        response.message = f'episode {self._describe()}'
        return response

    # ------------------------------------------------------------------ commands
    def paired(self) -> bool:
        """Whether lockstep advances on the stamped topic rather than the unstamped one."""
        if self.mode != 'lockstep' or self.action_sub is None or self.unstamped_only:
            return False
        return self.commands == 'action' or self.action_sub.get_publisher_count() > 0

    def ignores_unstamped(self) -> bool:
        """Whether an unstamped command must be ignored now (counted when it is)."""
        if self.paired():
            self._diag.count('commands_ignored_while_paired')
            return True
        return False

    def take_stamped(self, stamp) -> bool:
        """Whether a stamped command for observation ``stamp`` is the one to apply now.

        In realtime every stamped command is taken; in lockstep only while paired, and
        only the first one carrying the current observation's stamp (others are counted).
        """
        if self.mode == 'realtime':
            return True
        if not self.paired():
            return False
        if stamp_key(stamp) != self._obs_key or self._answered:
            # A late answer (to an earlier step or episode) or a second answer to this one.
            self._diag.count('stale_actions')
            return False
        return True

    def command(self, action) -> None:
        """Apply a (checked) command: the latest one in realtime, the next step in lockstep."""
        if self.mode == 'realtime':
            self._cmd, self._cmd_wall = action, time.monotonic()
            return
        self._answered = True
        self._pending = action
        self.pacing.new_command()
        self._try_pending()

    # ------------------------------------------------------------------ stepping
    def _advance(self, action) -> None:
        """Apply one command for one step (or start the next episode)."""
        self._last_step_wall = time.monotonic()
        if self._hold():
            self._diag.count('commands_after_max_steps')  # the budget is spent: hold still
            return
        if self.ended:
            if self.autoreset:
                self._new_episode()  # this command is not applied
            else:
                self._diag.count('cmds_while_waiting_for_reset')
            return
        if not self._step(action):
            self._answered = False  # another command for this observation may try again
            return
        self.steps_total += 1
        self._rate_n += 1
        now = time.monotonic()
        if now - self._rate_t0 >= 2.0:
            self._diag.set('steps_per_s', f'{self._rate_n / (now - self._rate_t0):.1f}')
            self._rate_t0, self._rate_n = now, 0

    def _try_pending(self) -> None:
        if self._pending is None:
            return
        now = time.monotonic()
        if self.max_rate > 0 and now - self._last_step_wall < 1.0 / self.max_rate:
            return  # the lockstep timer applies it when its turn comes
        if self.pacing.lagging(self.steps_total, now):
            return  # progress (or its timeout) releases it
        action, self._pending = self._pending, None
        self._advance(action)

    def _on_timer(self) -> None:
        if self._pending is not None:
            self._try_pending()  # no resend while a command waits: nothing was lost
        elif (
            self.resend_s > 0
            and time.monotonic() - self._last_pub_wall >= self.resend_s
            and not self._hold()
        ):
            self._republish()
            self._last_pub_wall = time.monotonic()
            self._diag.count('resends')

    def _on_tick(self) -> None:
        if self.ended and not self.autoreset:
            return  # realtime, episode over: time stands still until sim/reset
        fresh = time.monotonic() - self._cmd_wall <= self.cmd_timeout
        self._advance(self._cmd if fresh else self._zero)
