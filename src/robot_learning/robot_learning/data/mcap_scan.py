# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 robot_learning maintainers
"""MCAP records: encoding them and scanning a file, complete or cut off by a crash (ROS-free).

Record layouts follow the MCAP format specification (magic 0x30, "MCAP0"): an
opcode byte, a little-endian uint64 length, then the record body. :func:`scan_mcap`
is what :func:`robot_learning.data.bagrepair.reindex_bag` recovers a crashed bag from;
:func:`mcap_metadata_record` is the record the recorder appends when an episode starts.
"""

from __future__ import annotations

from dataclasses import dataclass, field
import os
from pathlib import Path
import struct
from typing import BinaryIO, Iterator
import zlib

from robot_learning.errors import BagError

__all__ = [
    'MAGIC',
    'START_RECORD',
    'Body',
    'ScanResult',
    'encode_record',
    'encode_str',
    'mcap_metadata_record',
    'read_records',
    'scan_mcap',
]

#: Name of the MCAP metadata record with the custom_data known when an episode starts.
START_RECORD = 'robot_learning_episode'
MAGIC = b'\x89MCAP0\r\n'

OP_HEADER, OP_FOOTER, OP_SCHEMA, OP_CHANNEL, OP_MESSAGE, OP_CHUNK = 1, 2, 3, 4, 5, 6
OP_CHUNK_INDEX, OP_ATTACHMENT_INDEX, OP_METADATA, OP_METADATA_INDEX = 8, 10, 12, 13
OP_SUMMARY_OFFSET, OP_DATA_END = 14, 15
FOOTER_LEN = 1 + 8 + 20  # opcode, length, summary_start, summary_offset_start, crc


# ---------------------------------------------------------------------- encoding


def encode_str(value: str) -> bytes:
    """Encode an MCAP string: uint32 byte length, then UTF-8 bytes."""
    raw = value.encode('utf8')
    return struct.pack('<I', len(raw)) + raw


def _map(mapping: dict[str, str]) -> bytes:
    body = b''.join(encode_str(k) + encode_str(v) for k, v in mapping.items())
    return struct.pack('<I', len(body)) + body


def encode_record(op: int, body: bytes) -> bytes:
    """Encode one top-level record: opcode byte, uint64 body length, body."""
    return struct.pack('<BQ', op, len(body)) + body


def mcap_metadata_record(name: str, mapping: dict[str, str]) -> bytes:
    """One complete MCAP Metadata record (opcode 0x0C) as bytes.

    Raises:
        BagError: a key or value is not a string.
    """
    for key, value in mapping.items():
        if not isinstance(key, str) or not isinstance(value, str):
            raise BagError(f'MCAP metadata {key!r}: {value!r} must map str to str')
    return encode_record(OP_METADATA, encode_str(name) + _map(dict(mapping)))


class Body:
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


def read_records(f: BinaryIO, end: int) -> Iterator[tuple[int, int, bytes]]:
    """Yield (offset, opcode, body) of each complete top-level record up to offset ``end``."""
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
        if size >= 8 + FOOTER_LEN + 8:
            f.seek(size - 8)
            tail_magic = f.read(8)
            f.seek(size - 8 - FOOTER_LEN)
            res.complete = tail_magic == MAGIC and f.read(1)[0] == OP_FOOTER
            f.seek(8)
        last_end = 8
        for pos, op, body in read_records(f, size):
            last_end = pos + 9 + len(body)
            if op in (OP_DATA_END, OP_FOOTER):
                break
            if op == OP_CHUNK:
                try:
                    b = Body(body)
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
        b = Body(body)
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
