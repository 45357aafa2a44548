# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 robot_learning maintainers
"""Shared helpers for the thin rclpy nodes: QoS profiles, parameters, diagnostics.

Nodes stay thin: they convert messages with the ROS-free core and publish. What is
common to all of them (QoS choices, throttled error counting on ``/diagnostics``,
typed parameter declaration with descriptors) lives here once.
"""

from __future__ import annotations

import dataclasses
import time
from typing import Any

from diagnostic_msgs.msg import DiagnosticArray, DiagnosticStatus, KeyValue
from rcl_interfaces.msg import ParameterDescriptor
from rclpy.node import Node
from rclpy.qos import (
    DurabilityPolicy,
    HistoryPolicy,
    qos_profile_sensor_data,
    QoSProfile,
    ReliabilityPolicy,
)

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


def declare(node: Node, name: str, default: Any, description: str, read_only: bool = False) -> Any:
    """Declare one parameter with a descriptor and return its value.

    Args:
        node: the node that owns the parameter.
        name: parameter name.
        default: default value; its type fixes the parameter type.
        description: one line shown by ``ros2 param describe``.
        read_only: whether it may change after start-up.
    """
    desc = ParameterDescriptor(description=description, read_only=read_only)
    return node.declare_parameter(name, default, desc).value


def declare_dataclass(
    node: Node,
    cfg_type: type,
    prefix: str = '',
    docs: dict[str, str] | None = None,
    skip: tuple = (),
    **fixed: Any,
) -> Any:
    """Declare one parameter per field of a config dataclass and build the config.

    Field defaults become parameter defaults; tuples/lists become arrays. ``docs`` maps a
    field name to its description (defaults to the field name). Fields in ``skip``, fields
    without a default and fields defaulting to None or an empty sequence are not
    declared; ``fixed`` supplies values that are not parameters (e.g. obs_dim).

    Returns:
        An instance of ``cfg_type`` filled from the node's parameters.
    """
    docs = docs or {}
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
        value = declare(
            node, prefix + f.name, list(default) if as_list else default, docs.get(f.name, f.name)
        )
        values[f.name] = tuple(value) if as_list else value
    return cfg_type(**values, **fixed)


class Diagnostics:
    """Counts errors and publishes them on ``/diagnostics`` once a second.

    Malformed input must never stop a node: the node calls :meth:`error`, which logs
    a throttled error and counts it; the counts appear as key/values on
    ``diagnostic_msgs/DiagnosticArray`` (level WARN once any error was counted).
    """

    def __init__(self, node: Node, period_s: float = 1.0, topic: str = '/diagnostics'):
        self._node = node
        self._pub = node.create_publisher(DiagnosticArray, topic, 10)
        self.counters: dict[str, int] = {}
        self.values: dict[str, str] = {}
        self.last_error = ''
        self._last_log: dict[str, float] = {}
        # Wall-clock timer: diagnostics must flow even while sim time is paused (lockstep).
        self._timer = node.create_timer(period_s, self.publish, clock=_wall_clock())

    def count(self, key: str, n: int = 1) -> None:
        """Add ``n`` to counter ``key``."""
        self.counters[key] = self.counters.get(key, 0) + n

    def set(self, key: str, value: Any) -> None:
        """Report a value (string form) on the next diagnostics message."""
        self.values[key] = str(value)

    def error(self, key: str, message: str, throttle_s: float = 2.0) -> None:
        """Count an error under ``key`` and log it at most once every ``throttle_s``."""
        self.count(key)
        self.last_error = message
        now = time.monotonic()
        if now - self._last_log.get(key, -1e9) >= throttle_s:
            self._last_log[key] = now
            self._node.get_logger().error(f'{message} ({key}: {self.counters[key]} so far)')

    def publish(self) -> None:
        """Publish the status now (also called by the timer)."""
        st = DiagnosticStatus()
        st.name = f'{self._node.get_name()}'
        st.hardware_id = self._node.get_fully_qualified_name()
        errors = sum(v for k, v in self.counters.items() if k.startswith('error'))
        st.level = DiagnosticStatus.WARN if errors else DiagnosticStatus.OK
        st.message = self.last_error if errors else 'ok'
        st.values = [KeyValue(key=k, value=str(v)) for k, v in sorted(self.counters.items())]
        st.values += [KeyValue(key=k, value=v) for k, v in sorted(self.values.items())]
        arr = DiagnosticArray()
        arr.header.stamp = self._node.get_clock().now().to_msg()
        arr.status = [st]
        self._pub.publish(arr)


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
    import sys

    import rclpy
    from rclpy.executors import ExternalShutdownException
    from robot_learning.errors import RobotLearningError

    rclpy.init(args=args)
    try:
        node = node_cls()
    except RobotLearningError as exc:
        print(f'{node_cls.__name__}: {exc}', file=sys.stderr)
        rclpy.try_shutdown()
        raise SystemExit(2) from None
    try:
        rclpy.spin(node)
    except (KeyboardInterrupt, ExternalShutdownException):
        pass
    finally:
        close = getattr(node, 'close', None)
        if callable(close):
            close()
        node.destroy_node()
        rclpy.try_shutdown()
