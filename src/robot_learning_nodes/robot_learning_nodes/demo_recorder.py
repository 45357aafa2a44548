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
    ``recorder/state`` (std_msgs/String, latched, reliable): the episode state after every
    service call (``idle``, ``recording episode_0007``, ``stopping episode_0007``, then
    ``stopped episode_0007: success``, ``discarded episode_0007``; :mod:`.recorder_state`).

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

from pathlib import Path
import time

from rclpy.clock import Clock, ClockType
from rclpy.node import Node
from robot_learning.data.bagrepair import find_unfinished, reindex_bag
from robot_learning.errors import BagError, RobotLearningError
from std_srvs.srv import SetBool, Trigger

from .diagnostics import Diagnostics
from .params import declare, live_parameters, one_of
from .recorder_episodes import EpisodeBook
from .recorder_state import RecorderState
from .recorder_topics import (  # noqa: F401 (public names of this module before the split)
    DEFAULT_TOPICS,
    import_msg_class,
    offered_qos_dicts,
    parse_topic_entry,
    QUEUE_DEPTH,
    TopicTable,
)
from .spin import spin_node

_RO = {'read_only': True}
#: name -> (default, description, ``declare`` keywords); the two periods apply live.
_PARAMETERS = {
    'topics': (list(DEFAULT_TOPICS), "topics to record: 'name' or 'name:pkg/msg/Type'", _RO),
    'output_dir': ('bags', 'root directory of recording sessions', _RO),
    'session': ('', 'session directory name; empty = local time YYYYmmdd_HHMMSS', _RO),
    'storage': ('mcap', 'bag storage: mcap or sqlite3', _RO),
    'instruction_topic': ('instruction', 'std_msgs/String topic giving the episode instruction',
                          _RO),
    'intervention_topic': ('intervention',
                           'std_msgs/Bool topic marking human takeovers (policy_node)', _RO),
    'discovery_period_s': (0.5, 'wall period of topic type discovery and QoS adaptation, s '
                           '(live)', {'min_value': 0.05, 'max_value': 60.0}),
    'flush_period_s': (0.5, 'longest time received messages wait in memory before reaching '
                       'the bag file (what a crash can lose), s (live)',
                       {'min_value': 0.05, 'max_value': 1.0}),
    'recover_on_start': (True, 'reindex unfinished (crashed) bags below output_dir at start, '
                         'outcome crashed', _RO),
}


class DemoRecorder(Node):
    """Records configured topics raw, one bag per episode, driven by services."""

    def __init__(self, **kwargs):
        super().__init__('demo_recorder', **kwargs)
        p = {name: declare(self, name, d, doc, **kw) for name, (d, doc, kw) in _PARAMETERS.items()}
        self.output_dir = Path(p['output_dir'])
        self.session = p['session'] or time.strftime('%Y%m%d_%H%M%S')
        self.storage = one_of(self, 'storage', p['storage'], ('mcap', 'sqlite3'))
        self.flush_period_s = float(p['flush_period_s'])
        self.session_dir = self.output_dir / self.session
        self.diag = Diagnostics(self)
        #: bag directories recovered at start (crashed episodes of an earlier run).
        self.recovered: list[Path] = self._recover() if p['recover_on_start'] else []
        self.table = TopicTable(
            self, self.diag, p['topics'], p['instruction_topic'], self._on_raw
        )
        self.topics = self.table.topics
        self.instruction_topic = self.table.instruction_topic
        self.intervention_topic = self.resolve_topic_name(p['intervention_topic'])
        self.book = EpisodeBook(
            self, self.diag, self.session_dir, self.session, self.storage,
            self.flush_period_s, self.topics, self.instruction_topic, self.intervention_topic,
        )
        # Subscribe what we can right away, then keep adapting on a wall timer.
        self.table.discover()
        self._timer = self._wall_timer(p['discovery_period_s'], self.table.discover)
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
        self.state = RecorderState(self, self.book)
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
        self._timer = self._wall_timer(period, self.table.discover)

    def _set_flush(self, period: float) -> None:
        self.flush_period_s = self.book.flush_period_s = float(period)
        self.destroy_timer(self._flush_timer)
        self._flush_timer = self._wall_timer(period, self._flush)
        if self.book.active is not None:
            self.book.active.writer.flush_period_s = self.flush_period_s

    def _recover(self) -> list[Path]:
        """Reindex the unfinished bags a killed recorder left below ``output_dir``."""
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
        ep = self.book.active
        if ep is None:
            return
        try:
            ep.writer.flush()
        except BagError as exc:
            self.diag.error('error_write', f'flush: {exc}')

    def _on_raw(self, topic: str, raw: bytes) -> None:
        """Subscription callback: serialized bytes of one message."""
        self.book.on_raw(topic, self.get_clock().now().nanoseconds, raw)

    # ------------------------------------------------------------------ episodes
    @property
    def active_episode(self) -> Path | None:
        """Directory of the active episode, or None."""
        return self.book.active.path if self.book.active else None

    def start_episode(self) -> Path:
        """Stop the active episode (if any) and start a new bag; returns its directory.

        Raises:
            BagError: the bag cannot be created.
        """
        return self.book.start()

    def stop_episode(self) -> Path | None:
        """Close the active episode's bag; returns its directory (None if none active).

        Raises:
            BagError: the bag cannot be closed (the directory is kept as is).
        """
        return self.book.stop()

    def discard_episode(self) -> Path | None:
        """Delete the active episode, else the last stopped one; returns the deleted dir."""
        return self.book.discard()

    def set_outcome(self, success: bool) -> Path | None:
        """Mark the active (else last stopped) episode success/failure; returns its dir.

        Raises:
            BagError: the stopped episode's metadata cannot be rewritten.
        """
        return self.book.set_outcome(success)

    # ------------------------------------------------------------------ services
    def _answer(self, what: str, call, resp, message):
        """Fill ``resp`` from ``call()`` (a path or None); a failure is counted, one line."""
        try:
            path = call()
        except RobotLearningError as exc:
            self.diag.error('error_episode', f'{what}: {exc}')
            resp.success, resp.message = False, str(exc)
            self.state.update()
            return resp
        resp.success, resp.message = path is not None, message(path)
        self.state.update(path.name if path is not None and what == 'discard_episode' else None)
        return resp

    def _srv_start(self, _req, resp):
        return self._answer('start_episode', self.start_episode, resp, str)

    def _srv_stop(self, _req, resp):
        self.state.stopping()  # recording ends now; closing the bag takes a while
        return self._answer(
            'stop_episode', self.stop_episode, resp, lambda p: str(p) if p else 'no active episode'
        )

    def _srv_discard(self, _req, resp):
        return self._answer(
            'discard_episode', self.discard_episode, resp,
            lambda p: f'deleted {p}' if p else 'no episode to discard',
        )

    def _srv_set_success(self, req, resp):
        outcome = 'success' if req.data else 'failure'
        return self._answer(
            'set_success', lambda: self.set_outcome(bool(req.data)), resp,
            lambda p: f'{p}: {outcome}' if p else 'no episode',
        )

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
