# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 robot_learning maintainers
"""Rewrite the metadata embedded in a closed MCAP file, fixing every offset that moved (ROS-free).

:func:`rewrite_mcap_metadata` replaces one metadata record of a closed MCAP file (the
``rosbag2`` one holding the serialized ``metadata.yaml``) and fixes every offset in the
summary that moved, writing a new file and renaming it over the old one;
:func:`index_metadata_records` adds the index of metadata records appended while
recording. Record layouts follow the MCAP format specification.
"""

from __future__ import annotations

import io
import os
from pathlib import Path
import struct
from typing import Any, BinaryIO
import zlib

from robot_learning.data.mcap_scan import (
    Body,
    encode_record,
    encode_str,
    FOOTER_LEN,
    MAGIC,
    mcap_metadata_record,
    OP_ATTACHMENT_INDEX,
    OP_CHUNK_INDEX,
    OP_DATA_END,
    OP_FOOTER,
    OP_METADATA,
    OP_METADATA_INDEX,
    OP_SUMMARY_OFFSET,
    read_records,
)
from robot_learning.errors import BagError

__all__ = ['index_metadata_records', 'rewrite_mcap_metadata']


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
            if size < 8 + FOOTER_LEN + 8:
                raise BagError(f'{path} is not a closed MCAP file (too short)')
            src.seek(size - 8 - FOOTER_LEN)
            footer = src.read(FOOTER_LEN + 8)
            if footer[-8:] != MAGIC or footer[0] != OP_FOOTER:
                raise BagError(
                    f'{path} has no MCAP footer (crashed recording?): run robot-learning '
                    'bag reindex on it first'
                )
            summary_start, summary_offset_start, summary_crc = struct.unpack_from(
                '<QQI', footer, 9
            )
            footer_start = size - 8 - FOOTER_LEN
            if not 8 < summary_start <= footer_start:
                raise BagError(f'{path} has no MCAP summary section to rewrite')
            src.seek(summary_start)
            summary = list(read_records(src, footer_start))
            meta_off = meta_len = None
            for _pos, op, body in summary:
                if op == OP_METADATA_INDEX:
                    b = Body(body)
                    off, length = b.u64(), b.u64()
                    if b.string() == name:
                        meta_off, meta_len = off, length
            if meta_off is None:
                raise BagError(f'{path} has no indexed metadata record {name!r}')
            src.seek(meta_off)
            old = src.read(meta_len)
            if len(old) != meta_len or old[0] != OP_METADATA:
                raise BagError(f'{path}: metadata index of {name!r} points at no metadata record')
            b = Body(old[9:])
            if b.string() != name:
                raise BagError(f'{path}: metadata index of {name!r} points at another record')
            mapping = b.mapping()
            mapping.update(updates)
            new = mcap_metadata_record(name, mapping)
            delta = len(new) - meta_len
            src.seek(meta_off + meta_len)
            tail = list(read_records(src, summary_start))

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
                        dst.write(encode_record(OP_DATA_END, struct.pack('<I', dst.crc)))
                    else:
                        _copy_range(src, dst, pos, 9 + len(body))
                new_summary = io.BytesIO()
                for _pos, op, body in summary:
                    shifted = _shift(op, body, moved, name, len(new), delta)
                    new_summary.write(encode_record(op, shifted))
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
        b = Body(body)
        start, end, chunk_off = b.u64(), b.u64(), b.u64()
        chunk_len = b.u64()
        n = b.u32()
        entries = [struct.unpack_from('<HQ', b.take(10)) for _ in range(n // 10)]
        rest = bytes(b.data[b.pos:])
        out = struct.pack('<QQQQI', start, end, moved(chunk_off), chunk_len, n)
        out += b''.join(struct.pack('<HQ', cid, moved(off)) for cid, off in entries)
        return out + rest
    if op in (OP_ATTACHMENT_INDEX, OP_METADATA_INDEX):
        b = Body(body)
        off, length = b.u64(), b.u64()
        rest = bytes(b.data[b.pos:])
        if op == OP_METADATA_INDEX and Body(rest).string() == name:
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
            f.seek(size - 8 - FOOTER_LEN)
            footer = f.read(FOOTER_LEN + 8)
            if size < 8 + FOOTER_LEN + 8 or footer[-8:] != MAGIC or footer[0] != OP_FOOTER:
                raise BagError(f'{path} is not a closed MCAP file (no footer)')
            summary_start, _offsets, summary_crc = struct.unpack_from('<QQI', footer, 9)
            if not 8 < summary_start <= size - 8 - FOOTER_LEN:
                raise BagError(f'{path} has no MCAP summary section')
            f.seek(summary_start)
            summary = [
                (op, bytes(body))
                for _p, op, body in read_records(f, size - 8 - FOOTER_LEN)
                if op != OP_SUMMARY_OFFSET
            ]
            new = [
                (OP_METADATA_INDEX, struct.pack('<QQ', off, length) + encode_str(name))
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
                out.write(encode_record(op, body))
                if groups and groups[-1][0] == op:
                    groups[-1] = (op, groups[-1][1], summary_start + out.tell() - groups[-1][1])
                else:
                    groups.append((op, start, summary_start + out.tell() - start))
            offsets_start = summary_start + out.tell()
            for op, start, length in groups:
                out.write(encode_record(OP_SUMMARY_OFFSET, struct.pack('<BQQ', op, start, length)))
            fields = struct.pack('<BQQQ', OP_FOOTER, 20, summary_start, offsets_start)
            crc = zlib.crc32(fields, zlib.crc32(out.getvalue())) if summary_crc else 0
            f.seek(summary_start)
            f.write(out.getvalue() + fields + struct.pack('<I', crc) + MAGIC)
            f.truncate()
    except BagError:
        raise
    except (OSError, ValueError, struct.error) as exc:
        raise BagError(f'cannot index the metadata of {path}: {exc}') from None
