# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 robot_learning maintainers
"""Topics of ``demo_recorder``: the ``topics`` entries, type discovery, QoS adaptation.

A topic is subscribed raw (serialized bytes, never deserialized) as soon as its type is
known: given in the entry (``'name:pkg/msg/Type'``) or discovered from the graph. QoS as
``ros2 bag record``: depth 1000; reliable when every publisher offers reliable, best
effort otherwise; transient local when every publisher offers it. :meth:`TopicTable.discover`
runs every ``discovery_period_s`` and re-creates a subscription whose publishers need
another QoS or publish another type.
"""

from __future__ import annotations

from dataclasses import dataclass
import importlib
from typing import Any, Callable

from rclpy.event_handler import SubscriptionEventCallbacks, UnsupportedEventTypeError
from rclpy.node import Node
from rclpy.qos import DurabilityPolicy, HistoryPolicy, QoSProfile, ReliabilityPolicy
from robot_learning.data.bagwriter import normalize_msgtype, qos_dict
from robot_learning.errors import BagError

from .diagnostics import Diagnostics

#: Default ``topics``: the simulator / policy topics of docs/interfaces.md.
DEFAULT_TOPICS = [
    'camera/image_raw:sensor_msgs/msg/Image',
    'scan:sensor_msgs/msg/LaserScan',
    'odom:nav_msgs/msg/Odometry',
    'detections:geometry_msgs/msg/PoseArray',
    'instruction:std_msgs/msg/String',
    'episode:diagnostic_msgs/msg/DiagnosticArray',
    'action:geometry_msgs/msg/TwistStamped',
    'intervention:std_msgs/msg/Bool',
    'teleop/cmd_vel:geometry_msgs/msg/TwistStamped',
    'cmd_vel:geometry_msgs/msg/TwistStamped',
    'observation/scan:sensor_msgs/msg/LaserScan',
]
QUEUE_DEPTH = 1000


def parse_topic_entry(entry: str) -> tuple[str, str | None]:
    """``'name'`` / ``'name:pkg/msg/Type'`` -> ``(name, 'pkg/msg/Type' or None)``.

    Raises:
        BagError: empty name or malformed type.
    """
    name, sep, msgtype = str(entry).strip().partition(':')
    name = name.strip()
    if not name:
        raise BagError(f'topics entry {entry!r} has no topic name')
    return name, (normalize_msgtype(msgtype) if sep and msgtype.strip() else None)


def import_msg_class(msgtype: str) -> Any:
    """``'pkg/msg/Type'`` -> the rclpy message class.

    Raises:
        BagError: package or type not importable.
    """
    pkg, kind, name = normalize_msgtype(msgtype).split('/')
    try:
        return getattr(importlib.import_module(f'{pkg}.{kind}'), name)
    except (ImportError, AttributeError) as exc:
        raise BagError(f'message type {msgtype} cannot be imported: {exc}') from None


def _qos_policy_name(policy: Any) -> str:
    return getattr(policy, 'name', str(policy)).lower()


def offered_qos_dicts(infos: list) -> list[dict]:
    """Convert rclpy ``TopicEndpointInfo`` list to offered QoS dicts for the bag metadata."""
    out = []
    for info in infos:
        q = info.qos_profile
        d = qos_dict(
            reliability=_qos_policy_name(q.reliability),
            durability=_qos_policy_name(q.durability),
            history=_qos_policy_name(q.history),
            depth=int(q.depth),
        )
        for key in ('deadline', 'lifespan', 'liveliness_lease_duration'):
            ns = int(getattr(q, key).nanoseconds)
            if 0 < ns < 2**63 - 1:
                d[key] = {'sec': ns // 1_000_000_000, 'nsec': ns % 1_000_000_000}
        d['liveliness'] = _qos_policy_name(q.liveliness)
        d['avoid_ros_namespace_conventions'] = bool(q.avoid_ros_namespace_conventions)
        out.append(d)
    return out


@dataclass
class RecordedTopic:
    """One recorded topic."""

    name: str  # as configured (relative)
    topic: str  # resolved absolute name, the bag's topic name
    msgtype: str | None  # 'pkg/msg/Type'; None until discovered
    sub: Any = None
    reliable: bool = True
    transient: bool = False
    failed: bool = False  # type not importable: given up


class TopicTable:
    """The recorded topics of one node, subscribed raw as their types become known.

    Args:
        node: owner of the subscriptions; names resolve in its namespace (and remaps).
        diag: counts ``lost <topic>``, ``error_subscribe``; value ``waiting_for_type``.
        entries: the ``topics`` parameter (see :func:`parse_topic_entry`).
        instruction: the instruction topic (recorded even if not in ``entries``, starts
            transient local).
        on_raw: ``on_raw(topic, raw_bytes)`` for every message received.

    Attributes:
        topics: resolved absolute name -> :class:`RecordedTopic`.
        instruction_topic: the instruction topic, resolved.

    Raises:
        BagError: an entry is malformed.
    """

    def __init__(
        self,
        node: Node,
        diag: Diagnostics,
        entries: list[str],
        instruction: str,
        on_raw: Callable[[str, bytes], None],
    ):
        self._node, self._diag, self._on_raw = node, diag, on_raw
        self.topics: dict[str, RecordedTopic] = {}
        for entry in entries:
            name, msgtype = parse_topic_entry(entry)
            topic = node.resolve_topic_name(name)
            if topic in self.topics:
                if msgtype and not self.topics[topic].msgtype:
                    self.topics[topic].msgtype = msgtype
                continue
            self.topics[topic] = RecordedTopic(name, topic, msgtype)
        self.instruction_topic = node.resolve_topic_name(instruction)
        if self.instruction_topic not in self.topics:
            self.topics[self.instruction_topic] = RecordedTopic(
                instruction, self.instruction_topic, 'std_msgs/msg/String'
            )
        self.topics[self.instruction_topic].transient = True

    def discover(self) -> None:
        """Resolve missing types, (re)create subscriptions whose QoS/type must change."""
        names_types = None
        waiting = []
        for t in self.topics.values():
            if t.failed:
                continue
            try:
                infos = self._node.get_publishers_info_by_topic(t.topic)
            except Exception:  # noqa: BLE001 -- graph query during shutdown
                return
            msgtype = t.msgtype
            pub_types = [normalize_msgtype(i.topic_type) for i in infos]
            if pub_types and msgtype not in pub_types:
                msgtype = pub_types[0]
            if msgtype is None:
                if names_types is None:
                    names_types = dict(self._node.get_topic_names_and_types())
                types = names_types.get(t.topic)
                if not types:
                    waiting.append(t.topic)
                    continue
                msgtype = normalize_msgtype(types[0])
            if infos:
                reliable = all(
                    i.qos_profile.reliability == ReliabilityPolicy.RELIABLE for i in infos
                )
                transient = all(
                    i.qos_profile.durability == DurabilityPolicy.TRANSIENT_LOCAL for i in infos
                )
            else:  # no publisher yet: keep what we have
                reliable, transient = t.reliable, t.transient
            if (
                t.sub is not None
                and msgtype == t.msgtype
                and reliable == t.reliable
                and transient == t.transient
            ):
                continue
            self._subscribe(t, msgtype, reliable, transient)
        self._diag.set('waiting_for_type', ' '.join(waiting) or '-')

    def _subscribe(self, t: RecordedTopic, msgtype: str, reliable: bool, transient: bool) -> None:
        try:
            cls = import_msg_class(msgtype)
        except BagError as exc:
            t.failed = True
            self._diag.error('error_subscribe', f'{t.topic}: {exc}; not recorded')
            return
        if t.sub is not None:
            self._node.destroy_subscription(t.sub)
            if msgtype != t.msgtype:
                self._node.get_logger().warning(
                    f'{t.topic}: publishers offer {msgtype}, '
                    f'recording that instead of {t.msgtype}'
                )
        qos = QoSProfile(
            history=HistoryPolicy.KEEP_LAST,
            depth=QUEUE_DEPTH,
            reliability=ReliabilityPolicy.RELIABLE if reliable else ReliabilityPolicy.BEST_EFFORT,
            durability=(
                DurabilityPolicy.TRANSIENT_LOCAL if transient else DurabilityPolicy.VOLATILE
            ),
        )
        topic = t.topic

        def on_raw(raw: bytes, topic=topic) -> None:
            self._on_raw(topic, raw)

        def on_lost(info, topic=topic) -> None:
            self._diag.count(f'lost {topic}', int(getattr(info, 'total_count_change', 1)))

        events = SubscriptionEventCallbacks(message_lost=on_lost, incompatible_qos=lambda _e: None)
        try:
            t.sub = self._node.create_subscription(
                cls, topic, on_raw, qos, raw=True, event_callbacks=events
            )
        except UnsupportedEventTypeError:
            t.sub = self._node.create_subscription(cls, topic, on_raw, qos, raw=True)
        t.msgtype, t.reliable, t.transient = msgtype, reliable, transient
        self._node.get_logger().debug(
            f'subscribed {topic} [{msgtype}] '
            f'{"reliable" if reliable else "best effort"}'
            f'{" transient local" if transient else ""}'
        )
