# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 robot_learning maintainers
"""demo_recorder: record demonstrations, one rosbag2 bag per episode.

Records the configured topics raw (serialized CDR bytes, never deserialized) into
``<output_dir>/<session>/episode_NNNN/`` (MCAP by default, ``storage: sqlite3`` on
request) through :class:`robot_learning.data.bagwriter.EpisodeBagWriter`. Each episode is a
complete bag closed when the episode stops, so a crash mid-episode leaves every earlier
episode readable. The session directory also gets ``episodes.jsonl`` (one JSON line per
kept episode: ``dir``, ``instruction``, ``outcome``, ``messages``, ``episode``,
``start_time_ns``, ``stop_time_ns``) for humans.

Parameters:
    topics (string[]): entries ``'name'`` (type discovered from the graph) or
        ``'name:pkg/msg/Type'`` (subscribed at once, so nothing published right after
        start-up is lost). Names are relative (namespace + remaps apply).
    output_dir (string): root directory of the sessions (``bags``).
    session (string): session directory name; empty -> local time ``YYYYmmdd_HHMMSS``.
    storage (string): ``mcap`` or ``sqlite3``.
    instruction_topic (string): std_msgs/String topic whose latest value becomes the
        episode's ``instruction`` (subscribed and recorded even if not in ``topics``).
    discovery_period_s (double): wall period of type discovery / QoS adaptation, s
        (0.05-60, live).
    flush_period_s (double): longest time (wall, s) received messages wait in memory
        before they are written to the bag file: what a crash can lose (0.05-1.0, live).
    Every other parameter is read-only (a set is refused with a reason).
    recover_on_start (bool): at start, reindex every unfinished bag below
        ``output_dir`` (a crashed recorder's episode) with outcome ``crashed``.
    intervention_topic (string): std_msgs/Bool topic (policy_node ``intervention``) whose
        true values mark human takeovers; counted into custom_data ``interventions``
        (segments) and ``intervention_steps`` (commands), so deployment bags can be
        selected for DAgger-style training (issue 3).

QoS (as ``ros2 bag record``): depth 1000; reliable when every publisher offers reliable,
best effort otherwise; transient local when every publisher offers it (the
instruction topic starts transient local before any publisher is seen). The graph is
checked every ``discovery_period_s``; a subscription is re-created when its publishers
need another QoS or publish another type.

Services (std_srvs), the operator's order of use:
    1. ``recorder/start_episode`` (Trigger): starts ``episode_NNNN`` (stops an active
       one first). The latest instruction message is written into the new bag at once.
    2. ``recorder/set_success`` (SetBool): outcome ``success`` (true) / ``failure``
       (false) of the active episode. Call it *before* stop; called with no active
       episode it rewrites the last stopped episode's metadata (``metadata.yaml``, the
       copy inside the MCAP / db3 file, and ``episodes.jsonl``) instead.
    3. ``recorder/stop_episode`` (Trigger): closes the bag (outcome ``unknown`` unless
       set) with custom_data ``instruction``, ``outcome``, ``episode``, ``session``,
       ``start_time_ns``, ``stop_time_ns``.
    ``recorder/discard_episode`` (Trigger): deletes the active episode, or the last
    stopped one when none is active. A discarded episode leaves no directory.

Crash recovery: each episode bag starts with a record of what is known at its start
(instruction, episode, session, start time) and is flushed every ``flush_period_s``. A
recorder killed mid-episode leaves an MCAP file without index or ``metadata.yaml``; at
its next start (or with ``robot-learning bag reindex DIR``) the bag is rebuilt from every
complete record, with outcome ``crashed`` (one log line per recovered bag). A bag being
written by another running recorder is locked and left alone.

Timestamps are the node clock at receive time (``use_sim_time`` honoured: sim time,
0 until the first ``/clock``). Diagnostics: ``recorded <topic>`` and ``lost <topic>``
(middleware "message lost" events) per topic, ``episodes_kept``, ``episodes_discarded``,
``error_write`` (failed writes), ``error_subscribe``, ``error_episode``,
``episodes_recovered``, ``error_recover``; values ``recording`` (episode dir or
``idle``) and ``waiting_for_type``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
import importlib
import json
import os
from pathlib import Path
import re
import shutil
import time
from typing import Any

from rclpy.clock import Clock, ClockType
from rclpy.event_handler import SubscriptionEventCallbacks, UnsupportedEventTypeError
from rclpy.node import Node
from rclpy.qos import DurabilityPolicy, HistoryPolicy, QoSProfile, ReliabilityPolicy
from robot_learning.data.bagwriter import (
    EpisodeBagWriter,
    normalize_msgtype,
    qos_dict,
    update_custom_data,
)
from robot_learning.errors import BagError, RobotLearningError
from robot_learning_nodes.common import declare, Diagnostics, live_parameters, spin_node
from std_msgs.msg import String
from std_srvs.srv import SetBool, Trigger

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
_EPISODE_RE = re.compile(r'^episode_(\d+)$')


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
class _Topic:
    """One recorded topic."""

    name: str  # as configured (relative)
    topic: str  # resolved absolute name, the bag's topic name
    msgtype: str | None  # 'pkg/msg/Type'; None until discovered
    sub: Any = None
    reliable: bool = True
    transient: bool = False
    failed: bool = False  # type not importable: given up


@dataclass
class _Episode:
    """The active episode."""

    index: int
    path: Path
    writer: EpisodeBagWriter
    start_ns: int
    outcome: str = 'unknown'
    start: dict = field(default_factory=dict)  # the bag's start record (crash recovery)
    intervention_steps: int = 0  # commands marked as a human takeover
    interventions: int = 0  # takeover segments (false -> true edges)
    intervening: bool = False


@dataclass
class _Stopped:
    """The last kept episode (target of set_success / discard without an active one)."""

    index: int
    path: Path
    custom: dict = field(default_factory=dict)


class DemoRecorder(Node):
    """Records configured topics raw, one bag per episode, driven by services."""

    def __init__(self, **kwargs):
        super().__init__('demo_recorder', **kwargs)
        entries = declare(
            self,
            'topics',
            list(DEFAULT_TOPICS),
            "topics to record: 'name' or 'name:pkg/msg/Type'",
            read_only=True,
        )
        self.output_dir = Path(
            declare(
                self, 'output_dir', 'bags', 'root directory of recording sessions', read_only=True
            )
        )
        session = declare(
            self,
            'session',
            '',
            'session directory name; empty = local time YYYYmmdd_HHMMSS',
            read_only=True,
        )
        self.session = session or time.strftime('%Y%m%d_%H%M%S')
        self.storage = declare(
            self, 'storage', 'mcap', 'bag storage: mcap or sqlite3', read_only=True
        )
        instruction = declare(
            self,
            'instruction_topic',
            'instruction',
            'std_msgs/String topic giving the episode instruction',
            read_only=True,
        )
        intervention = declare(
            self,
            'intervention_topic',
            'intervention',
            'std_msgs/Bool topic marking human takeovers (policy_node)',
            read_only=True,
        )
        period = float(
            declare(
                self,
                'discovery_period_s',
                0.5,
                'wall period of topic type discovery and QoS adaptation, s (live)',
                min_value=0.05,
                max_value=60.0,
            )
        )
        self.flush_period_s = float(
            declare(
                self,
                'flush_period_s',
                0.5,
                'longest time received messages wait in memory before reaching the bag '
                'file (what a crash can lose), s (live)',
                min_value=0.05,
                max_value=1.0,
            )
        )
        recover = declare(
            self,
            'recover_on_start',
            True,
            'reindex unfinished (crashed) bags below output_dir at start, outcome crashed',
            read_only=True,
        )
        if self.storage not in ('mcap', 'sqlite3'):
            raise BagError(f'demo_recorder: storage {self.storage!r} must be mcap or sqlite3')
        self.session_dir = self.output_dir / self.session
        self.diag = Diagnostics(self)
        #: bag directories recovered at start (crashed episodes of an earlier run).
        self.recovered: list[Path] = self._recover() if recover else []

        self.topics: dict[str, _Topic] = {}
        for entry in entries:
            name, msgtype = parse_topic_entry(entry)
            topic = self.resolve_topic_name(name)
            if topic in self.topics:
                if msgtype and not self.topics[topic].msgtype:
                    self.topics[topic].msgtype = msgtype
                continue
            self.topics[topic] = _Topic(name, topic, msgtype)
        self.instruction_topic = self.resolve_topic_name(instruction)
        if self.instruction_topic not in self.topics:
            self.topics[self.instruction_topic] = _Topic(
                instruction, self.instruction_topic, 'std_msgs/msg/String'
            )
        self.topics[self.instruction_topic].transient = True
        self.intervention_topic = self.resolve_topic_name(intervention)
        self._instruction_raw: bytes | None = None
        self._instruction_text = ''

        self._episode: _Episode | None = None
        self._last: _Stopped | None = None
        self._next_index = self._first_free_index()

        # Subscribe what we can right away, then keep adapting on a wall timer.
        self._discover()
        self._timer = self._wall_timer(period, self._discover)
        self._flush_timer = self._wall_timer(self.flush_period_s, self._flush)
        # The two periods apply live; every other parameter is fixed at start-up (topics,
        # files and storage of a session cannot change under an open bag).
        live_parameters(
            self,
            {'discovery_period_s': self._set_discovery_period, 'flush_period_s': self._set_flush},
        )
        self.create_service(Trigger, 'recorder/start_episode', self._srv_start)
        self.create_service(Trigger, 'recorder/stop_episode', self._srv_stop)
        self.create_service(Trigger, 'recorder/discard_episode', self._srv_discard)
        self.create_service(SetBool, 'recorder/set_success', self._srv_set_success)
        self.diag.set('recording', 'idle')
        self.diag.set('session_dir', str(self.session_dir))
        self.get_logger().info(
            f'recording {len(self.topics)} topics into {self.session_dir} '
            f'({self.storage}); waiting for recorder/start_episode'
        )

    def _wall_timer(self, period: float, callback):
        return self.create_timer(
            float(period), callback, clock=Clock(clock_type=ClockType.STEADY_TIME)
        )

    def _set_discovery_period(self, period: float) -> None:
        self.destroy_timer(self._timer)
        self._timer = self._wall_timer(period, self._discover)

    def _set_flush(self, period: float) -> None:
        self.flush_period_s = float(period)
        self.destroy_timer(self._flush_timer)
        self._flush_timer = self._wall_timer(period, self._flush)
        if self._episode is not None:
            self._episode.writer.flush_period_s = self.flush_period_s

    # ------------------------------------------------------------------ crash safety
    def _recover(self) -> list[Path]:
        """Reindex the unfinished bags a killed recorder left below ``output_dir``."""
        from robot_learning.data.bagrepair import find_unfinished, reindex_bag

        done = []
        for bag in find_unfinished(self.output_dir):
            try:
                res = reindex_bag(bag)
            except BagError as exc:
                self.diag.error('error_recover', f'cannot recover {bag}: {exc}')
                continue
            if res.status == 'recovered':
                done.append(bag)
                self.diag.count('episodes_recovered')
                self.get_logger().info(f'crashed episode {res.line()}')
        return done

    def _flush(self) -> None:
        """Wall timer: put what the active episode received on disk (crash safety)."""
        ep = self._episode
        if ep is None:
            return
        try:
            ep.writer.flush()
        except BagError as exc:
            self.diag.error('error_write', f'flush: {exc}')

    # ------------------------------------------------------------------ subscriptions
    def _discover(self) -> None:
        """Resolve missing types, (re)create subscriptions whose QoS/type must change."""
        names_types = None
        waiting = []
        for t in self.topics.values():
            if t.failed:
                continue
            try:
                infos = self.get_publishers_info_by_topic(t.topic)
            except Exception:  # noqa: BLE001 -- graph query during shutdown
                return
            msgtype = t.msgtype
            pub_types = [normalize_msgtype(i.topic_type) for i in infos]
            if pub_types and msgtype not in pub_types:
                msgtype = pub_types[0]
            if msgtype is None:
                if names_types is None:
                    names_types = dict(self.get_topic_names_and_types())
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
        self.diag.set('waiting_for_type', ' '.join(waiting) or '-')

    def _subscribe(self, t: _Topic, msgtype: str, reliable: bool, transient: bool) -> None:
        try:
            cls = import_msg_class(msgtype)
        except BagError as exc:
            t.failed = True
            self.diag.error('error_subscribe', f'{t.topic}: {exc}; not recorded')
            return
        if t.sub is not None:
            self.destroy_subscription(t.sub)
            if msgtype != t.msgtype:
                self.get_logger().warning(
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
            self.diag.count(f'lost {topic}', int(getattr(info, 'total_count_change', 1)))

        events = SubscriptionEventCallbacks(message_lost=on_lost, incompatible_qos=lambda _e: None)
        try:
            t.sub = self.create_subscription(
                cls, topic, on_raw, qos, raw=True, event_callbacks=events
            )
        except UnsupportedEventTypeError:
            t.sub = self.create_subscription(cls, topic, on_raw, qos, raw=True)
        t.msgtype, t.reliable, t.transient = msgtype, reliable, transient
        self.get_logger().debug(
            f'subscribed {topic} [{msgtype}] '
            f'{"reliable" if reliable else "best effort"}'
            f'{" transient local" if transient else ""}'
        )

    def _on_raw(self, topic: str, raw: bytes) -> None:
        """Subscription callback: serialized bytes of one message."""
        now = self.get_clock().now().nanoseconds
        if topic == self.instruction_topic:
            changed = self._set_instruction(raw)
            if changed and self._episode is not None:
                self._restart_record(self._episode)
        ep = self._episode
        if ep is None:
            return
        if topic == self.intervention_topic:
            self._count_intervention(ep, raw)
        self._write(ep, topic, now, raw)

    def _count_intervention(self, ep: _Episode, raw: bytes) -> None:
        from rclpy.serialization import deserialize_message
        from std_msgs.msg import Bool

        try:
            on = bool(deserialize_message(raw, Bool).data)
        except Exception:  # noqa: BLE001 -- another type on that topic: recorded, not counted
            self.diag.error(
                'error_intervention',
                f'{self.intervention_topic}: not std_msgs/Bool; ' 'interventions are not counted',
            )
            return
        ep.intervention_steps += on
        ep.interventions += on and not ep.intervening
        ep.intervening = on

    def _write(self, ep: _Episode, topic: str, stamp_ns: int, raw: bytes) -> None:
        t = self.topics[topic]
        try:
            bag_type = ep.writer.msgtype_of(topic)
            if bag_type is None:
                self._add_topic(ep, t)
            elif bag_type != t.msgtype:
                raise BagError(
                    f'type changed to {t.msgtype} during the episode, bag has '
                    f'{bag_type}: message dropped'
                )
            ep.writer.write(topic, stamp_ns, raw)
        except BagError as exc:
            self.diag.error('error_write', f'{topic}: {exc}')
            return
        self.diag.count(f'recorded {topic}')

    def _add_topic(self, ep: _Episode, t: _Topic) -> None:
        """Register a subscribed topic in the episode bag with its publishers' QoS."""
        try:
            offered = offered_qos_dicts(self.get_publishers_info_by_topic(t.topic))
        except Exception:  # noqa: BLE001 -- graph query failed: QoS unknown
            offered = []
        ep.writer.add_topic(t.topic, t.msgtype, offered)

    def _restart_record(self, ep: _Episode) -> None:
        """Write the start record again with the new instruction.

        stop_episode gives the episode the latest instruction; a recovery takes the last
        start record, so a crashed episode gets the same.
        """
        ep.start['instruction'] = self._instruction_text
        try:
            ep.writer.write_start_record(ep.start)
        except BagError as exc:
            self.diag.error('error_write', f'start record: {exc}')

    def _set_instruction(self, raw: bytes) -> bool:
        """Take a new instruction message; returns whether the text changed."""
        from rclpy.serialization import deserialize_message

        try:
            text = deserialize_message(raw, String).data
        except Exception as exc:  # noqa: BLE001 -- wrong type on the instruction topic
            self.diag.error(
                'error_instruction',
                f'{self.instruction_topic}: cannot read ' f'std_msgs/String: {exc}',
            )
            return False
        changed = text != self._instruction_text
        self._instruction_raw, self._instruction_text = raw, text
        self.diag.set('instruction', text)
        return changed

    # ------------------------------------------------------------------ episodes
    def _first_free_index(self) -> int:
        """Next episode index of the session (continues an existing session)."""
        try:
            nums = [
                int(m.group(1))
                for p in self.session_dir.iterdir()
                if (m := _EPISODE_RE.match(p.name))
            ]
        except OSError:
            return 0
        return max(nums) + 1 if nums else 0

    @property
    def active_episode(self) -> Path | None:
        """Directory of the active episode, or None."""
        return self._episode.path if self._episode else None

    def start_episode(self) -> Path:
        """Stop the active episode (if any) and start a new bag; returns its directory.

        Raises:
            BagError: the bag cannot be created.
        """
        if self._episode is not None:
            self.stop_episode()
        index = self._next_index
        while (self.session_dir / f'episode_{index:04d}').exists():
            index += 1
        path = self.session_dir / f'episode_{index:04d}'
        writer = EpisodeBagWriter(path, self.storage, flush_period_s=self.flush_period_s)
        self._next_index = index + 1
        now = self.get_clock().now().nanoseconds
        start = {
            'instruction': self._instruction_text,
            'outcome': 'unknown',
            'episode': str(index),
            'session': self.session,
            'start_time_ns': str(now),
        }
        try:
            writer.write_start_record(start)  # what a crash recovery will know of it
        except BagError:
            writer.discard()
            raise
        ep = _Episode(index, path, writer, now, start=start)
        self._episode = ep
        for t in self.topics.values():
            if t.sub is not None and t.msgtype:
                try:
                    self._add_topic(ep, t)
                except BagError as exc:
                    self.diag.error('error_write', f'{t.topic}: {exc}')
        if self._instruction_raw is not None:
            self._write(ep, self.instruction_topic, now, self._instruction_raw)
        self.diag.set('recording', str(path))
        self.get_logger().info(f'started {path} (instruction: {self._instruction_text!r})')
        return path

    def stop_episode(self) -> Path | None:
        """Close the active episode's bag; returns its directory (None if none active).

        Raises:
            BagError: the bag cannot be closed (the directory is kept as is).
        """
        ep, self._episode = self._episode, None
        if ep is None:
            return None
        self.diag.set('recording', 'idle')
        stop_ns = self.get_clock().now().nanoseconds
        custom = {
            'instruction': self._instruction_text,
            'outcome': ep.outcome,
            'episode': str(ep.index),
            'session': self.session,
            'start_time_ns': str(ep.start_ns),
            'stop_time_ns': str(stop_ns),
            'interventions': str(ep.interventions),
            'intervention_steps': str(ep.intervention_steps),
        }
        ep.writer.close(custom)
        self._last = _Stopped(ep.index, ep.path, custom)
        self._append_jsonl(ep.path.name, custom, ep.writer.message_count)
        self.diag.count('episodes_kept')
        self.get_logger().info(
            f'stopped {ep.path}: {ep.writer.message_count} messages, ' f'outcome {ep.outcome}'
        )
        return ep.path

    def discard_episode(self) -> Path | None:
        """Delete the active episode, else the last stopped one; returns the deleted dir."""
        ep, self._episode = self._episode, None
        if ep is not None:
            ep.writer.discard()
            path = ep.path
            self.diag.set('recording', 'idle')
        elif self._last is not None:
            path = self._last.path
            shutil.rmtree(path, ignore_errors=True)
            self._rewrite_jsonl(path.name, None)
            self._last = None
        else:
            return None
        self.diag.count('episodes_discarded')
        self.get_logger().info(f'discarded {path}')
        return path

    def set_outcome(self, success: bool) -> Path | None:
        """Mark the active (else last stopped) episode success/failure; returns its dir.

        Raises:
            BagError: the stopped episode's metadata cannot be rewritten.
        """
        outcome = 'success' if success else 'failure'
        if self._episode is not None:
            self._episode.outcome = outcome
            return self._episode.path
        if self._last is None:
            return None
        self._last.custom = update_custom_data(self._last.path, {'outcome': outcome})
        self._rewrite_jsonl(self._last.path.name, outcome)
        return self._last.path

    def _append_jsonl(self, dirname: str, custom: dict, count: int) -> None:
        line = {
            'dir': dirname,
            'instruction': custom['instruction'],
            'outcome': custom['outcome'],
            'messages': count,
            'episode': int(custom['episode']),
            'start_time_ns': int(custom['start_time_ns']),
            'stop_time_ns': int(custom['stop_time_ns']),
            'interventions': int(custom.get('interventions', 0)),
        }
        try:
            with open(self.session_dir / 'episodes.jsonl', 'a', encoding='utf8') as f:
                f.write(json.dumps(line) + '\n')
        except OSError as exc:
            self.diag.error('error_episode', f'episodes.jsonl: {exc}')

    def _rewrite_jsonl(self, dirname: str, outcome: str | None) -> None:
        """Set the outcome of ``dirname``'s line, or drop the line (outcome None)."""
        path = self.session_dir / 'episodes.jsonl'
        try:
            lines = path.read_text('utf8').splitlines()
        except OSError:
            return
        out = []
        for text in lines:
            try:
                rec = json.loads(text)
            except ValueError:
                out.append(text)
                continue
            if rec.get('dir') == dirname:
                if outcome is None:
                    continue
                rec['outcome'] = outcome
                text = json.dumps(rec)
            out.append(text)
        tmp = path.with_suffix('.jsonl.tmp')
        try:
            tmp.write_text(''.join(x + '\n' for x in out), 'utf8')
            os.replace(tmp, path)
        except OSError as exc:
            self.diag.error('error_episode', f'episodes.jsonl: {exc}')

    # ------------------------------------------------------------------ services
    def _srv_start(self, _req, resp):
        try:
            path = self.start_episode()
        except RobotLearningError as exc:
            self.diag.error('error_episode', f'start_episode: {exc}')
            resp.success, resp.message = False, str(exc)
            return resp
        resp.success, resp.message = True, str(path)
        return resp

    def _srv_stop(self, _req, resp):
        try:
            path = self.stop_episode()
        except RobotLearningError as exc:
            self.diag.error('error_episode', f'stop_episode: {exc}')
            resp.success, resp.message = False, str(exc)
            return resp
        resp.success = path is not None
        resp.message = str(path) if path else 'no active episode'
        return resp

    def _srv_discard(self, _req, resp):
        path = self.discard_episode()
        resp.success = path is not None
        resp.message = f'deleted {path}' if path else 'no episode to discard'
        return resp

    def _srv_set_success(self, req, resp):
        try:
            path = self.set_outcome(bool(req.data))
        except RobotLearningError as exc:
            self.diag.error('error_episode', f'set_success: {exc}')
            resp.success, resp.message = False, str(exc)
            return resp
        resp.success = path is not None
        resp.message = f'{path}: {"success" if req.data else "failure"}' if path else 'no episode'
        return resp

    def close(self) -> None:
        """Stop (keep) the active episode; call before destroying the node."""
        try:
            self.stop_episode()
        except RobotLearningError as exc:
            self.get_logger().error(f'closing the active episode failed: {exc}')


def main(args=None) -> None:
    """Entry point ``demo_recorder``."""
    spin_node(DemoRecorder, args)


if __name__ == '__main__':
    main()
