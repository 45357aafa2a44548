# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 robot_learning maintainers
"""The demo's gamepad: presses ``operator_node``'s buttons the way a person would.

It publishes ``sensor_msgs/Joy`` on ``joy`` (a press, then the release, as ``joy_node``
does) with the button mapping of ``config/operator_node.yaml``, and waits until the
recorder's latched ``recorder/state`` confirms the change. So the demo's recording stages
take the path a person's gamepad takes: Joy -> operator_node -> recorder services.

Like a person, it never presses one button twice within operator_node's ``debounce_s``:
operator_node takes the second press for a bounce of the first and drops it. A short
episode (a goal 1 m from the start, 75 lockstep steps/s) ends within 0.2 s of the last
one, and its 'success' press was dropped (CI, issue 11).
"""

from __future__ import annotations

import math
import threading
import time

from robot_learning.errors import RobotLearningError

__all__ = ['Gamepad', 'expected_state']

#: Xbox pads have 11 buttons (joy_node sends them all in every message).
_N_BUTTONS = 11


def expected_state(event: str, state: str) -> bool:
    """Return whether ``state`` (``recorder/state``) is what ``event`` leads to."""
    return {
        'start': state.startswith('recording '),
        'success': state.startswith('stopped ') and state.endswith(': success'),
        'failure': state.startswith('stopped ') and state.endswith(': failure'),
        'discard': state.startswith('discarded '),
        'stop': state.startswith('stopped '),
    }[event]


class Gamepad:
    """Joy publisher + ``recorder/state`` subscription on a node spun by another thread.

    Args:
        node: the demo operator's node (its executor runs in a background thread).
        buttons: event -> Joy button index; None: ``config/operator_node.yaml``'s.
        debounce_s: operator_node's ``debounce_s`` (s); None: that file's.
    """

    def __init__(
        self, node, buttons: dict[str, int] | None = None, debounce_s: float | None = None
    ):
        from robot_learning_nodes.qos import COMMAND_QOS, STATE_QOS
        from sensor_msgs.msg import Joy
        from std_msgs.msg import String

        if buttons is None or debounce_s is None:
            from .profiles import config_dir, params_file_section

            section = params_file_section(config_dir() / 'operator_node.yaml', 'operator_node')
            buttons = dict(section['buttons']) if buttons is None else buttons
            if debounce_s is None:
                debounce_s = float(section.get('debounce_s', 0.25))
        self.buttons = buttons
        self.debounce_s = float(debounce_s)
        self._pressed: dict[int, float] = {}  # button -> monotonic time of its last press
        self._Joy = Joy
        self._cond = threading.Condition()
        self._states: list[str] = []
        self._pub = node.create_publisher(Joy, 'joy', COMMAND_QOS)
        # Latched, and deep enough to keep each of a few quick changes.
        node.create_subscription(String, 'recorder/state', self._on_state, STATE_QOS)

    def _on_state(self, msg) -> None:
        with self._cond:
            self._states.append(msg.data)
            self._cond.notify_all()

    @property
    def state(self) -> str:
        """Return the latest ``recorder/state`` ('' before the first)."""
        with self._cond:
            return self._states[-1] if self._states else ''

    def _joy(self, down: int | None):
        msg = self._Joy()
        msg.header.stamp.sec, msg.header.stamp.nanosec = divmod(time.time_ns(), 10**9)
        msg.buttons = [int(i == down) for i in range(max(_N_BUTTONS, *self.buttons.values()) + 1)]
        msg.axes = [0.0] * 8
        return msg

    def press(self, event: str, timeout: float = 60.0) -> str:
        """Press and release ``event``'s button; returns the recorder's state it led to.

        Raises:
            RobotLearningError: operator_node or the recorder is not there, or the
                recorder's state did not change as ``event`` should within ``timeout``.
        """
        end = time.monotonic() + timeout
        while self._pub.get_subscription_count() < 1 or not self.state:
            if time.monotonic() > end:
                who = 'operator_node (joy)' if self._pub.get_subscription_count() < 1 else \
                    'demo_recorder (recorder/state)'
                raise RobotLearningError(f'{who} did not appear within {timeout:.0f} s')
            time.sleep(0.01)
        button = self.buttons[event]
        # Clear of operator_node's debounce window (plus a margin for the Joy's transit).
        wait = self._pressed.get(button, -math.inf) + self.debounce_s + 0.1 - time.monotonic()
        if wait > 0:
            time.sleep(wait)
        with self._cond:
            seen = len(self._states)
        self._pressed[button] = time.monotonic()
        self._pub.publish(self._joy(button))
        self._pub.publish(self._joy(None))
        with self._cond:
            while not any(expected_state(event, s) for s in self._states[seen:]):
                left = end - time.monotonic()
                if left <= 0:
                    raise RobotLearningError(
                        f'{event} pressed: recorder/state stayed {self.state!r} for '
                        f'{timeout:.0f} s (see operator_node in logs/)'
                    )
                self._cond.wait(left)
            return next(s for s in self._states[seen:] if expected_state(event, s))
