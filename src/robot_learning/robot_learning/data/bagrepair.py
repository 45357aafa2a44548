# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 robot_learning maintainers
"""Recover crashed MCAP bags and rewrite the metadata embedded in closed ones (ROS-free).

A recorder that dies mid-episode leaves ``<bag>/<bag>.mcap`` without summary, footer or
``metadata.yaml``, so ``rosbags`` cannot open it. :func:`reindex_bag` does what
``ros2 bag reindex`` gives a rosbag2 user: it scans every complete record of the file
(a record cut off by the crash is dropped, a chunk whose CRC fails is skipped), writes a
complete bag from them (index, statistics, ``metadata.yaml``) and atomically replaces the
broken file. A crashed sqlite3 bag (``.db3``, committed at every flush) is rebuilt the
same way from its committed rows. The episode's custom_data comes from the
``robot_learning_episode`` metadata record the recorder writes when an episode starts (see
:meth:`robot_learning.data.bagwriter.EpisodeBagWriter.write_start_record`), with outcome
``crashed`` and ``stop_time_ns`` the last recovered message's timestamp.

The MCAP records themselves are :mod:`robot_learning.data.mcap_scan` (scanning) and
:mod:`robot_learning.data.mcap_rewrite` (the embedded metadata of a closed file); this
module re-exports their public names, as it did before they were split out.
"""

from __future__ import annotations

from dataclasses import dataclass, field
import json
import os
from pathlib import Path
import shutil
from typing import Any

from robot_learning.data.bagfiles import (
    custom_data_of,
    load_yaml,
    lock_bag_file,
    STORAGE_SUFFIXES,
)
from robot_learning.data.bagwriter import jazzy_typestore
from robot_learning.data.mcap_rewrite import index_metadata_records, rewrite_mcap_metadata
from robot_learning.data.mcap_scan import (
    MAGIC,
    mcap_metadata_record,
    scan_mcap,
    ScanResult,
    START_RECORD,
)
from robot_learning.errors import BagError

__all__ = [
    'CRASHED',
    'START_RECORD',
    'ReindexResult',
    'find_unfinished',
    'index_metadata_records',
    'lock_bag_file',
    'mcap_metadata_record',
    'reindex',
    'reindex_bag',
    'rewrite_mcap_metadata',
    'scan_mcap',
]

#: Outcome given to an episode recovered by :func:`reindex_bag`.
CRASHED = 'crashed'


@dataclass
class ReindexResult:
    """What :func:`reindex_bag` did to one bag directory.

    Attributes:
        path: the bag directory.
        status: ``'recovered'`` (metadata rebuilt), ``'complete'`` (closed bag, left
            alone), ``'busy'`` (another process is writing it, left alone).
        messages: messages in the rebuilt bag (per topic in ``counts``).
        duration_s: time from its first to its last message, s.
        dropped_bytes: bytes of the truncated tail that held no complete record.
        custom: the custom_data written.
    """

    path: Path
    status: str
    messages: int = 0
    counts: dict[str, int] = field(default_factory=dict)
    duration_s: float = 0.0
    dropped_bytes: int = 0
    custom: dict[str, str] = field(default_factory=dict)

    def line(self) -> str:
        """One human line describing the result."""
        if self.status == 'recovered':
            cut = f', {self.dropped_bytes} bytes of a cut-off record dropped'
            return (
                f'{self.path}: recovered {self.messages} messages over {self.duration_s:.2f} s '
                f'on {len(self.counts)} topics (outcome {self.custom.get("outcome", "?")}'
                f'{cut if self.dropped_bytes else ""})'
            )
        if self.status == 'busy':
            return f'{self.path}: being written by a running recorder, left alone'
        return f'{self.path}: complete (has metadata.yaml), left alone'


def _storage_files(bag: Path) -> list[Path]:
    return sorted(p for p in bag.iterdir() if p.is_file() and p.suffix in STORAGE_SUFFIXES)


def _needs_reindex(bag: Path, storage: Path) -> bool:
    if not (bag / 'metadata.yaml').is_file():
        return True
    if storage.suffix != '.mcap':
        return False
    try:
        with storage.open('rb') as f:
            f.seek(-8, os.SEEK_END)
            return f.read(8) != MAGIC
    except OSError:
        return True


def find_unfinished(root: str | Path, max_depth: int = 3) -> list[Path]:
    """Find the bag directories at or below ``root`` that were never closed.

    A directory qualifies when it holds one storage file (``.mcap`` or ``.db3``) and no
    ``metadata.yaml``, or an MCAP file without footer. Hidden directories are not
    entered.
    """
    root = Path(root)
    out: list[Path] = []

    def walk(d: Path, depth: int) -> None:
        try:
            entries = sorted(d.iterdir())
        except OSError:
            return
        files = [p for p in entries if p.is_file() and p.suffix in STORAGE_SUFFIXES]
        if len(files) == 1 and _needs_reindex(d, files[0]):
            out.append(d)
        if depth < max_depth:
            for p in entries:
                if p.is_dir() and not p.name.startswith('.'):
                    walk(p, depth + 1)

    if root.is_dir():
        walk(root, 0)
    return out


def _connection_args(store, schema: tuple | None, channel: tuple) -> dict[str, Any]:
    """Build rosbags ``Writer.add_connection`` keyword arguments for a recovered channel."""
    from rosbags.rosbag2.metadata import parse_qos

    _sid, topic, encoding, meta = channel
    if schema is None:
        raise ValueError('its schema record was lost')
    msgtype = schema[0]
    args: dict[str, Any] = {'serialization_format': encoding or 'cdr'}
    if msgtype in store.fielddefs:
        args['typestore'] = store
    else:
        rihs01 = meta.get('topic_type_hash', '')
        if not rihs01:
            raise ValueError(f'type {msgtype} is unknown to the Jazzy typestore and has no hash')
        args['msgdef'], args['rihs01'] = schema[2].decode('utf8'), rihs01
    qos = meta.get('offered_qos_profiles', '')
    try:
        args['offered_qos_profiles'] = parse_qos(qos) if qos.strip() else []
    except Exception:  # noqa: BLE001 -- malformed QoS text: record it as unknown
        args['offered_qos_profiles'] = []
    return {'topic': topic, 'msgtype': msgtype, **args}


def _custom_from_scan(scan: ScanResult, outcome: str) -> dict[str, str]:
    """custom_data for the rebuilt bag: a closed bag's own, else the start record's."""
    closed = scan.metadata.get('rosbag2', {}).get('serialized_metadata')
    if closed:
        try:
            info = load_yaml(closed)
        except Exception:  # noqa: BLE001 -- unreadable: fall back to the start record
            info = None
        if isinstance(info, dict):
            return custom_data_of(info)
    custom = {str(k): str(v) for k, v in scan.metadata.get(START_RECORD, {}).items()}
    custom['outcome'] = outcome
    return custom


def reindex_bag(path: str | Path, outcome: str = CRASHED, force: bool = False) -> ReindexResult:
    """Rebuild a crashed bag directory into a complete, indexed rosbag2 bag.

    MCAP: every complete record is kept (see :func:`scan_mcap`). sqlite3: every committed
    row (the recorder commits every flush). The messages are rewritten as they are (raw
    bytes, receive timestamps) through ``rosbags.rosbag2.Writer`` into a temporary
    directory next to the bag, whose storage file and ``metadata.yaml`` then replace the
    broken ones (``os.replace``: a reader sees the old file or the new one, never half of
    one). Metadata: message counts per topic, start time and duration from the messages,
    topics with type, serialization format and offered QoS, custom_data from the start
    record with ``outcome`` = ``outcome`` and ``stop_time_ns`` = the last message's
    timestamp. If the session has an ``episodes.jsonl``, a line for the recovered
    episode is appended.

    Args:
        path: the bag directory (or its storage file).
        outcome: outcome of the recovered episode.
        force: rebuild even a bag that looks complete.

    Returns:
        A :class:`ReindexResult`.

    Raises:
        BagError: no such directory, no (or several) storage files, not an MCAP /
            sqlite3 file, or the bag cannot be rewritten.
    """
    bag = Path(path)
    if bag.is_file() and bag.suffix in STORAGE_SUFFIXES:
        bag = bag.parent
    if not bag.exists():
        raise BagError(f'bag {bag} does not exist: pass a bag directory or a directory of bags')
    if not bag.is_dir():
        raise BagError(f'{bag} is not a bag directory (expected a directory with an .mcap file)')
    files = _storage_files(bag)
    if not files:
        raise BagError(f'{bag} holds no .mcap or .db3 file (not a rosbag2 bag directory)')
    if len(files) > 1:
        raise BagError(f'{bag} holds {len(files)} storage files; split bags are not supported')
    storage = files[0]
    if not force and not _needs_reindex(bag, storage):
        return ReindexResult(bag, 'complete')
    fd = lock_bag_file(storage)
    if fd is None:
        return ReindexResult(bag, 'busy')
    tmp_root = bag.parent / f'.{bag.name}.reindex-{os.getpid()}'
    try:
        # We hold the bag's lock: any temporary of it is a dead reindexer's leftover.
        for old in bag.parent.glob(f'.{bag.name}.reindex-*'):
            shutil.rmtree(old, ignore_errors=True)
        tmp_root.mkdir()
        rebuild = _rebuild_mcap if storage.suffix == '.mcap' else _rebuild_sqlite
        counts, times, dropped, custom = rebuild(storage, tmp_root / storage.stem, outcome)
        new_dir = tmp_root / storage.stem
        for f in (new_dir / storage.name, new_dir / 'metadata.yaml'):
            _fsync(f)  # on disk before it replaces the only copy of the recording
        for suffix in ('-journal', '-wal', '-shm'):  # sqlite3 leftovers of the old file
            storage.with_name(storage.name + suffix).unlink(missing_ok=True)
        os.replace(new_dir / storage.name, storage)
        os.replace(new_dir / 'metadata.yaml', bag / 'metadata.yaml')
    except BagError:
        raise
    except Exception as exc:  # OSError, rosbags WriterError / ReaderError, sqlite3.Error
        raise BagError(f'cannot reindex {bag}: {exc}') from None
    finally:
        os.close(fd)
        shutil.rmtree(tmp_root, ignore_errors=True)
    n = sum(counts.values())
    result = ReindexResult(
        bag,
        'recovered',
        messages=n,
        counts=counts,
        duration_s=(times[1] - times[0]) * 1e-9 if n else 0.0,
        dropped_bytes=dropped,
        custom=custom,
    )
    if outcome == CRASHED:
        _append_jsonl(bag, custom, n)
    return result


class _Rewriter:
    """A rosbags Writer for the rebuilt bag that keeps counts and the time span."""

    def __init__(self, path: Path, storage: str):
        from rosbags.rosbag2 import StoragePlugin, Writer

        plugin = StoragePlugin.MCAP if storage == 'mcap' else StoragePlugin.SQLITE3
        self.writer = Writer(path, version=Writer.VERSION_LATEST, storage_plugin=plugin)
        self.writer.open()
        self.counts: dict[str, int] = {}
        self.times = [2**63 - 1, 0]

    def add(self, **kwargs) -> Any:
        conn = self.writer.add_connection(**kwargs)
        self.counts.setdefault(conn.topic, 0)
        return conn

    def write(self, conn, stamp: int, data) -> None:
        self.writer.write(conn, stamp, bytes(data))
        self.counts[conn.topic] += 1
        self.times[0], self.times[1] = min(self.times[0], stamp), max(self.times[1], stamp)

    def close(self, custom: dict[str, str], outcome: str) -> dict[str, str]:
        if sum(self.counts.values()) and outcome == CRASHED and 'stop_time_ns' not in custom:
            custom['stop_time_ns'] = str(self.times[1])
        for key, value in custom.items():
            self.writer.set_custom_data(key, value)
        self.writer.close()
        return custom


def _rebuild_mcap(mcap: Path, dst: Path, outcome: str) -> tuple:

    store = jazzy_typestore()
    out = _Rewriter(dst, 'mcap')
    conns: dict[int, Any] = {}
    failed: set[int] = set()
    partial = ScanResult()  # filled as the scan goes: the callback reads its channels

    def connect(cid: int, res: ScanResult) -> Any:
        channel = res.channels[cid]
        try:
            conns[cid] = out.add(**_connection_args(store, res.schemas.get(channel[0]), channel))
        except Exception:  # noqa: BLE001 -- a topic we cannot describe: left out
            failed.add(cid)
        return conns.get(cid)

    def on_message(cid: int, stamp: int, data) -> None:
        conn = conns.get(cid)
        if conn is None:
            if cid in failed or cid not in partial.channels:
                return
            conn = connect(cid, partial)
            if conn is None:
                return
        out.write(conn, stamp, data)

    scan = scan_mcap(mcap, on_message=on_message, into=partial)
    for cid in scan.channels:  # topics that got no message
        if cid not in conns and cid not in failed:
            connect(cid, scan)
    custom = out.close(_custom_from_scan(scan, outcome), outcome)
    return out.counts, out.times, scan.dropped_bytes, custom


def _rebuild_sqlite(db3: Path, dst: Path, outcome: str) -> tuple:
    import sqlite3

    from rosbags.rosbag2 import Reader

    custom: dict[str, str] = {}
    try:
        # Read-write on purpose: a read rolls back the journal of a transaction the crash
        # cut short, before rosbags opens the file immutable.
        with sqlite3.connect(db3) as db:
            query = "SELECT name FROM sqlite_master WHERE type='table'"
            tables = {r[0] for r in db.execute(query)}
            if 'metadata' in tables:  # a closed bag whose metadata.yaml was lost
                row = db.execute('SELECT metadata FROM metadata').fetchone()
                if row:
                    custom = custom_data_of(load_yaml(row[0]) or {})
            if not custom and START_RECORD in tables:
                custom = dict(db.execute(f'SELECT key, value FROM {START_RECORD}').fetchall())
                custom['outcome'] = outcome
        db.close()
    except sqlite3.Error as exc:
        raise BagError(f'{db3} is not a readable sqlite3 bag: {exc}') from None
    if not custom:
        custom = {'outcome': outcome}
    out = _Rewriter(dst, 'sqlite3')
    with Reader(db3) as reader:
        conns = {}
        for c in reader.connections:
            conns[c.id] = out.add(
                topic=c.topic,
                msgtype=c.msgtype,
                msgdef=c.msgdef.data,
                rihs01=c.digest,
                serialization_format=c.ext.serialization_format,
                offered_qos_profiles=c.ext.offered_qos_profiles,
            )
        for c, stamp, data in reader.messages():
            out.write(conns[c.id], stamp, data)
    return out.counts, out.times, 0, out.close(custom, outcome)


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _append_jsonl(bag: Path, custom: dict[str, str], count: int) -> None:
    """Add the recovered episode to its session's ``episodes.jsonl`` (if there is one)."""
    index = bag.parent / 'episodes.jsonl'
    if not index.is_file():
        return
    try:
        for text in index.read_text('utf8').splitlines():
            try:
                if json.loads(text).get('dir') == bag.name:
                    return
            except ValueError:
                continue

        def num(key: str) -> int:
            try:
                return int(custom.get(key, '0'))
            except ValueError:
                return 0

        line = {
            'dir': bag.name,
            'instruction': custom.get('instruction', ''),
            'outcome': custom.get('outcome', CRASHED),
            'messages': count,
            'episode': num('episode'),
            'start_time_ns': num('start_time_ns'),
            'stop_time_ns': num('stop_time_ns'),
            'interventions': num('interventions'),
        }
        with index.open('a', encoding='utf8') as f:
            f.write(json.dumps(line) + '\n')
    except OSError:
        pass  # the index is for humans; the bag itself is recovered


def reindex(path: str | Path, outcome: str = CRASHED) -> list[ReindexResult]:
    """Reindex one bag directory, or every unfinished bag below a directory of bags.

    Raises:
        BagError: the path does not exist, or holds neither an MCAP file nor a bag below.
    """
    p = Path(path)
    if not p.exists():
        raise BagError(f'{p} does not exist: pass a bag directory or a directory of bags')
    if p.is_file() or _storage_files(p):
        return [reindex_bag(p, outcome)]
    bags = find_unfinished(p)
    if not bags:
        if not any(q.suffix in STORAGE_SUFFIXES for q in p.rglob('*')):
            raise BagError(
                f'{p} holds no .mcap or .db3 file (pass a bag directory or a directory of bags)'
            )
        return []
    return [reindex_bag(b, outcome) for b in bags]
