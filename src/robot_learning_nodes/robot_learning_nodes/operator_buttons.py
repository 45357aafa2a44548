# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 robot_learning maintainers
"""Button edges and episode events of ``operator_node`` (no rclpy: unit-tested alone).

:class:`ButtonEdges` turns the ``buttons`` arrays of successive ``sensor_msgs/Joy``
messages into episode events: a press is a 0 -> 1 edge (a button held over many messages
is one press), and a second edge of the same button within ``debounce_s`` of the last
accepted one is contact bounce or a double press, dropped. :func:`plan` says which
services an event calls, in which order (see ``demo_recorder``'s service order).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

#: The episode control events, in the order the docs list them.
EVENTS = ('start', 'success', 'failure', 'discard', 'stop')

#: Default Joy button indices, an Xbox 360/One pad or a Logitech F710 in XInput mode as
#: ``joy_node`` numbers them (Linux xpad: A 0, B 1, X 2, Y 3, LB 4, RB 5, Back 6,
#: Start 7, Guide 8, left stick 9, right stick 10). LB/RB stay free: teleop_twist_joy's
#: enable buttons.
DEFAULT_BUTTONS = {'start': 7, 'success': 0, 'failure': 1, 'discard': 3, 'stop': 6}

#: Default terminal keys (``keyboard: true``).
DEFAULT_KEYS = {'start': 'r', 'success': 's', 'failure': 'f', 'discard': 'd', 'stop': 'x'}


class ButtonEdges:
    """Rising-edge detector with per-button debounce over Joy ``buttons`` arrays.

    Args:
        mapping: event -> button index (negative: unmapped).
        debounce_s: a press this soon (s) after the last accepted press of the same
            button is dropped.

    Raises:
        ValueError: an unknown event name, or two events on one button.
    """

    def __init__(self, mapping: dict[str, int], debounce_s: float):
        unknown = set(mapping) - set(EVENTS)
        if unknown:
            raise ValueError(f'unknown events {sorted(unknown)}; choose from {list(EVENTS)}')
        used = [i for i in mapping.values() if i >= 0]
        if len(used) != len(set(used)):
            raise ValueError(f'two events share a button: {mapping}')
        self.mapping = {e: int(i) for e, i in mapping.items() if i >= 0}
        self.debounce_s = float(debounce_s)
        self._down: dict[str, bool] = {e: False for e in self.mapping}
        self._last: dict[str, float] = {}
        #: presses dropped by the debounce window (counted on diagnostics).
        self.debounced = 0

    @property
    def needed(self) -> int:
        """Fewest buttons a Joy message must have to carry every mapped button."""
        return max(self.mapping.values(), default=-1) + 1

    def update(self, buttons: Sequence[int], now: float) -> tuple[list[str], list[str]]:
        """Take one Joy ``buttons`` array received at ``now`` (s, monotonic).

        A mapped button the message lacks keeps its previous state (a short message
        neither presses nor releases it).

        Returns:
            The events pressed by this message (in :data:`EVENTS` order) and the events
            whose button the message lacks.
        """
        pressed, missing = [], []
        for event in EVENTS:
            i = self.mapping.get(event)
            if i is None:
                continue
            if i >= len(buttons):
                missing.append(event)
                continue
            down = bool(buttons[i])
            rising = down and not self._down[event]
            self._down[event] = down
            if not rising:
                continue
            if now - self._last.get(event, -1e18) < self.debounce_s:
                self.debounced += 1
                continue
            self._last[event] = now
            pressed.append(event)
        return pressed, missing


def key_event(key: str, keys: dict[str, str]) -> str | None:
    """Return the event of a terminal key (case-insensitive), or None."""
    k = key.lower()
    return next((e for e, v in keys.items() if v and v.lower() == k), None)


@dataclass(frozen=True)
class Step:
    """One service call of an event.

    Attributes:
        service: relative service name (``recorder/stop_episode``); for a wait, the
            topic waited on (``episode``).
        data: SetBool request value; None for std_srvs/Trigger.
        group: ``recorder`` or ``task`` (whose availability policy applies).
        needed: a failed answer skips the event's remaining steps.
        wait: not a call: wait for the task node's terminal ``episode`` status (only
            after the previous step, ``task/success`` or ``task/failure``, answered ok).
    """

    service: str
    data: bool | None
    group: str
    needed: bool = False
    wait: bool = False


def plan(event: str) -> list[Step]:
    """Return the service calls of ``event``, in order.

    ``start`` starts the bag before the task resets, so the bag holds the new episode
    from its first step. ``success`` / ``failure`` give the task node the verdict first;
    it applies it at its next step, so once the verdict is accepted the event waits for
    that terminal ``episode`` status (up to ``terminal_timeout_s``) and only then labels
    the bag and stops it: the bag holds the episode's end as the learner sees it. Pressed
    with no episode recording, they relabel the last stopped one (the recorder's rule)
    and the stop answers ``no active episode``. ``discard`` ends the task's episode uncounted and
    deletes the bag (the active one, else the last stopped one). ``stop`` only closes the
    bag (outcome ``unknown`` unless labelled).

    Raises:
        ValueError: an unknown event.
    """
    if event == 'start':
        return [Step('recorder/start_episode', None, 'recorder', needed=True),
                Step('task/reset', None, 'task')]
    if event in ('success', 'failure'):
        return [Step(f'task/{event}', None, 'task'),
                Step('episode', None, 'task', wait=True),
                Step('recorder/set_success', event == 'success', 'recorder'),
                Step('recorder/stop_episode', None, 'recorder')]
    if event == 'discard':
        return [Step('task/discard', None, 'task'),
                Step('recorder/discard_episode', None, 'recorder')]
    if event == 'stop':
        return [Step('recorder/stop_episode', None, 'recorder')]
    raise ValueError(f'unknown event {event!r}; choose from {list(EVENTS)}')


_ENDS = ('success', 'failure', 'discard', 'stop')


class EventQueue:
    """Events waiting for the one in flight: each runs after the previous one answered.

    Refused (with the reason returned by :meth:`submit`): the same event already in
    flight or waiting (a double press), more than ``depth`` waiting, and ``start`` while
    the recorder records with no ending event (success, failure, discard, stop) ahead of
    it: a second start would silently close the running episode.

    Args:
        depth: most events waiting behind the one in flight.
    """

    def __init__(self, depth: int = 4):
        self.depth = int(depth)
        self.waiting: list[str] = []
        self.current: str | None = None

    def submit(self, event: str, recorder_state: str) -> str | None:
        """Queue ``event``; returns None, or why it is refused.

        Args:
            event: one of :data:`EVENTS`.
            recorder_state: the latest ``recorder/state`` ('' when none was seen).
        """
        if event == self.current or event in self.waiting:
            return f'{event} is already {"in flight" if event == self.current else "queued"}'
        if len(self.waiting) >= self.depth:
            return f'{len(self.waiting)} events already queued'
        ahead = [e for e in (self.current, *self.waiting) if e]
        if event == 'start' and recorder_state.startswith('recording'):
            if not any(e in _ENDS for e in ahead):
                return f'{recorder_state}: end it first (success, failure, discard or stop)'
        self.waiting.append(event)
        return None

    def take(self) -> str | None:
        """Take the next waiting event if none is in flight (it becomes :attr:`current`)."""
        if self.current is None and self.waiting:
            self.current = self.waiting.pop(0)
            return self.current
        return None

    def done(self) -> None:
        """Mark the event in flight finished (answered, failed or timed out)."""
        self.current = None
