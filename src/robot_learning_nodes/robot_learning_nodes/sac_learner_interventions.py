# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 robot_learning maintainers
"""Pair each action echo with the intervention flag that follows it (``sac_learner``).

``policy_node`` publishes ``action`` (TwistStamped) and right after it ``intervention``
(std_msgs/Bool, no header) for every command that answers an observation
(``policy_output.py``). The Bool carries no stamp, so it is matched by the DDS source
timestamp both messages get from the one publishing process: a flag belongs to the
newest held action published before it. The two topics arrive through separate readers,
so a flag can be handled before or after its action (the executor serves ready
subscriptions in creation order, and a busy learner lets several pile up); the source
timestamp makes the order irrelevant.

- An action waits for its flag at most ``wait_s`` (then it is taken as a policy step and
  counted ``missing``): a lost flag never stalls the stream.
- A flag for a newer action releases the older held ones as policy steps (``missing``):
  reliable topics deliver in order, so their flags are lost, not late.
- A flag with no held action published before it is ``unmatched`` and dropped.

Pure Python (no rclpy): :class:`~.sac_learner_robots.RobotStream` feeds it.
"""

from __future__ import annotations

from collections import deque
import time
from typing import Callable

#: Seconds an action echo waits for its intervention flag before it counts as a policy
#: step. The flag is published microseconds after the echo; 0.5 s covers a learner whose
#: executor is held up by an update (a held action only delays its transition).
WAIT_S = 0.5


class InterventionPairing:
    """Hold action echoes until their intervention flag comes; release them with it.

    Args:
        wait_s: longest wait for a flag (s, monotonic).
        clock: monotonic seconds (injectable for tests).

    Attributes:
        paired: actions released with their own flag.
        human: of those, flagged True (a human drove).
        missing: actions released as policy steps because no flag came.
        unmatched: flags dropped because no held action was published before them.
    """

    def __init__(self, wait_s: float = WAIT_S, clock: Callable[[], float] = time.monotonic):
        self.wait_s = float(wait_s)
        self._clock = clock
        # (source_ns, arrival_s, release) of actions waiting for their flag, oldest first.
        self._held: deque[tuple[int, float, Callable[[bool], None]]] = deque()
        self.paired = self.human = self.missing = self.unmatched = 0

    def __len__(self) -> int:
        """Return the number of actions waiting for their flag."""
        return len(self._held)

    def action(self, source_ns: int, release: Callable[[bool], None]) -> None:
        """Hold one action echo published at ``source_ns``.

        Args:
            source_ns: DDS source timestamp of the echo (ns, the publisher's clock).
            release: ``release(human)`` takes the action into the stream, called once.
        """
        self.expire()
        self._held.append((int(source_ns), self._clock(), release))

    def flag(self, source_ns: int, human: bool) -> bool:
        """Pair a flag published at ``source_ns`` with the newest action published before it.

        Returns:
            False when no held action was published before it (counted ``unmatched``).
        """
        before = sorted((h for h in self._held if h[0] <= source_ns), key=lambda h: h[0])
        if not before:
            self.unmatched += 1
            return False
        match = before[-1]
        self._held = deque(h for h in self._held if h[0] > source_ns)
        for _, _, release in before[:-1]:  # older actions: their flags were lost
            self.missing += 1
            release(False)
        self.paired += 1
        self.human += bool(human)
        match[2](bool(human))
        return True

    def expire(self) -> int:
        """Release actions that waited longer than ``wait_s`` as policy steps; return how many."""
        now, n = self._clock(), 0
        while self._held and now - self._held[0][1] > self.wait_s:
            self._release_one()
            n += 1
        return n

    def flush(self) -> None:
        """Release every held action as a policy step (no flag is coming: shutdown)."""
        while self._held:
            self._release_one()

    def _release_one(self) -> None:
        _, _, release = self._held.popleft()
        self.missing += 1
        release(False)
