# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 robot_learning maintainers
"""Per-task status of a node on ``/diagnostics``, with throttled error logging.

Malformed input never stops a node: it is logged (throttled) and counted here, and the
task's level follows :class:`~robot_learning_nodes.health.TaskHealth`.
"""

from __future__ import annotations

import time
from typing import Any

from diagnostic_msgs.msg import DiagnosticArray, DiagnosticStatus, KeyValue
from rclpy.clock import Clock, ClockType
from rclpy.node import Node

from .health import TaskHealth
from .params import declare_once, live_parameters


class Diagnostics:
    """Per-task status on ``/diagnostics`` following ``diagnostic_updater`` conventions.

    Each task of the node (declared with :meth:`task`) publishes one
    ``diagnostic_msgs/DiagnosticStatus`` named ``<node_name>: <task>`` with
    ``hardware_id`` set (parameter ``diagnostics.hardware_id``, default the node's fully
    qualified name), once every ``diagnostics.period_s`` (wall clock, so diagnostics flow
    while sim time is paused). Its level comes from :class:`~.health.TaskHealth`: errors
    and input rates over the last ``diagnostics.window_s`` seconds (live parameter), so a
    WARN clears once errors stop; STALE when an expected input stopped.

    Malformed input must never stop a node: the node calls :meth:`error`, which logs a
    throttled error and counts it. :meth:`count` and :meth:`error` keys are routed to the
    task that lists them (``keys`` / ``errors`` of :meth:`task`), else to the first task
    (a task named ``status`` when the node declared none); cumulative counts appear as
    key/values of that task, with :meth:`set` values.

    Args:
        node: the node.
        period_s: default publishing period, s.
        topic: diagnostics topic (absolute, as ``diagnostic_updater`` uses).
        window_s: default sliding window, s.
        hardware_id: default hardware id ('' = the node's fully qualified name).
    """

    def __init__(
        self,
        node: Node,
        period_s: float = 1.0,
        topic: str = '/diagnostics',
        window_s: float = 5.0,
        hardware_id: str = '',
    ):
        self._node = node
        self._pub = node.create_publisher(DiagnosticArray, topic, 10)
        self.counters: dict[str, int] = {}
        self.values: dict[str, str] = {}
        self.last_error = ''
        self._last_log: dict[str, float] = {}
        self._tasks: dict[str, TaskHealth] = {}
        self._keys: dict[str, TaskHealth] = {}
        self._task_values: dict[str, dict[str, str]] = {}
        self._task_counters: dict[str, list[str]] = {}
        period_s = declare_once(
            node,
            'diagnostics.period_s',
            float(period_s),
            'seconds between /diagnostics messages',
            read_only=True,
            min_value=0.05,
            max_value=60.0,
        )
        self.window_s = declare_once(
            node,
            'diagnostics.window_s',
            float(window_s),
            'sliding window for diagnostic levels, s (errors older than this clear)',
            min_value=0.1,
            max_value=3600.0,
        )
        hw = declare_once(
            node,
            'diagnostics.hardware_id',
            hardware_id,
            'hardware_id of the diagnostics (empty: the fully qualified node name)',
            read_only=True,
        )
        self.hardware_id = hw or node.get_fully_qualified_name()
        live_parameters(node, {'diagnostics.window_s': self._set_window}, lock_others=False)
        # Wall-clock timer: diagnostics must flow even while sim time is paused (lockstep).
        self._timer = node.create_timer(
            period_s, self.publish, clock=Clock(clock_type=ClockType.STEADY_TIME)
        )

    def task(
        self,
        name: str,
        keys: tuple[str, ...] | list[str] = (),
        errors: tuple[str, ...] | list[str] = (),
        expected_hz: float | None = None,
        stale_s: float | None = None,
        tolerance: float = 0.5,
        error_ratio: float = 1.0,
        error_min: int = 10,
        params: bool = False,
    ) -> TaskHealth:
        """Declare a task: one status ``<node>: <name>`` and the counter keys it owns.

        Declaring an existing task again sets its thresholds and adds keys.

        Args:
            name: task name (lower case, short: ``images``, ``scans``, ``commands``).
            keys: :meth:`count` keys that are inputs handled by this task (they set its rate
                and keep it from going STALE).
            errors: :meth:`error` keys counted as this task's errors.
            expected_hz: expected input rate, Hz (WARN below ``(1 - tolerance)`` of it).
            stale_s: STALE after this many seconds without input; None: never STALE.
            tolerance: see ``expected_hz``.
            error_ratio: share of broken inputs in the window that makes ERROR.
            error_min: fewest broken inputs in the window that make ERROR.
            params: declare live parameters ``diagnostics.<name>.expected_hz`` and
                ``diagnostics.<name>.stale_s`` (0 = no check) with these defaults, so a
                user sets the rate their robot's sensor has.

        Returns:
            The task's :class:`~.health.TaskHealth` (its thresholds may be changed live).
        """
        t = self._tasks.get(name)
        if t is None:
            t = TaskHealth(name, window_s=self.window_s)
            self._tasks[name] = t
            self._task_values[name] = {}
            self._task_counters[name] = []
        # Declaring a task again (a helper routed keys to it first) keeps its keys and counts.
        t.expected_hz, t.stale_s, t.tolerance = expected_hz, stale_s, tolerance
        t.error_ratio, t.error_min = error_ratio, error_min
        self.route(name, (*keys, *errors))
        if params:
            self._task_parameters(t, expected_hz, stale_s)
        return t

    def _task_parameters(
        self, t: TaskHealth, expected_hz: float | None, stale_s: float | None
    ) -> None:
        """Declare ``diagnostics.<task>.expected_hz`` / ``.stale_s`` (live; 0: no check)."""
        docs = {
            'expected_hz': (expected_hz, 100000.0, 'expected input rate, Hz (WARN below half '
                            'of it; 0: no check)'),
            'stale_s': (stale_s, 86400.0, 'STALE after this many seconds without input '
                        '(0: never)'),
        }
        appliers = {}
        for field, (default, hi, doc) in docs.items():
            name = f'diagnostics.{t.name}.{field}'
            value = declare_once(
                self._node, name, float(default or 0.0), f'{t.name}: {doc}',
                min_value=0.0, max_value=hi,
            )
            setattr(t, field, value or None)
            appliers[name] = lambda v, f=field: setattr(t, f, v or None)
        live_parameters(self._node, appliers, lock_others=False)

    def route(self, task: str, keys: tuple[str, ...] | list[str]) -> None:
        """Count keys ``keys`` (of :meth:`count`/:meth:`error`) under ``task``.

        Creates the task with default thresholds if the node has not declared it (a later
        :meth:`task` call with the same name sets its thresholds and keeps the keys).
        """
        if task not in self._tasks:
            self.task(task)
        t = self._tasks[task]
        for k in keys:
            self._keys[k] = t
            if k in self.counters:
                for lst in self._task_counters.values():
                    if k in lst:
                        lst.remove(k)
                self._task_counters[task].append(k)

    def _route(self, key: str) -> TaskHealth:
        t = self._keys.get(key) or self._tasks.get(key)
        if t is None:
            if not self._tasks:
                self.task('status')
            t = next(iter(self._tasks.values()))
            self._keys[key] = t
        if key not in self._task_counters[t.name] and key in self.counters:
            self._task_counters[t.name].append(key)
        return t

    def count(self, key: str, n: int = 1) -> None:
        """Add ``n`` to counter ``key``: ``n`` inputs handled by the task owning ``key``."""
        self.counters[key] = self.counters.get(key, 0) + n
        t = self._route(key)
        if key.startswith('error'):
            t.error(f'{key} x{n}', n)
        else:
            t.tick(n)

    def tick(self, task: str, n: int = 1) -> None:
        """Count ``n`` inputs handled by ``task`` without a cumulative counter key."""
        if task not in self._tasks:
            self.task(task)
        self._tasks[task].tick(n)

    def set(self, key: str, value: Any, task: str | None = None) -> None:  # noqa: A003
        """Report a value (string form) on the next message, under ``task`` (default first)."""
        self.values[key] = str(value)
        name = task if task in self._tasks else self._route(key).name
        self._task_values[name][key] = str(value)

    def error(self, key: str, message: str, throttle_s: float = 2.0) -> None:
        """Count an error under ``key`` and log it at most once every ``throttle_s``."""
        self.counters[key] = self.counters.get(key, 0) + 1
        self.last_error = message
        self._route(key).error(message)
        now = time.monotonic()
        if now - self._last_log.get(key, -1e9) >= throttle_s:
            self._last_log[key] = now
            self._node.get_logger().error(f'{message} ({key}: {self.counters[key]} so far)')

    def set_condition(self, task: str, level: int, message: str = '') -> None:
        """Hold ``task`` at least at ``level`` (OK/WARN/ERROR/STALE from ``.health``).

        The condition stays until called again with ``OK`` (e.g. ``e-stop engaged``).
        """
        if task not in self._tasks:
            self.task(task)
        self._tasks[task].set_condition(level, message)

    def level(self, task: str) -> int:
        """Return the current level of ``task`` (for tests and for the node's own logic)."""
        return self._tasks[task].evaluate()[0]

    def _set_window(self, window_s: float) -> None:
        self.window_s = float(window_s)
        for t in self._tasks.values():
            t.set_window(window_s)

    def statuses(self) -> list[DiagnosticStatus]:
        """Build the status of every task now (what :meth:`publish` sends)."""
        if not self._tasks:
            self.task('status')
        out = []
        for name, t in self._tasks.items():
            level, message, values = t.evaluate()
            st = DiagnosticStatus()
            st.name = f'{self._node.get_name()}: {name}'
            st.hardware_id = self.hardware_id
            st.level = bytes([level])
            st.message = message
            st.values = [KeyValue(key=k, value=v) for k, v in values]
            st.values += [
                KeyValue(key=k, value=str(self.counters[k]))
                for k in sorted(self._task_counters[name])
            ]
            st.values += [
                KeyValue(key=k, value=v) for k, v in sorted(self._task_values[name].items())
            ]
            out.append(st)
        return out

    def publish(self) -> None:
        """Publish the status of every task now (also called by the timer)."""
        arr = DiagnosticArray()
        arr.header.stamp = self._node.get_clock().now().to_msg()
        arr.status = self.statuses()
        self._pub.publish(arr)
