# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 robot_learning maintainers
"""Write one episode as one rosbag2 bag from raw serialized messages (ROS-free).

:class:`EpisodeBagWriter` wraps ``rosbags.rosbag2.Writer`` (rosbags 0.11.9, rosbag2
metadata version 9, MCAP storage by default, sqlite3 on request). Messages are written
as the CDR bytes received from the middleware, never deserialized. Message definitions
(needed by MCAP readers such as Foxglove and ``ros2 bag``) and RIHS01 type hashes come
from the rosbags ROS 2 Jazzy typestore, so every standard message type works.

Episode metadata lives in rosbag2 ``custom_data`` (``metadata.yaml``, also embedded in
the MCAP file, where :func:`update_custom_data` keeps it in agreement); the keys the
recorder writes are listed in :data:`CUSTOM_DATA_KEYS`.

Crash safety: the rosbags MCAP writer buffers a whole chunk (1 MiB) in memory before it
writes anything, so a killed recorder used to lose everything since the last chunk.
:meth:`EpisodeBagWriter.flush` closes the pending chunk and flushes the file; ``write``
calls it every ``flush_period_s`` (1 s by default), so a crash loses at most that much,
and :func:`robot_learning.data.bagrepair.reindex_bag` rebuilds the rest into a complete bag.
"""

from __future__ import annotations

from io import StringIO
import os
from pathlib import Path
import shutil
import time
from typing import Any, Mapping, Sequence

from robot_learning.data.bagfiles import lock_bag_file, read_custom_data, read_metadata
from robot_learning.data.mcap_rewrite import index_metadata_records, rewrite_mcap_metadata
from robot_learning.data.mcap_scan import mcap_metadata_record, START_RECORD
from robot_learning.errors import BagError

__all__ = [
    'EpisodeBagWriter',
    'CUSTOM_DATA_KEYS',
    'OUTCOMES',
    'normalize_msgtype',
    'qos_dict',
    'read_custom_data',
    'update_custom_data',
]

#: custom_data keys written by the demo recorder (all values are strings):
#: ``instruction`` (language instruction), ``outcome`` (one of :data:`OUTCOMES`),
#: ``episode`` (index within the session), ``session``, ``start_time_ns`` /
#: ``stop_time_ns`` (recorder clock, integer nanoseconds).
CUSTOM_DATA_KEYS = (
    'instruction',
    'outcome',
    'episode',
    'session',
    'start_time_ns',
    'stop_time_ns',
)
#: Outcomes stored in bags. A discarded episode is deleted, never stored; ``crashed`` is
#: given by ``robot-learning bag reindex`` to an episode whose recorder died.
OUTCOMES = ('success', 'failure', 'unknown', 'crashed')

_STORAGES = ('mcap', 'sqlite3')
_typestore = None


def jazzy_typestore():
    """Return the rosbags ROS 2 Jazzy typestore, built once per process (costs ~50 ms)."""
    global _typestore
    if _typestore is None:
        from rosbags.typesys import get_typestore, Stores

        _typestore = get_typestore(Stores.ROS2_JAZZY)
    return _typestore


def normalize_msgtype(msgtype: str) -> str:
    """``'pkg/Type'``, ``'pkg/msg/Type'`` or ``'pkg.msg.Type'`` -> ``'pkg/msg/Type'``.

    Raises:
        BagError: not of one of these forms.
    """
    parts = [p for p in str(msgtype).replace('.', '/').strip().split('/') if p]
    if len(parts) == 2:
        parts = [parts[0], 'msg', parts[1]]
    if len(parts) != 3 or not all(p.replace('_', '').isalnum() for p in parts):
        raise BagError(f'message type {msgtype!r} is not of the form pkg/msg/Type')
    return '/'.join(parts)


def qos_dict(
    reliability: str = 'reliable',
    durability: str = 'volatile',
    history: str = 'keep_last',
    depth: int = 10,
) -> dict[str, Any]:
    """One offered QoS profile as in rosbag2 metadata version 9 (for :meth:`add_topic`).

    Policy names are the lower-case rmw names (``'reliable'``, ``'best_effort'``,
    ``'transient_local'``, ``'volatile'``, ``'keep_last'``, ``'keep_all'`` ...).
    """
    inf = {'sec': 9223372036, 'nsec': 854775807}  # rmw "infinite" duration
    return {
        'history': history,
        'depth': int(depth),
        'reliability': reliability,
        'durability': durability,
        'deadline': dict(inf),
        'lifespan': dict(inf),
        'liveliness': 'automatic',
        'liveliness_lease_duration': dict(inf),
        'avoid_ros_namespace_conventions': False,
    }


def _parse_qos(qos: str | Sequence[Any]) -> list:
    """YAML text / list of dicts / list of rosbags ``Qos`` -> list of ``Qos``."""
    from rosbags.interfaces import Qos
    from rosbags.rosbag2.metadata import parse_qos

    if not qos:
        return []
    if isinstance(qos, str):
        items: Any = qos
    else:
        items = list(qos)
        if all(isinstance(q, Qos) for q in items):
            return items
        base = qos_dict()
        items = [{**base, **q} if isinstance(q, Mapping) else q for q in items]
    try:
        return parse_qos(items)
    except Exception as exc:  # ReaderError, KeyError, TypeError from malformed input
        raise BagError(f'offered QoS profiles cannot be parsed: {exc}') from None


class EpisodeBagWriter:
    """One rosbag2 bag (directory) written from raw CDR bytes.

    Usage::

        w = EpisodeBagWriter('bags/s1/episode_0000')          # creates the directory
        w.add_topic('/scan', 'sensor_msgs/msg/LaserScan')
        w.write('/scan', t_ns, raw_bytes)
        w.close({'instruction': 'go to the red pillar', 'outcome': 'success'})

    Also a context manager (closes on success, aborts and keeps the partial files on an
    exception). A bag that was never closed (crash) has no ``metadata.yaml``; every bag
    closed before it stays readable, and ``robot-learning bag reindex`` recovers it up
    to its last flush. While open, the MCAP file carries an advisory lock
    (:func:`robot_learning.data.bagfiles.lock_bag_file`) so that no reindex touches it.

    Args:
        path: bag directory to create; must not exist (parents are created).
        storage: ``'mcap'`` (default) or ``'sqlite3'``.
        flush_period_s: longest time (s, monotonic clock) messages stay in memory:
            ``write`` flushes when the last flush is older; <= 0 never (only on close).

    Raises:
        BagError: unknown storage, existing path, or the directory cannot be created.
    """

    def __init__(self, path: str | Path, storage: str = 'mcap', flush_period_s: float = 1.0):
        from rosbags.rosbag2 import StoragePlugin, Writer, WriterError

        if storage not in _STORAGES:
            raise BagError(f'bag storage {storage!r} is unknown (expected mcap or sqlite3)')
        self.path = Path(path)
        self.storage = storage
        if self.path.exists():
            raise BagError(f'bag path {self.path} exists already, not overwriting')
        plugin = StoragePlugin.MCAP if storage == 'mcap' else StoragePlugin.SQLITE3
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._writer = Writer(self.path, version=Writer.VERSION_LATEST, storage_plugin=plugin)
            self._writer.open()
        except (WriterError, OSError) as exc:
            raise BagError(f'cannot create bag {self.path}: {exc}') from None
        self._conns: dict[str, Any] = {}
        self._types: dict[str, str] = {}
        #: messages written per topic.
        self.counts: dict[str, int] = {}
        #: payload bytes written (sum of raw message sizes).
        self.bytes_written = 0
        self.closed = False
        #: times the pending data was flushed to the file.
        self.flushes = 0
        self.flush_period_s = float(flush_period_s)
        self._last_flush = time.monotonic()
        self._lock_fd = None
        self._start_records: list[tuple[int, int, str]] = []  # offset, length, name
        self._lock_fd = lock_bag_file(self._writer.storage.path)

    # ------------------------------------------------------------------ topics
    def has_topic(self, topic: str) -> bool:
        """Whether ``topic`` was added."""
        return topic in self._conns

    def msgtype_of(self, topic: str) -> str | None:
        """Message type ``topic`` was added with (None if not added)."""
        return self._types.get(topic)

    @property
    def message_count(self) -> int:
        """Messages written so far."""
        return sum(self.counts.values())

    def add_topic(self, topic: str, msgtype: str, qos_yaml: str | Sequence[Any] = '') -> None:
        """Register a topic (once; adding it again with the same type is a no-op).

        Args:
            topic: absolute topic name, e.g. ``'/scan'``.
            msgtype: ``'pkg/msg/Type'`` (``'pkg/Type'`` accepted), known to the ROS 2
                Jazzy typestore of rosbags (all standard message packages).
            qos_yaml: offered QoS profiles: rosbag2 metadata YAML text, a list of dicts
                (see :func:`qos_dict`; missing keys take its defaults) or a list of
                ``rosbags.interfaces.Qos``. Empty means unknown.

        Raises:
            BagError: bag closed, unknown type, same topic with another type, bad QoS.
        """
        self._check_open()
        msgtype = normalize_msgtype(msgtype)
        if topic in self._conns:
            if self._types[topic] != msgtype:
                raise BagError(
                    f'topic {topic} was added as {self._types[topic]}, '
                    f'cannot add it again as {msgtype}'
                )
            return
        store = jazzy_typestore()
        if msgtype not in store.fielddefs:
            raise BagError(f'message type {msgtype} is unknown to the ROS 2 Jazzy typestore')
        qos = _parse_qos(qos_yaml)
        try:
            conn = self._writer.add_connection(
                topic, msgtype, typestore=store, offered_qos_profiles=qos
            )
        except Exception as exc:  # WriterError, typestore errors
            raise BagError(
                f'cannot add topic {topic} ({msgtype}) to {self.path}: ' f'{exc}'
            ) from None
        self._conns[topic] = conn
        self._types[topic] = msgtype
        self.counts[topic] = 0

    # ------------------------------------------------------------------ messages
    def write(self, topic: str, timestamp_ns: int, data: bytes | bytearray | memoryview) -> None:
        """Write one serialized (CDR) message as is.

        Args:
            topic: a topic added with :meth:`add_topic`.
            timestamp_ns: receive time in nanoseconds (rosbag2 "recv timestamp").
            data: the serialized message bytes.

        Raises:
            BagError: bag closed, unknown topic, negative timestamp or an I/O error.
        """
        conn = self._conns.get(topic)
        if conn is None or self.closed:
            self._check_open()
            raise BagError(f'topic {topic} was not added to bag {self.path}')
        if timestamp_ns < 0:
            raise BagError(f'timestamp {timestamp_ns} ns on {topic} is negative')
        try:
            self._writer.write(conn, int(timestamp_ns), data)
        except Exception as exc:  # OSError, WriterError
            raise BagError(f'cannot write {topic} to {self.path}: {exc}') from None
        self.counts[topic] += 1
        self.bytes_written += len(data)
        if self.flush_period_s > 0 and time.monotonic() - self._last_flush >= self.flush_period_s:
            self.flush()

    def flush(self) -> None:
        """Write everything received so far to the file (survives a killed process).

        MCAP: the pending chunk is closed (its message index follows it, so a reader of
        the truncated file gets whole chunks) and the file buffer flushed. sqlite3: the
        transaction is committed. Not an fsync: a power cut may still lose it.

        Raises:
            BagError: closed, or an I/O error.
        """
        self._check_open()
        self._last_flush = time.monotonic()
        st = self._writer.storage
        try:
            if self.storage == 'mcap':
                # rosbags 0.11.9 McapWriter keeps the chunk in ``chunk`` and writes it only
                # at 1 MiB or on close; close_chunk is the same call its close makes.
                if st.chunk.bio.tell():
                    if not st.chunk.msgs:  # schema/channel records only: give it a time
                        end = st.message_end_time
                        st.chunk.message_start_time = st.chunk.message_end_time = end
                    st.close_chunk()
                st.bio.flush()
            else:
                st.conn.commit()
        except Exception as exc:  # OSError, sqlite3.Error
            raise BagError(f'cannot flush {self.path}: {exc}') from None
        self.flushes += 1

    def flush_if_due(self) -> bool:
        """Flush when the last flush is ``flush_period_s`` old (for a timer).

        Returns:
            Whether it flushed.
        """
        if self.closed or self.flush_period_s <= 0:
            return False
        if time.monotonic() - self._last_flush < self.flush_period_s:
            return False
        self.flush()
        return True

    def write_start_record(self, custom_data: Mapping[str, str]) -> None:
        """Write the custom_data known when the episode starts into the bag, flushed.

        MCAP: a Metadata record ``robot_learning_episode`` in the data section, from which
        :func:`robot_learning.data.bagrepair.reindex_bag` rebuilds the custom_data of a
        crashed episode (the final custom_data goes into ``metadata.yaml`` and the
        ``rosbag2`` record on close). It may be written again when something changes
        (the instruction): the last one wins. sqlite3: the same keys in a table
        ``robot_learning_episode(key, value)`` that rosbag2 readers ignore, committed.

        Raises:
            BagError: closed, a non-string key/value, or an I/O error.
        """
        self._check_open()
        if self.storage != 'mcap':
            self._start_table(custom_data)
            return
        record = mcap_metadata_record(START_RECORD, dict(custom_data))
        self.flush()  # the record goes between chunks, never inside one
        bio = self._writer.storage.bio
        try:
            self._start_records.append((bio.tell(), len(record), START_RECORD))
            bio.write(record)
            bio.flush()
        except OSError as exc:
            raise BagError(f'cannot write to {self.path}: {exc}') from None

    def _start_table(self, custom_data: Mapping[str, str]) -> None:
        import sqlite3

        for key, value in custom_data.items():
            if not isinstance(key, str) or not isinstance(value, str):
                raise BagError(f'custom_data {key!r}: {value!r} must map str to str')
        conn = self._writer.storage.conn
        try:
            conn.execute(
                f'CREATE TABLE IF NOT EXISTS {START_RECORD}(key TEXT PRIMARY KEY, value TEXT)'
            )
            conn.executemany(
                f'INSERT OR REPLACE INTO {START_RECORD}(key, value) VALUES(?, ?)',
                list(custom_data.items()),
            )
            conn.commit()
        except sqlite3.Error as exc:
            raise BagError(f'cannot write to {self.path}: {exc}') from None

    # ------------------------------------------------------------------ end
    def close(self, custom_data: Mapping[str, str] | None = None) -> None:
        """Write the index and ``metadata.yaml`` with ``custom_data``; the bag is complete.

        Raises:
            BagError: a non-string key/value, already closed, or an I/O error.
        """
        self._check_open()
        for key, value in (custom_data or {}).items():
            if not isinstance(key, str) or not isinstance(value, str):
                raise BagError(f'custom_data {key!r}: {value!r} must map str to str')
            self._writer.set_custom_data(key, value)
        mcap = self._writer.storage.path if self.storage == 'mcap' else None
        try:
            self._writer.close()
            if mcap is not None:
                index_metadata_records(mcap, self._start_records)
        except BagError:
            raise
        except Exception as exc:
            raise BagError(f'cannot close bag {self.path}: {exc}') from None
        finally:
            self.closed = True
            self._unlock()

    def abort(self) -> None:
        """Stop writing without an index or metadata (files stay, unreadable)."""
        if not self.closed:
            self.closed = True
            try:
                self._writer.abort()
            except Exception:  # noqa: BLE001 -- best effort on the way out
                pass
            self._unlock()

    def _unlock(self) -> None:
        fd, self._lock_fd = self._lock_fd, None
        if fd is not None:
            os.close(fd)

    def discard(self) -> None:
        """Abort and delete the bag directory."""
        self.abort()
        shutil.rmtree(self.path, ignore_errors=True)

    def _check_open(self) -> None:
        if self.closed:
            raise BagError(f'bag {self.path} is closed')

    def __enter__(self) -> EpisodeBagWriter:
        return self

    def __exit__(self, exc_type, exc, tb) -> bool:
        if exc_type is None:
            if not self.closed:
                self.close()
        else:
            self.abort()
        return False


# ---------------------------------------------------------------------- metadata


def update_custom_data(path: str | Path, updates: Mapping[str, str]) -> dict[str, str]:
    """Merge ``updates`` into the custom_data of a closed bag, everywhere it is stored.

    rosbag2 keeps the metadata twice: ``metadata.yaml`` and a copy inside the storage
    file (MCAP: Metadata record ``rosbag2``, key ``serialized_metadata``; sqlite3: table
    ``metadata``), which tools read when there is no YAML. Both are rewritten: the storage
    file first (MCAP: a new file renamed over the old one, see
    :func:`robot_learning.data.mcap_rewrite.rewrite_mcap_metadata`; sqlite3: one transaction),
    then ``metadata.yaml`` (also replaced atomically).

    Returns:
        The new custom_data.

    Raises:
        BagError: no readable ``metadata.yaml``, a non-string key/value, or a storage file
            that cannot be rewritten.
    """
    # Dumped by ruamel, the YAML library rosbags writes metadata.yaml with (a rosbags
    # dependency, not ours): a rewritten file has the bytes rosbags itself would write.
    from ruamel.yaml import YAML

    for key, value in updates.items():
        if not isinstance(key, str) or not isinstance(value, str):
            raise BagError(f'custom_data {key!r}: {value!r} must map str to str')
    meta, doc = read_metadata(path)
    info = doc['rosbag2_bagfile_information']
    custom = dict(info.get('custom_data') or {})
    custom.update(updates)
    info['custom_data'] = custom
    yaml = YAML(typ='safe')
    yaml.default_flow_style = False
    embedded = StringIO()
    yaml.dump(info, embedded)  # what rosbags' writer embeds: the inner mapping, stripped
    _rewrite_embedded(Path(path), info, embedded.getvalue().strip())
    text = StringIO()
    yaml.dump(doc, text)
    tmp = meta.with_suffix('.yaml.tmp')
    try:
        tmp.write_text(text.getvalue(), 'utf8')
        tmp.replace(meta)
    except OSError as exc:
        raise BagError(f'cannot rewrite {meta}: {exc}') from None
    return custom


def _rewrite_embedded(path: Path, info: dict, serialized: str) -> None:
    """Replace the metadata copy inside the bag's storage file(s) with ``serialized``."""
    import sqlite3

    storage = info.get('storage_identifier', '')
    for rel in info.get('relative_file_paths') or []:
        f = path / Path(str(rel)).name
        if not f.is_file():
            continue  # rosbags' reader names what is missing
        if storage == 'mcap' and f.suffix == '.mcap':
            rewrite_mcap_metadata(f, 'rosbag2', {'serialized_metadata': serialized})
        elif storage == 'sqlite3' and f.suffix == '.db3':
            try:
                with sqlite3.connect(f) as db:
                    db.execute('UPDATE metadata SET metadata = ?', (serialized,))
                db.close()
            except sqlite3.Error as exc:
                raise BagError(f'cannot rewrite the metadata in {f}: {exc}') from None
