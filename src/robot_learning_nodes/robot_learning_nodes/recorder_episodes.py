# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 robot_learning maintainers
"""Episode bookkeeping of ``demo_recorder``: one bag per episode, ``episodes.jsonl``.

Each episode is ``<session_dir>/episode_NNNN/``, a complete bag
(:class:`robot_learning.data.bagwriter.EpisodeBagWriter`) closed when it stops, so a
crash mid-episode leaves every earlier one readable. The bag starts with a record of
what is known at its start (instruction, episode, session, start time), written again
when the instruction changes: a crash recovery takes the last one. ``episodes.jsonl``
has one JSON line per kept episode for humans.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
import re
import shutil

from rclpy.node import Node
from rclpy.serialization import deserialize_message
from robot_learning.data.bagwriter import EpisodeBagWriter, update_custom_data
from robot_learning.errors import BagError
from std_msgs.msg import Bool, String

from .diagnostics import Diagnostics
from .recorder_jsonl import append_episode, rewrite_episode
from .recorder_topics import offered_qos_dicts, RecordedTopic

_EPISODE_RE = re.compile(r'^episode_(\d+)$')


@dataclass
class Episode:
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
class Stopped:
    """The last kept episode (target of set_success / discard without an active one)."""

    index: int
    path: Path
    custom: dict = field(default_factory=dict)


class EpisodeBook:
    """The episodes of one recording session: the active bag, the last kept one.

    Args:
        node: the recorder (clock, logger, graph queries).
        diag: counts ``recorded <topic>``, ``episodes_kept``, ``episodes_discarded``,
            ``error_write``, ``error_episode``; values ``recording``, ``instruction``.
        session_dir: ``<output_dir>/<session>``.
        session: the session name (custom_data ``session``).
        storage: ``mcap`` or ``sqlite3``.
        flush_period_s: longest time received messages wait in memory, s (live).
        topics: the recorder's topics (:class:`~.recorder_topics.TopicTable.topics`).
        instruction_topic: resolved std_msgs/String topic of the instruction.
        intervention_topic: resolved std_msgs/Bool topic marking human takeovers.

    Attributes:
        active: the episode being recorded, or None.
        last: the last kept episode (target of set_outcome / discard when none is
            active), or None.
        instruction_text: the latest instruction.
    """

    def __init__(
        self,
        node: Node,
        diag: Diagnostics,
        session_dir: Path,
        session: str,
        storage: str,
        flush_period_s: float,
        topics: dict[str, RecordedTopic],
        instruction_topic: str,
        intervention_topic: str,
    ):
        self._node, self._diag = node, diag
        self.session_dir, self.session, self.storage = session_dir, session, storage
        self.flush_period_s = flush_period_s
        self._topics = topics
        self.instruction_topic, self.intervention_topic = instruction_topic, intervention_topic
        self.instruction_raw: bytes | None = None
        self.instruction_text = ''
        self.active: Episode | None = None
        self.last: Stopped | None = None
        self.next_index = self._first_free_index()

    def on_raw(self, topic: str, now: int, raw: bytes) -> None:
        """Take the serialized bytes of one message received at ``now`` (ns, node clock)."""
        if topic == self.instruction_topic:
            changed = self._set_instruction(raw)
            if changed and self.active is not None:
                self._restart_record(self.active)
        ep = self.active
        if ep is None:
            return
        if topic == self.intervention_topic:
            self._count_intervention(ep, raw)
        self._write(ep, topic, now, raw)

    def _count_intervention(self, ep: Episode, raw: bytes) -> None:
        try:
            on = bool(deserialize_message(raw, Bool).data)
        except Exception:  # noqa: BLE001 -- another type on that topic: recorded, not counted
            self._diag.error(
                'error_intervention',
                f'{self.intervention_topic}: not std_msgs/Bool; interventions are not counted',
            )
            return
        ep.intervention_steps += on
        ep.interventions += on and not ep.intervening
        ep.intervening = on

    def _write(self, ep: Episode, topic: str, stamp_ns: int, raw: bytes) -> None:
        t = self._topics[topic]
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
            self._diag.error('error_write', f'{topic}: {exc}')
            return
        self._diag.count(f'recorded {topic}')

    def _add_topic(self, ep: Episode, t: RecordedTopic) -> None:
        """Register a subscribed topic in the episode bag with its publishers' QoS."""
        try:
            offered = offered_qos_dicts(self._node.get_publishers_info_by_topic(t.topic))
        except Exception:  # noqa: BLE001 -- graph query failed: QoS unknown
            offered = []
        ep.writer.add_topic(t.topic, t.msgtype, offered)

    def _restart_record(self, ep: Episode) -> None:
        """Write the start record again with the new instruction.

        stop_episode gives the episode the latest instruction; a recovery takes the last
        start record, so a crashed episode gets the same.
        """
        ep.start['instruction'] = self.instruction_text
        try:
            ep.writer.write_start_record(ep.start)
        except BagError as exc:
            self._diag.error('error_write', f'start record: {exc}')

    def _set_instruction(self, raw: bytes) -> bool:
        """Take a new instruction message; returns whether the text changed."""
        try:
            text = deserialize_message(raw, String).data
        except Exception as exc:  # noqa: BLE001 -- wrong type on the instruction topic
            self._diag.error(
                'error_instruction',
                f'{self.instruction_topic}: cannot read std_msgs/String: {exc}',
            )
            return False
        changed = text != self.instruction_text
        self.instruction_raw, self.instruction_text = raw, text
        self._diag.set('instruction', text)
        return changed

    def _first_free_index(self) -> int:
        """Next episode index of the session (continues an existing session)."""
        try:
            names = [p.name for p in self.session_dir.iterdir()]
        except OSError:
            return 0
        nums = [int(m.group(1)) for n in names if (m := _EPISODE_RE.match(n))]
        return max(nums, default=-1) + 1

    def start(self) -> Path:
        """Stop the active episode (if any) and start a new bag; returns its directory.

        Raises:
            BagError: the bag cannot be created.
        """
        if self.active is not None:
            self.stop()
        index = self.next_index
        while (self.session_dir / f'episode_{index:04d}').exists():
            index += 1
        path = self.session_dir / f'episode_{index:04d}'
        writer = EpisodeBagWriter(path, self.storage, flush_period_s=self.flush_period_s)
        self.next_index = index + 1
        now = self._node.get_clock().now().nanoseconds
        start = {
            'instruction': self.instruction_text,
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
        ep = Episode(index, path, writer, now, start=start)
        self.active = ep
        for t in self._topics.values():
            if t.sub is not None and t.msgtype:
                try:
                    self._add_topic(ep, t)
                except BagError as exc:
                    self._diag.error('error_write', f'{t.topic}: {exc}')
        if self.instruction_raw is not None:
            self._write(ep, self.instruction_topic, now, self.instruction_raw)
        self._diag.set('recording', str(path))
        self._node.get_logger().info(f'started {path} (instruction: {self.instruction_text!r})')
        return path

    def stop(self) -> Path | None:
        """Close the active episode's bag; returns its directory (None if none active).

        Raises:
            BagError: the bag cannot be closed (the directory is kept as is).
        """
        ep, self.active = self.active, None
        if ep is None:
            return None
        self._diag.set('recording', 'idle')
        stop_ns = self._node.get_clock().now().nanoseconds
        custom = {
            'instruction': self.instruction_text,
            'outcome': ep.outcome,
            'episode': str(ep.index),
            'session': self.session,
            'start_time_ns': str(ep.start_ns),
            'stop_time_ns': str(stop_ns),
            'interventions': str(ep.interventions),
            'intervention_steps': str(ep.intervention_steps),
        }
        ep.writer.close(custom)
        self.last = Stopped(ep.index, ep.path, custom)
        self._jsonl(append_episode, ep.path.name, custom, ep.writer.message_count)
        self._diag.count('episodes_kept')
        self._node.get_logger().info(
            f'stopped {ep.path}: {ep.writer.message_count} messages, outcome {ep.outcome}'
        )
        return ep.path

    def discard(self) -> Path | None:
        """Delete the active episode, else the last stopped one; returns the deleted dir."""
        ep, self.active = self.active, None
        if ep is not None:
            ep.writer.discard()
            path = ep.path
            self._diag.set('recording', 'idle')
        elif self.last is not None:
            path = self.last.path
            shutil.rmtree(path, ignore_errors=True)
            self._jsonl(rewrite_episode, path.name, None)
            self.last = None
        else:
            return None
        self._diag.count('episodes_discarded')
        self._node.get_logger().info(f'discarded {path}')
        return path

    def set_outcome(self, success: bool) -> Path | None:
        """Mark the active (else last stopped) episode success/failure; returns its dir.

        Raises:
            BagError: the stopped episode's metadata cannot be rewritten.
        """
        outcome = 'success' if success else 'failure'
        if self.active is not None:
            self.active.outcome = outcome
            return self.active.path
        if self.last is None:
            return None
        self.last.custom = update_custom_data(self.last.path, {'outcome': outcome})
        self._jsonl(rewrite_episode, self.last.path.name, outcome)
        return self.last.path

    def _jsonl(self, edit, *args) -> None:
        """Apply ``edit`` (``recorder_jsonl``) to episodes.jsonl; a failure is counted."""
        try:
            edit(self.session_dir / 'episodes.jsonl', *args)
        except OSError as exc:
            self._diag.error('error_episode', f'episodes.jsonl: {exc}')
