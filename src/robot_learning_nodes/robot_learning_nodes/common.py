# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 robot_learning maintainers
"""Shared helpers for the thin rclpy nodes: QoS profiles, parameters, diagnostics.

Nodes stay thin: they convert messages with the ROS-free core and publish. What is
common to all of them (QoS choices, throttled error counting on ``/diagnostics``,
typed parameter declaration with descriptors) lives here once.
"""

from __future__ import annotations

import copy
import dataclasses
import math
import time
from typing import Any, Callable

from diagnostic_msgs.msg import DiagnosticArray, DiagnosticStatus, KeyValue
from rcl_interfaces.msg import (
    FloatingPointRange,
    IntegerRange,
    ParameterDescriptor,
    SetParametersResult,
)
from rclpy.node import Node
from rclpy.qos import (
    DurabilityPolicy,
    HistoryPolicy,
    qos_profile_sensor_data,
    QoSProfile,
    ReliabilityPolicy,
)

from .health import TaskHealth

#: Subscriptions to sensors: best effort, keep last 5 (REP-2003 sensor data QoS).
SENSOR_QOS = qos_profile_sensor_data
#: Publishers of sensor-like streams offer reliable delivery: compatible with best-effort
#: subscribers (ingestion) and with reliable ones (the recorder, which must drop nothing).
SENSOR_PUB_QOS = QoSProfile(
    history=HistoryPolicy.KEEP_LAST, depth=50, reliability=ReliabilityPolicy.RELIABLE
)
#: Commands and episode events: reliable, modest depth.
COMMAND_QOS = QoSProfile(
    history=HistoryPolicy.KEEP_LAST, depth=10, reliability=ReliabilityPolicy.RELIABLE
)
#: Streams the learner must not lose while it is busy with a gradient step.
DEEP_RELIABLE_QOS = QoSProfile(
    history=HistoryPolicy.KEEP_LAST, depth=1000, reliability=ReliabilityPolicy.RELIABLE
)
#: Latched topics (instruction, weights): late joiners get the last message.
LATCHED_QOS = QoSProfile(
    history=HistoryPolicy.KEEP_LAST,
    depth=1,
    reliability=ReliabilityPolicy.RELIABLE,
    durability=DurabilityPolicy.TRANSIENT_LOCAL,
)


def declare(
    node: Node,
    name: str,
    default: Any,
    description: str,
    read_only: bool = False,
    min_value: float | None = None,
    max_value: float | None = None,
    step: float | None = None,
) -> Any:
    """Declare one parameter with a descriptor (and a numeric range) and return its value.

    A range becomes the descriptor's ``FloatingPointRange`` (float default) or
    ``IntegerRange`` (int default), which ``ros2 param describe`` shows and rclpy enforces
    on every set. A value from a parameter file or ``-p`` that is out of range or of the
    wrong type raises :class:`~robot_learning.errors.ConfigError` with one line
    (``spin_node`` turns it into exit code 2).

    Args:
        node: the node that owns the parameter.
        name: parameter name.
        default: default value; its type fixes the parameter type.
        description: one line shown by ``ros2 param describe``.
        read_only: whether it is fixed at start-up (rclpy refuses a later set with a
            reason). Parameters applied live are registered with :func:`live_parameters`.
        min_value: lowest allowed value (inclusive); None: unbounded below.
        max_value: highest allowed value (inclusive); None: unbounded above.
        step: allowed increment from ``min_value``; None: any value.

    Returns:
        The parameter's value after overrides.

    Raises:
        ConfigError: the start-up value is out of range or of the wrong type.
    """
    from rclpy.exceptions import ParameterException
    from robot_learning.errors import ConfigError

    desc = ParameterDescriptor(description=description, read_only=read_only)
    if min_value is not None or max_value is not None:
        if isinstance(default, bool) or not isinstance(default, (int, float)):
            raise TypeError(f'parameter {name}: a range needs an int or float default')
        if isinstance(default, float):
            lo = -math.inf if min_value is None else float(min_value)
            hi = math.inf if max_value is None else float(max_value)
            desc.floating_point_range = [
                FloatingPointRange(from_value=lo, to_value=hi, step=float(step or 0.0))
            ]
        else:
            lo = -(2**63) if min_value is None else int(min_value)
            hi = 2**63 - 1 if max_value is None else int(max_value)
            desc.integer_range = [IntegerRange(from_value=lo, to_value=hi, step=int(step or 0))]
        desc.description = f'{description} [{_fmt_range(min_value, max_value)}]'
    try:
        return node.declare_parameter(name, default, desc).value
    except ParameterException as exc:
        reason = str(exc.args[0] if exc.args else exc)
        if 'Reason: ' in reason:
            reason = reason.split('Reason: ', 1)[1]
        reason = reason.removesuffix(f': {name}')
        raise ConfigError(
            f'{node.get_name()}: parameter {name}: {reason} '
            f'(fix the parameter file or the -p value)'
        ) from None


def _fmt_range(lo: float | None, hi: float | None) -> str:
    return f'{"-inf" if lo is None else lo}..{"inf" if hi is None else hi}'


def declare_dataclass(
    node: Node,
    cfg_type: type,
    prefix: str = '',
    docs: dict[str, str] | None = None,
    skip: tuple = (),
    ranges: dict[str, tuple[float | None, float | None]] | None = None,
    read_only: bool = False,
    **fixed: Any,
) -> Any:
    """Declare one parameter per field of a config dataclass and build the config.

    Field defaults become parameter defaults; tuples/lists become arrays. ``docs`` maps a
    field name to its description (defaults to the field name); ``ranges`` maps a field
    name to ``(min, max)`` (either may be None). Fields in ``skip``, fields without a
    default and fields defaulting to None or an empty sequence are not declared;
    ``fixed`` supplies values that are not parameters (e.g. obs_dim). ``read_only``
    applies to every declared field (a config built once at start-up cannot follow a
    later set).

    Returns:
        An instance of ``cfg_type`` filled from the node's parameters.

    Raises:
        ConfigError: a start-up value is out of range or of the wrong type, or the
            dataclass itself rejects the values.
    """
    from robot_learning.errors import ConfigError

    docs = docs or {}
    ranges = ranges or {}
    values = {}
    for f in dataclasses.fields(cfg_type):
        if not f.init or f.name in skip:
            continue
        if f.default is not dataclasses.MISSING:
            default = f.default
        elif f.default_factory is not dataclasses.MISSING:  # type: ignore[misc]
            default = f.default_factory()  # type: ignore[misc]
        else:
            continue
        if default is None or (isinstance(default, (tuple, list)) and not default):
            continue  # ROS parameters cannot express None or an untyped empty array
        as_list = isinstance(default, tuple)
        lo, hi = ranges.get(f.name, (None, None))
        value = declare(
            node,
            prefix + f.name,
            list(default) if as_list else default,
            docs.get(f.name, f.name),
            read_only=read_only,
            min_value=lo,
            max_value=hi,
        )
        values[f.name] = tuple(value) if as_list else value
    try:
        return cfg_type(**values, **fixed)
    except ConfigError:
        raise
    except (TypeError, ValueError) as exc:
        raise ConfigError(f'{node.get_name()}: parameters {prefix}*: {exc}') from None


#: Parameters some other part of rclpy applies live (TimeSource's own callback).
_RCLPY_LIVE = frozenset({'use_sim_time'})


def live_parameters(
    node: Node, appliers: dict[str, Callable[[Any], None]], lock_others: bool = True
) -> None:
    """Apply sets of the named parameters live; make every other parameter read-only.

    Call it once at the end of a node's ``__init__``, after every ``declare``. A set
    (``ros2 param set``, the SetParameters service) of a parameter in ``appliers`` is
    first checked by rclpy against the descriptor (type, range), then
    ``appliers[name](new_value)`` runs; if it raises ``ConfigError``, ``ValueError`` or
    ``TypeError`` the set is refused with that reason and the parameters of the same
    request already applied are applied again with their old values, so nothing
    changes. With ``lock_others`` every other declared parameter (but ``use_sim_time``,
    which rclpy applies itself) gets ``read_only`` on its descriptor, so rclpy refuses
    it with a reason: a set never "succeeds" without effect. Once locked, a parameter
    declared later and not read-only is refused by the callback, also with a reason.

    Calls accumulate: a second call (or :class:`Diagnostics`, with ``lock_others=False``)
    adds appliers to the same single callback.

    Args:
        node: the node.
        appliers: parameter name -> function taking the new value (already type- and
            range-checked); it raises before changing anything when the value is unusable.
        lock_others: make every declared parameter not in any applier read-only.

    Raises:
        RuntimeError: a name in ``appliers`` is not declared or already read-only.
    """
    registry = getattr(node, '_rl_live_appliers', None)
    if registry is None:
        registry = {}
        node._rl_live_appliers = registry
        node.add_on_set_parameters_callback(lambda params: _on_set(node, registry, params))
    for name in appliers:
        if not node.has_parameter(name):
            raise RuntimeError(f'live parameter {name} is not declared')
        if node.describe_parameter(name).read_only:
            raise RuntimeError(f'live parameter {name} is declared read_only')
    registry.update(appliers)
    if not lock_others:
        return
    node._rl_locked = True
    for name in list(node._parameters):  # noqa: SLF001 (rclpy has no public listing of names)
        if name in registry or name in _RCLPY_LIVE:
            continue
        desc = node.describe_parameter(name)
        if desc.read_only:
            continue
        locked = copy.deepcopy(desc)
        locked.read_only = True
        node.set_descriptor(name, locked)


def _on_set(node: Node, registry: dict, params: list) -> SetParametersResult:
    from robot_learning.errors import ConfigError

    todo = []
    for p in params:
        if not node.has_parameter(p.name):
            continue  # being declared: its value is read by the node itself
        if p.name in _RCLPY_LIVE:
            continue
        if p.name not in registry:
            if not getattr(node, '_rl_locked', False):
                continue  # not locked yet: a callback of the node's own may apply it
            return SetParametersResult(
                successful=False,
                reason=f'{p.name} is fixed at start-up: restart the node with the new value',
            )
        todo.append((p.name, node.get_parameter(p.name).value, p.value))
    node._rl_pending = {name: new for name, _, new in todo}
    applied: list[tuple[str, Any]] = []
    try:
        for name, old, new in todo:
            try:
                registry[name](new)
            except (ConfigError, ValueError, TypeError) as exc:
                node._rl_pending = {n: o for n, o, _ in todo}
                for n, o in reversed(applied):
                    registry[n](o)
                return SetParametersResult(successful=False, reason=f'{name}: {exc}')
            applied.append((name, old))
    finally:
        node._rl_pending = {}
    for name, old, new in todo:
        node.get_logger().info(f'{name}: {old} -> {new} (live)')
    return SetParametersResult(successful=True)


def pending(node: Node, name: str) -> Any:
    """Return the value parameter ``name`` is about to take, else its current value.

    For appliers of :func:`live_parameters` that check one parameter against another
    (``depth_max > depth_min``): when both are set in one request, each applier sees the
    other's new value.
    """
    values = getattr(node, '_rl_pending', None) or {}
    if name in values:
        return values[name]
    return node.get_parameter(name).value


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
        period_s = _declare_once(
            node,
            'diagnostics.period_s',
            float(period_s),
            'seconds between /diagnostics messages',
            read_only=True,
            min_value=0.05,
            max_value=60.0,
        )
        self.window_s = _declare_once(
            node,
            'diagnostics.window_s',
            float(window_s),
            'sliding window for diagnostic levels, s (errors older than this clear)',
            min_value=0.1,
            max_value=3600.0,
        )
        hw = _declare_once(
            node,
            'diagnostics.hardware_id',
            hardware_id,
            'hardware_id of the diagnostics (empty: the fully qualified node name)',
            read_only=True,
        )
        self.hardware_id = hw or node.get_fully_qualified_name()
        live_parameters(node, {'diagnostics.window_s': self._set_window}, lock_others=False)
        # Wall-clock timer: diagnostics must flow even while sim time is paused (lockstep).
        self._timer = node.create_timer(period_s, self.publish, clock=_wall_clock())

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
            prefix = f'diagnostics.{name}.'
            t.expected_hz = _declare_once(
                self._node,
                prefix + 'expected_hz',
                float(expected_hz or 0.0),
                f'{name}: expected input rate, Hz (WARN below half of it; 0: no check)',
                min_value=0.0,
                max_value=100000.0,
            ) or None
            t.stale_s = _declare_once(
                self._node,
                prefix + 'stale_s',
                float(stale_s or 0.0),
                f'{name}: STALE after this many seconds without input (0: never)',
                min_value=0.0,
                max_value=86400.0,
            ) or None

            def set_hz(v: float) -> None:
                t.expected_hz = v or None

            def set_stale(v: float) -> None:
                t.stale_s = v or None

            live_parameters(
                self._node,
                {prefix + 'expected_hz': set_hz, prefix + 'stale_s': set_stale},
                lock_others=False,
            )
        return t

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


def _declare_once(node: Node, name: str, default: Any, description: str, **kw: Any) -> Any:
    if node.has_parameter(name):
        return node.get_parameter(name).value
    return declare(node, name, default, description, **kw)


def _wall_clock():
    from rclpy.clock import Clock, ClockType

    return Clock(clock_type=ClockType.STEADY_TIME)


def stamp_to_s(stamp) -> float:
    """builtin_interfaces/Time (or rosbags Time) -> float seconds."""
    return float(stamp.sec) + 1e-9 * float(stamp.nanosec)


def s_to_stamp(t: float):
    """Float seconds -> builtin_interfaces/Time."""
    from builtin_interfaces.msg import Time

    sec = int(t // 1)
    return Time(sec=sec, nanosec=int(round((t - sec) * 1e9)) % 1_000_000_000)


def spin_node(node_cls: type, args=None) -> None:
    """Body of every node's console script (``main``), the same for all of them.

    Initialises rclpy, builds ``node_cls()``, spins until Ctrl-C or shutdown, then calls
    the node's ``close()`` if it has one (the recorder closes its bag, the learner writes
    its last checkpoint) and destroys it. A ``RobotLearningError`` while building the node
    (bad parameter, missing bag or checkpoint) exits with code 2 and one line.
    """
    import signal
    import sys

    import rclpy
    from rclpy.executors import ExternalShutdownException
    from robot_learning.errors import RobotLearningError

    # rclpy's handler (installed by init, chaining to the one set here) shuts the context
    # down and wakes the executor, which is the whole stop. Python's default handler would
    # also raise KeyboardInterrupt wherever the main thread is; inside a finalizer
    # (rclpy Task.__del__) that prints a traceback that launch reports as a crash.
    signal.signal(signal.SIGINT, lambda *_: None)
    rclpy.init(args=args)
    try:
        node = node_cls()
    except RobotLearningError as exc:
        print(f'{node_cls.__name__}: {exc}', file=sys.stderr)
        rclpy.try_shutdown()
        raise SystemExit(2) from None
    except Exception:
        if rclpy.ok():
            raise
        exit_now()  # stopped while starting (the context went away under the node): quiet
    try:
        rclpy.spin(node)
    except (KeyboardInterrupt, ExternalShutdownException):
        pass
    except Exception:
        # A shutdown signal can invalidate a subscription's handle while the executor
        # takes its message (rclpy raises RuntimeError): that is the stop, not a fault.
        if rclpy.ok():
            raise
    finally:
        close = getattr(node, 'close', None)
        if callable(close):
            close()
        node.destroy_node()
        rclpy.try_shutdown()
    exit_now()


def exit_now(code: int = 0) -> None:
    """Flush stdio and end the process without interpreter teardown.

    Everything is closed by now (bags, checkpoints, TensorBoard, the node); tearing down an
    interpreter that loaded torch takes 2-6 s on a busy 2-core machine (module garbage
    collection), past the 5 s after which ``launch`` escalates SIGINT to SIGTERM.
    """
    import os
    import sys

    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            pass
    os._exit(code)
