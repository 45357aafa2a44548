# SPDX-License-Identifier: Apache-2.0
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

:func:`rewrite_mcap_metadata` replaces one metadata record of a closed MCAP file (the
``rosbag2`` one holding the serialized ``metadata.yaml``) and fixes every offset in the
summary that moved, writing a new file and renaming it over the old one.

Record layouts follow the MCAP format specification (magic 0x30, "MCAP0"): an
opcode byte, a little-endian uint64 length, then the record body.
"""

from __future__ import annotations

from dataclasses import dataclass, field
import errno
import fcntl
import io
import json
import os
from pathlib import Path
import shutil
import struct
from typing import Any, BinaryIO, Iterator
import zlib

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
#: Name of the MCAP metadata record with the custom_data known when an episode starts.
START_RECORD = 'robot_learning_episode'
MAGIC = b'\x89MCAP0\r\n'

OP_HEADER, OP_FOOTER, OP_SCHEMA, OP_CHANNEL, OP_MESSAGE, OP_CHUNK = 1, 2, 3, 4, 5, 6
OP_CHUNK_INDEX, OP_ATTACHMENT_INDEX, OP_METADATA, OP_METADATA_INDEX = 8, 10, 12, 13
OP_SUMMARY_OFFSET, OP_DATA_END = 14, 15
_FOOTER_LEN = 1 + 8 + 20  # opcode, length, summary_start, summary_offset_start, crc


# ---------------------------------------------------------------------- encoding


def _str(value: str) -> bytes:
    raw = value.encode('utf8')
    return struct.pack('<I', len(raw)) + raw


def _map(mapping: dict[str, str]) -> bytes:
    body = b''.join(_str(k) + _str(v) for k, v in mapping.items())
    return struct.pack('<I', len(body)) + body


def _record(op: int, body: bytes) -> bytes:
    return struct.pack('<BQ', op, len(body)) + body


def mcap_metadata_record(name: str, mapping: dict[str, str]) -> bytes:
    """One complete MCAP Metadata record (opcode 0x0C) as bytes.

    Raises:
        BagError: a key or value is not a string.
    """
    for key, value in mapping.items():
        if not isinstance(key, str) or not isinstance(value, str):
            raise BagError(f'MCAP metadata {key!r}: {value!r} must map str to str')
    return _record(OP_METADATA, _str(name) + _map(dict(mapping)))


class _Body:
    """Cursor over one record body; raises ValueError when it is shorter than it claims."""

    def __init__(self, data: bytes | memoryview):
        self.data, self.pos = memoryview(data), 0

    def take(self, n: int) -> memoryview:
        if n < 0 or self.pos + n > len(self.data):
            raise ValueError('record body too short')
        out = self.data[self.pos:self.pos + n]
        self.pos += n
        return out

    def u16(self) -> int:
        return struct.unpack('<H', self.take(2))[0]

    def u32(self) -> int:
        return struct.unpack('<I', self.take(4))[0]

    def u64(self) -> int:
        return struct.unpack('<Q', self.take(8))[0]

    def string(self) -> str:
        return bytes(self.take(self.u32())).decode('utf8')

    def mapping(self) -> dict[str, str]:
        end = self.u32() + self.pos
        out = {}
        while self.pos < end:
            key = self.string()
            out[key] = self.string()
        return out


def _decompress(data: bytes, compression: str, size: int) -> bytes:
    if compression == '':
        return bytes(data)
    if compression == 'zstd':
        try:
            from compression import zstd  # Python >= 3.14
        except ImportError:
            from backports import zstd  # a dependency of rosbags
        return zstd.decompress(data)
    if compression == 'lz4':
        import lz4.frame  # optional: only bags written by other tools use it

        return lz4.frame.decompress(data)
    raise ValueError(f'unsupported chunk compression {compression!r}')


# ---------------------------------------------------------------------- scanning


@dataclass
class ScanResult:
    """Everything :func:`scan_mcap` recovered from one MCAP file.

    Attributes:
        schemas: id -> (name, encoding, data bytes).
        channels: id -> (schema id, topic, message encoding, metadata dict).
        metadata: name -> map of every Metadata record (a later one wins).
        complete: the file ends with a valid footer and magic (it was closed).
        dropped_bytes: bytes after the last complete record (a truncated tail).
        bad_chunks: chunks skipped because they are corrupt or cannot be decompressed.
    """

    schemas: dict[int, tuple] = field(default_factory=dict)
    channels: dict[int, tuple] = field(default_factory=dict)
    metadata: dict[str, dict[str, str]] = field(default_factory=dict)
    complete: bool = False
    dropped_bytes: int = 0
    bad_chunks: int = 0


def _read_records(f: BinaryIO, end: int) -> Iterator[tuple[int, int, bytes]]:
    """(offset, opcode, body) of each complete top-level record up to offset ``end``."""
    while True:
        pos = f.tell()
        head = f.read(9)
        if len(head) < 9 or pos + 9 > end:
            return
        op, length = struct.unpack('<BQ', head)
        if pos + 9 + length > end:
            return
        body = f.read(length)
        if len(body) < length:
            return
        yield pos, op, body


def _inner_records(data: bytes) -> Iterator[tuple[int, memoryview]]:
    view, pos = memoryview(data), 0
    while pos + 9 <= len(view):
        op, length = struct.unpack_from('<BQ', view, pos)
        if pos + 9 + length > len(view):
            raise ValueError('chunk record overruns its chunk')
        yield op, view[pos + 9:pos + 9 + length]
        pos += 9 + length


def scan_mcap(path: str | Path, on_message=None, into: ScanResult | None = None) -> ScanResult:
    """Scan the data section of an MCAP file, complete or truncated.

    Schema, Channel, Message and Metadata records are taken from the top level and from
    inside Chunks; the scan stops at the DataEnd record (a closed file's summary repeats
    what came before), at the footer, or at the first record the file cuts off.

    Args:
        path: the ``.mcap`` file.
        on_message: called as ``on_message(channel_id, log_time_ns, data)`` for every
            message in file order (None: messages are only skipped over).
        into: the result to fill (a callback may read its schemas and channels as they
            arrive); None: a new one.

    Returns:
        A :class:`ScanResult`.

    Raises:
        BagError: the file cannot be read or does not start with the MCAP magic.
    """
    path = Path(path)
    res = ScanResult() if into is None else into
    try:
        f = path.open('rb')
    except OSError as exc:
        raise BagError(f'cannot read {path}: {exc.strerror or exc}') from None
    with f:
        size = os.fstat(f.fileno()).st_size
        if f.read(8) != MAGIC:
            raise BagError(f'{path} is not an MCAP file (no MCAP magic at its start)')
        if size >= 8 + _FOOTER_LEN + 8:
            f.seek(size - 8)
            tail_magic = f.read(8)
            f.seek(size - 8 - _FOOTER_LEN)
            res.complete = tail_magic == MAGIC and f.read(1)[0] == OP_FOOTER
            f.seek(8)
        last_end = 8
        for pos, op, body in _read_records(f, size):
            last_end = pos + 9 + len(body)
            if op in (OP_DATA_END, OP_FOOTER):
                break
            if op == OP_CHUNK:
                try:
                    b = _Body(body)
                    b.u64(), b.u64()  # message start / end time
                    usize, crc = b.u64(), b.u32()
                    compression = b.string()
                    data = _decompress(bytes(b.take(b.u64())), compression, usize)
                    if len(data) != usize or (crc and zlib.crc32(data) != crc):
                        raise ValueError('chunk size or CRC mismatch')
                    records = list(_inner_records(data))
                except Exception:  # noqa: BLE001 -- ValueError, zstd/lz4 errors: skip it
                    res.bad_chunks += 1
                    continue
                for inner_op, inner in records:
                    _take(res, inner_op, inner, on_message)
            else:
                _take(res, op, body, on_message)
        res.dropped_bytes = 0 if res.complete else size - last_end
    return res


def _take(res: ScanResult, op: int, body, on_message) -> None:
    try:
        b = _Body(body)
        if op == OP_MESSAGE:
            if on_message is not None:
                cid = b.u16()
                b.u32()  # sequence
                log_time = b.u64()
                b.u64()  # publish time
                on_message(cid, log_time, b.data[b.pos:])
        elif op == OP_SCHEMA:
            sid = b.u16()
            res.schemas[sid] = (b.string(), b.string(), bytes(b.take(b.u32())))
        elif op == OP_CHANNEL:
            cid, sid = b.u16(), b.u16()
            res.channels[cid] = (sid, b.string(), b.string(), b.mapping())
        elif op == OP_METADATA:
            name = b.string()
            res.metadata[name] = b.mapping()
    except (ValueError, UnicodeDecodeError, struct.error):
        pass  # a malformed record inside a valid chunk: nothing to recover from it


# ---------------------------------------------------------------------- locking


def lock_bag_file(path: str | Path) -> int | None:
    """Take the advisory lock that marks a bag file as being written; returns its fd.

    The recorder holds it while an episode is open; :func:`reindex_bag` takes it too, so
    it never touches a bag another process is still writing. The kernel drops it when
    the process dies (SIGKILL included).

    Returns:
        The open file descriptor holding the lock (close it to unlock), or None when
        another process holds it.

    Raises:
        BagError: the file cannot be opened.
    """
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError as exc:
        raise BagError(f'cannot open {path}: {exc.strerror or exc}') from None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError as exc:
        os.close(fd)
        if exc.errno in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
            return None
        raise BagError(f'cannot lock {path}: {exc.strerror or exc}') from None
    return fd


# ---------------------------------------------------------------------- reindex


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


_SUFFIXES = ('.mcap', '.db3')


def _storage_files(bag: Path) -> list[Path]:
    return sorted(p for p in bag.iterdir() if p.is_file() and p.suffix in _SUFFIXES)


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
        files = [p for p in entries if p.is_file() and p.suffix in _SUFFIXES]
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
    from ruamel.yaml import YAML

    closed = scan.metadata.get('rosbag2', {}).get('serialized_metadata')
    if closed:
        try:
            info = YAML(typ='safe').load(closed)
            custom = info.get('custom_data') or {}
            return {str(k): str(v) for k, v in custom.items()}
        except Exception:  # noqa: BLE001 -- unreadable: fall back to the start record
            pass
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
    if bag.is_file() and bag.suffix in _SUFFIXES:
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
    from robot_learning.data.bagwriter import jazzy_typestore

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
    from ruamel.yaml import YAML

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
                    info = YAML(typ='safe').load(row[0]) or {}
                    custom = {str(k): str(v) for k, v in (info.get('custom_data') or {}).items()}
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
        if not any(q.suffix in _SUFFIXES for q in p.rglob('*')):
            raise BagError(
                f'{p} holds no .mcap or .db3 file (pass a bag directory or a directory of bags)'
            )
        return []
    return [reindex_bag(b, outcome) for b in bags]


# ---------------------------------------------------------------------- rewrite


class _CrcWriter:
    """File wrapper keeping the CRC32 of everything written (the DataEnd record's)."""

    def __init__(self, f: BinaryIO):
        self.f, self.crc = f, 0

    def write(self, data: bytes) -> None:
        self.crc = zlib.crc32(data, self.crc)
        self.f.write(data)


def _copy_kernel(src: BinaryIO, dst: BinaryIO, length: int) -> None:
    """Copy the first ``length`` bytes of ``src`` to ``dst`` (at its start) in the kernel."""
    dst.flush()
    done = 0
    try:
        while done < length:
            n = os.copy_file_range(src.fileno(), dst.fileno(), length - done, done, done)
            if n <= 0:
                break
            done += n
    except OSError:
        pass  # filesystem without copy_file_range: the rest is copied below
    dst.seek(done)
    if done < length:
        _copy_range(src, dst, done, length - done)


def _copy_range(src: BinaryIO, dst: Any, start: int, length: int) -> None:
    src.seek(start)
    left = length
    while left > 0:
        buf = src.read(min(left, 1 << 22))
        if not buf:
            raise OSError('file shorter than its index says')
        dst.write(buf)
        left -= len(buf)


def rewrite_mcap_metadata(path: str | Path, name: str, updates: dict[str, str]) -> None:
    """Merge ``updates`` into Metadata record ``name`` of a closed (indexed) MCAP file.

    The new file is written next to the old one and renamed over it. Every offset the
    summary holds past the record (chunk, message index, attachment, metadata indexes,
    summary offsets, footer) is shifted by the size change; data-section and summary
    CRCs are recomputed when the file carries them (rosbags writes 0: none).

    Raises:
        BagError: not a closed MCAP file, no metadata record ``name``, or an I/O error.
    """
    path = Path(path)
    tmp = path.with_name(f'.{path.name}.tmp')
    try:
        with path.open('rb') as src:
            size = os.fstat(src.fileno()).st_size
            if size < 8 + _FOOTER_LEN + 8:
                raise BagError(f'{path} is not a closed MCAP file (too short)')
            src.seek(size - 8 - _FOOTER_LEN)
            footer = src.read(_FOOTER_LEN + 8)
            if footer[-8:] != MAGIC or footer[0] != OP_FOOTER:
                raise BagError(
                    f'{path} has no MCAP footer (crashed recording?): run robot-learning '
                    'bag reindex on it first'
                )
            summary_start, summary_offset_start, summary_crc = struct.unpack_from(
                '<QQI', footer, 9
            )
            footer_start = size - 8 - _FOOTER_LEN
            if not 8 < summary_start <= footer_start:
                raise BagError(f'{path} has no MCAP summary section to rewrite')
            src.seek(summary_start)
            summary = list(_read_records(src, footer_start))
            meta_off = meta_len = None
            for _pos, op, body in summary:
                if op == OP_METADATA_INDEX:
                    b = _Body(body)
                    off, length = b.u64(), b.u64()
                    if b.string() == name:
                        meta_off, meta_len = off, length
            if meta_off is None:
                raise BagError(f'{path} has no indexed metadata record {name!r}')
            src.seek(meta_off)
            old = src.read(meta_len)
            if len(old) != meta_len or old[0] != OP_METADATA:
                raise BagError(f'{path}: metadata index of {name!r} points at no metadata record')
            b = _Body(old[9:])
            if b.string() != name:
                raise BagError(f'{path}: metadata index of {name!r} points at another record')
            mapping = b.mapping()
            mapping.update(updates)
            new = mcap_metadata_record(name, mapping)
            delta = len(new) - meta_len
            src.seek(meta_off + meta_len)
            tail = list(_read_records(src, summary_start))

            def moved(offset: int) -> int:
                return offset + delta if offset > meta_off else offset

            need_crc = any(
                op == OP_DATA_END and struct.unpack_from('<I', body)[0] for _p, op, body in tail
            )
            with tmp.open('wb') as raw_dst:
                if need_crc:
                    dst = _CrcWriter(raw_dst)
                    _copy_range(src, dst, 0, meta_off)
                else:  # in the kernel (a reflink where the filesystem has them)
                    dst = raw_dst
                    _copy_kernel(src, raw_dst, meta_off)
                dst.write(new)
                for pos, op, body in tail:
                    if op == OP_DATA_END and struct.unpack_from('<I', body)[0]:
                        dst.write(_record(OP_DATA_END, struct.pack('<I', dst.crc)))
                    else:
                        _copy_range(src, dst, pos, 9 + len(body))
                new_summary = io.BytesIO()
                for _pos, op, body in summary:
                    new_summary.write(_record(op, _shift(op, body, moved, name, len(new), delta)))
                sbytes = new_summary.getvalue()
                dst.write(sbytes)
                fields = struct.pack(
                    '<BQQQ',
                    OP_FOOTER,
                    20,
                    summary_start + delta,
                    summary_offset_start + delta if summary_offset_start else 0,
                )
                crc = zlib.crc32(fields, zlib.crc32(sbytes)) if summary_crc else 0
                dst.write(fields + struct.pack('<I', crc) + MAGIC)
                raw_dst.flush()
                os.fsync(raw_dst.fileno())
        os.replace(tmp, path)
    except BagError:
        tmp.unlink(missing_ok=True)
        raise
    except (OSError, ValueError, struct.error) as exc:
        tmp.unlink(missing_ok=True)
        raise BagError(f'cannot rewrite the metadata of {path}: {exc}') from None


def _shift(op: int, body: bytes, moved, name: str, new_len: int, delta: int) -> bytes:
    """Return a summary record with its file offsets moved past the rewritten record."""
    if op == OP_CHUNK_INDEX:
        b = _Body(body)
        start, end, chunk_off = b.u64(), b.u64(), b.u64()
        chunk_len = b.u64()
        n = b.u32()
        entries = [struct.unpack_from('<HQ', b.take(10)) for _ in range(n // 10)]
        rest = bytes(b.data[b.pos:])
        out = struct.pack('<QQQQI', start, end, moved(chunk_off), chunk_len, n)
        out += b''.join(struct.pack('<HQ', cid, moved(off)) for cid, off in entries)
        return out + rest
    if op in (OP_ATTACHMENT_INDEX, OP_METADATA_INDEX):
        b = _Body(body)
        off, length = b.u64(), b.u64()
        rest = bytes(b.data[b.pos:])
        if op == OP_METADATA_INDEX and _Body(rest).string() == name:
            return struct.pack('<QQ', off, new_len) + rest
        return struct.pack('<QQ', moved(off), length) + rest
    if op == OP_SUMMARY_OFFSET:
        group, start, length = struct.unpack('<BQQ', body[:17])
        return struct.pack('<BQQ', group, start + delta, length) + bytes(body[17:])
    return bytes(body)


def index_metadata_records(path: str | Path, records: list[tuple[int, int, str]]) -> None:
    """Add Metadata Index records to the summary of a closed MCAP file, in place.

    The recorder writes its start records into the data section itself, so the writer's
    summary does not list them; MCAP wants one Metadata Index per Metadata record, and
    indexed readers (``mcap`` ``iter_metadata``) see only what is listed. The data section
    is not touched: the summary and footer are rewritten after it (statistics' metadata
    count and every summary offset recomputed). Interrupted, the file has no valid footer
    and :func:`reindex_bag` rebuilds it from the intact data section.

    Args:
        path: the closed ``.mcap`` file.
        records: (offset, length, name) of each Metadata record to index.

    Raises:
        BagError: not a closed MCAP file, or an I/O error.
    """
    path = Path(path)
    if not records:
        return
    try:
        with path.open('r+b') as f:
            size = os.fstat(f.fileno()).st_size
            f.seek(size - 8 - _FOOTER_LEN)
            footer = f.read(_FOOTER_LEN + 8)
            if size < 8 + _FOOTER_LEN + 8 or footer[-8:] != MAGIC or footer[0] != OP_FOOTER:
                raise BagError(f'{path} is not a closed MCAP file (no footer)')
            summary_start, _offsets, summary_crc = struct.unpack_from('<QQI', footer, 9)
            if not 8 < summary_start <= size - 8 - _FOOTER_LEN:
                raise BagError(f'{path} has no MCAP summary section')
            f.seek(summary_start)
            summary = [
                (op, bytes(body))
                for _p, op, body in _read_records(f, size - 8 - _FOOTER_LEN)
                if op != OP_SUMMARY_OFFSET
            ]
            new = [
                (OP_METADATA_INDEX, struct.pack('<QQ', off, length) + _str(name))
                for off, length, name in records
            ]
            at = max((i for i, (op, _) in enumerate(summary) if op == OP_METADATA_INDEX),
                     default=len(summary) - 1)  # fmt: skip
            summary[at + 1:at + 1] = new
            groups: list[tuple[int, int, int]] = []  # opcode, start, length
            out = io.BytesIO()
            for op, body in summary:
                if op == 0x0B:  # statistics: metadata_count is the u32 at byte 18
                    count = struct.unpack_from('<I', body, 18)[0] + len(new)
                    body = body[:18] + struct.pack('<I', count) + body[22:]
                start = summary_start + out.tell()
                out.write(_record(op, body))
                if groups and groups[-1][0] == op:
                    groups[-1] = (op, groups[-1][1], summary_start + out.tell() - groups[-1][1])
                else:
                    groups.append((op, start, summary_start + out.tell() - start))
            offsets_start = summary_start + out.tell()
            for op, start, length in groups:
                out.write(_record(OP_SUMMARY_OFFSET, struct.pack('<BQQ', op, start, length)))
            fields = struct.pack('<BQQQ', OP_FOOTER, 20, summary_start, offsets_start)
            crc = zlib.crc32(fields, zlib.crc32(out.getvalue())) if summary_crc else 0
            f.seek(summary_start)
            f.write(out.getvalue() + fields + struct.pack('<I', crc) + MAGIC)
            f.truncate()
    except BagError:
        raise
    except (OSError, ValueError, struct.error) as exc:
        raise BagError(f'cannot index the metadata of {path}: {exc}') from None
