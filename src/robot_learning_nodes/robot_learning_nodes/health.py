# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 robot_learning maintainers
"""Diagnostic levels of one node task from event and error rates over a sliding window.

Pure Python (no rclpy), so the level logic is unit-tested on its own; the node side
(:class:`robot_learning_nodes.diagnostics.Diagnostics`) feeds it and publishes the result as
``diagnostic_msgs/DiagnosticStatus``. Levels follow ``diagnostic_updater``'s meaning:

- ``OK``: input arrives (at the expected rate, where one is given) and no error was
  counted in the last ``window_s`` seconds.
- ``WARN``: some errors in the window, or the input rate is below
  ``expected_hz * (1 - tolerance)`` (as ``diagnostic_updater.FrequencyStatus`` does).
- ``ERROR``: at least ``error_min`` errors in the window and they are at least
  ``error_ratio`` of all inputs (default 1.0: every input was broken, the task produces
  nothing; a few broken inputs are only WARN), or a condition set by the node
  (:meth:`TaskHealth.set_condition`).
- ``STALE``: an expected input has not arrived for ``stale_s`` seconds (since the start,
  when it never arrived).

Counts are windowed, so a level clears on its own once the errors stop: cumulative
counters (kept for the key/values) never decide the level.
"""

from __future__ import annotations

import math
from typing import Callable

OK = 0
WARN = 1
ERROR = 2
STALE = 3
LEVEL_NAMES = {OK: 'OK', WARN: 'WARN', ERROR: 'ERROR', STALE: 'STALE'}


class WindowCounter:
    """Number of events in the last ``window_s`` seconds, kept in fixed time buckets.

    Memory is bounded by ``buckets`` whatever the event rate. The count is exact to one
    bucket (``window_s / buckets`` seconds) at the old end of the window.

    Args:
        window_s: window length, s (> 0).
        buckets: number of buckets the window is split into.
    """

    def __init__(self, window_s: float, buckets: int = 20):
        if not window_s > 0:
            raise ValueError(f'window_s must be > 0, got {window_s}')
        self.window_s = float(window_s)
        self._width = self.window_s / buckets
        self._n = buckets
        self._counts: dict[int, int] = {}

    def add(self, now: float, n: int = 1) -> None:
        """Count ``n`` events at time ``now`` (s, any monotonic origin)."""
        b = math.floor(now / self._width)
        self._counts[b] = self._counts.get(b, 0) + n
        if len(self._counts) > 2 * self._n:
            self._prune(now)

    def total(self, now: float) -> int:
        """Return the number of events in the window ending at ``now``."""
        self._prune(now)
        return sum(self._counts.values())

    def _prune(self, now: float) -> None:
        first = math.floor(now / self._width) - self._n + 1
        for b in [b for b in self._counts if b < first]:
            del self._counts[b]


class TaskHealth:
    """Level, message and key/values of one task (``<node>: <task>`` on /diagnostics).

    Args:
        name: task name (``images``, ``scans``, ``commands``, ...).
        window_s: length of the sliding window rates are computed over, s.
        expected_hz: the input rate the task expects, Hz; None: no rate check.
        tolerance: relative shortfall of the rate tolerated before WARN (0.5: half).
        stale_s: seconds without input after which the task is STALE; None: never.
        error_ratio: share of errors among all inputs in the window that makes ERROR.
        error_min: fewest errors in the window that make ERROR.
        clock: monotonic time source in seconds (injected by tests).
    """

    def __init__(
        self,
        name: str,
        window_s: float = 5.0,
        expected_hz: float | None = None,
        tolerance: float = 0.5,
        stale_s: float | None = None,
        error_ratio: float = 1.0,
        error_min: int = 10,
        clock: Callable[[], float] | None = None,
    ):
        import time

        self.name = name
        self.clock = clock or time.monotonic
        self.expected_hz = expected_hz
        self.tolerance = tolerance
        self.stale_s = stale_s
        self.error_ratio = error_ratio
        self.error_min = error_min
        self.started = self.clock()
        self.last_event: float | None = None
        self.last_error = ''
        self.events_total = 0
        self.errors_total = 0
        self._condition: tuple[int, str] | None = None
        self.set_window(window_s)

    def set_window(self, window_s: float) -> None:
        """Change the window length, s (counts restart: the old buckets do not fit)."""
        self.window_s = float(window_s)
        self._events = WindowCounter(window_s)
        self._errors = WindowCounter(window_s)
        self._window_started = self.clock()

    def tick(self, n: int = 1) -> None:
        """Count ``n`` inputs handled successfully now."""
        now = self.clock()
        self._events.add(now, n)
        self.events_total += n
        self.last_event = now

    def error(self, message: str, n: int = 1) -> None:
        """Count ``n`` inputs that failed now; ``message`` says why (shown while WARN)."""
        now = self.clock()
        self._errors.add(now, n)
        self.errors_total += n
        self.last_error = message
        # A broken input is still an input: it is not stale.
        self.last_event = now

    def set_condition(self, level: int, message: str = '') -> None:
        """Hold the task at least at ``level`` with ``message`` until called with ``OK``."""
        self._condition = None if level == OK else (int(level), message)

    def rate_hz(self) -> float:
        """Return the inputs (good and broken) per second over the window, Hz."""
        now = self.clock()
        return (self._events.total(now) + self._errors.total(now)) / self._span(now)

    def _span(self, now: float) -> float:
        # Over the first second the rate would be noise: divide by at least 1 s.
        return min(self.window_s, max(now - self._window_started, 1.0))

    def evaluate(self) -> tuple[int, str, list[tuple[str, str]]]:
        """Compute the task's status now.

        Returns:
            ``(level, message, values)``: level is one of OK/WARN/ERROR/STALE, message one
            line, values ``(key, value)`` string pairs (windowed and total counts, rate).
        """
        now = self.clock()
        events = self._events.total(now)
        errors = self._errors.total(now)
        rate = (events + errors) / self._span(now)
        level, message = OK, 'ok'
        findings: list[tuple[int, str]] = []
        if errors:
            share = errors / (events + errors)
            lvl = ERROR if share >= self.error_ratio and errors >= self.error_min else WARN
            findings.append(
                (
                    lvl,
                    f'{errors} error{"s" if errors > 1 else ""} in the last '
                    f'{self.window_s:g} s: {self.last_error}',
                )
            )
        full_window = now - self._window_started >= self.window_s
        if self.expected_hz and full_window:
            low = self.expected_hz * (1.0 - self.tolerance)
            if rate < low:
                findings.append(
                    (WARN, f'input at {rate:.1f} Hz, expected {self.expected_hz:g} Hz')
                )
        if self.stale_s is not None:
            since = self.last_event if self.last_event is not None else self.started
            if now - since > self.stale_s:
                what = 'no input yet' if self.last_event is None else 'no input'
                findings.append((STALE, f'{what} for {now - since:.1f} s'))
        if self._condition is not None:
            findings.append(self._condition)
        if findings:
            level = max(f[0] for f in findings)
            message = '; '.join(m for lvl, m in sorted(findings, key=lambda f: -f[0]) if m)
        values = [
            ('window_s', f'{self.window_s:g}'),
            ('rate_hz', f'{rate:.2f}'),
            ('events_in_window', str(events)),
            ('errors_in_window', str(errors)),
            ('events_total', str(self.events_total)),
            ('errors_total', str(self.errors_total)),
        ]
        if self.expected_hz:
            values.append(('expected_hz', f'{self.expected_hz:g}'))
        if self.last_event is not None:
            values.append(('since_last_input_s', f'{now - self.last_event:.2f}'))
        if self.last_error:
            values.append(('last_error', self.last_error))
        return level, message, values
