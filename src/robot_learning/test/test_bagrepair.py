# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 robot_learning maintainers
"""Unit tests of crash recovery and embedded-metadata rewriting (no ROS).

Bags are checked with two readers: rosbags (what the dataset uses) and the independent
``mcap`` + ``mcap_ros2`` reader (what Foxglove and ``ros2 bag`` users get).
"""

from __future__ import annotations

import json
from pathlib import Path
import shutil
import subprocess
import sys

from mcap.reader import make_reader
from mcap.stream_reader import StreamReader
from mcap_ros2.decoder import DecoderFactory
import pytest
from robot_learning.data.bagrepair import (
    CRASHED,
    find_unfinished,
    index_metadata_records,
    lock_bag_file,
    reindex,
    reindex_bag,
    rewrite_mcap_metadata,
    scan_mcap,
    START_RECORD,
)
from robot_learning.data.bagwriter import EpisodeBagWriter, qos_dict, update_custom_data
from robot_learning.errors import BagError
from rosbags.rosbag2 import Reader
from rosbags.typesys import get_typestore, Stores
from ruamel.yaml import YAML

TS = get_typestore(Stores.ROS2_JAZZY)


def string_msg(text: str) -> bytes:
    msg = TS.types['std_msgs/msg/String'](data=text)
    return bytes(TS.serialize_cdr(msg, 'std_msgs/msg/String'))


def odom_msg(x: float) -> bytes:
    t = TS.types
    msg = t['nav_msgs/msg/Odometry'](
        header=t['std_msgs/msg/Header'](
            stamp=t['builtin_interfaces/msg/Time'](sec=1, nanosec=0), frame_id='odom'
        ),
        child_frame_id='base_link',
        pose=t['geometry_msgs/msg/PoseWithCovariance'](
            pose=t['geometry_msgs/msg/Pose'](
                position=t['geometry_msgs/msg/Point'](x=x, y=0.0, z=0.0),
                orientation=t['geometry_msgs/msg/Quaternion'](x=0.0, y=0.0, z=0.0, w=1.0),
            ),
            covariance=__import__('numpy').zeros(36),
        ),
        twist=t['geometry_msgs/msg/TwistWithCovariance'](
            twist=t['geometry_msgs/msg/Twist'](
                linear=t['geometry_msgs/msg/Vector3'](x=0.0, y=0.0, z=0.0),
                angular=t['geometry_msgs/msg/Vector3'](x=0.0, y=0.0, z=0.0),
            ),
            covariance=__import__('numpy').zeros(36),
        ),
    )
    return bytes(TS.serialize_cdr(msg, 'nav_msgs/msg/Odometry'))


START = {'instruction': 'go to the red pillar', 'episode': '3', 'session': 's1',
         'start_time_ns': '1000'}  # fmt: skip


def crashed_bag(root: Path, n: int = 50, flush_every: int = 10) -> tuple[Path, list]:
    """Write a bag whose writer 'dies' (aborts) after ``n`` messages, flushed every few."""
    path = root / 's1' / 'episode_0003'
    w = EpisodeBagWriter(path, flush_period_s=0)
    w.write_start_record(START)
    w.add_topic('/instruction', 'std_msgs/msg/String', [qos_dict(durability='transient_local')])
    w.add_topic('/odom', 'nav_msgs/msg/Odometry', [qos_dict(reliability='best_effort')])
    w.add_topic('/never', 'sensor_msgs/msg/LaserScan')
    written = [('/instruction', 1000, string_msg('go to the red pillar'))]
    w.write(*written[0])
    for i in range(n):
        written.append(('/odom', 2000 + i * 100_000_000, odom_msg(float(i))))
        w.write(*written[-1])
        if (i + 1) % flush_every == 0:
            w.flush()
    w.abort()  # what SIGKILL leaves: no index, no footer, no metadata.yaml
    return path, written


def decode_all_with_mcap(mcap_file: Path) -> dict[str, int]:
    """Decode every message with the independent reader; returns counts per topic."""
    counts: dict[str, int] = {}
    with mcap_file.open('rb') as f:
        reader = make_reader(f, decoder_factories=[DecoderFactory()])
        for _schema, channel, _message, decoded in reader.iter_decoded_messages():
            assert decoded is not None
            counts[channel.topic] = counts.get(channel.topic, 0) + 1
    return counts


def embedded_info(mcap_file: Path) -> dict:
    with mcap_file.open('rb') as f:
        meta = {m.name: m.metadata for m in make_reader(f).iter_metadata()}
    return YAML(typ='safe').load(meta['rosbag2']['serialized_metadata'])


def yaml_info(bag: Path) -> dict:
    doc = YAML(typ='safe').load((bag / 'metadata.yaml').read_text())
    return doc['rosbag2_bagfile_information']


def test_crashed_bag_is_unreadable_until_reindexed(tmp_path):
    path, written = crashed_bag(tmp_path, n=50, flush_every=10)
    assert not (path / 'metadata.yaml').exists()
    assert find_unfinished(tmp_path) == [path]
    scan = scan_mcap(path / 'episode_0003.mcap')
    assert not scan.complete
    assert scan.metadata[START_RECORD] == START

    res = reindex_bag(path)
    assert res.status == 'recovered'
    assert res.counts == {'/instruction': 1, '/odom': 50, '/never': 0}
    assert res.custom == {**START, 'outcome': CRASHED, 'stop_time_ns': str(written[-1][1])}
    assert 'recovered 51 messages' in res.line()
    assert find_unfinished(tmp_path) == []
    assert not list(path.parent.glob('.*reindex*'))  # no temporary left behind

    with Reader(path) as reader:
        got = [(c.topic, t, bytes(r)) for c, t, r in reader.messages()]
        assert got == written
        qos = {c.topic: c.ext.offered_qos_profiles for c in reader.connections}
        assert qos['/odom'][0].reliability.name == 'BEST_EFFORT'
        assert qos['/instruction'][0].durability.name == 'TRANSIENT_LOCAL'
    info = yaml_info(path)
    assert info['message_count'] == 51
    assert info['starting_time']['nanoseconds_since_epoch'] == 1000
    assert info['custom_data']['outcome'] == CRASHED
    by_topic = {t['topic_metadata']['name']: t for t in info['topics_with_message_count']}
    assert by_topic['/odom']['topic_metadata']['type'] == 'nav_msgs/msg/Odometry'
    assert by_topic['/odom']['topic_metadata']['serialization_format'] == 'cdr'
    assert by_topic['/never']['message_count'] == 0
    assert decode_all_with_mcap(path / 'episode_0003.mcap') == {'/instruction': 1, '/odom': 50}
    assert embedded_info(path / 'episode_0003.mcap') == info
    # a second run finds nothing to do
    assert reindex_bag(path).status == 'complete'
    assert reindex(tmp_path) == []


def test_unflushed_tail_is_lost_and_a_cut_record_is_dropped(tmp_path):
    path, written = crashed_bag(tmp_path, n=45, flush_every=10)  # last 5 never flushed
    mcap = path / 'episode_0003.mcap'
    data = mcap.read_bytes()
    mcap.write_bytes(data[:-7])  # cut inside the last chunk's message index
    res = reindex_bag(path)
    assert res.counts['/odom'] == 40
    assert res.dropped_bytes > 0
    with Reader(path) as reader:
        assert [(c.topic, t, bytes(r)) for c, t, r in reader.messages()] == written[:41]


def test_truncation_at_every_offset_recovers_whole_chunks(tmp_path):
    src, written = crashed_bag(tmp_path / 'src', n=12, flush_every=3)
    size = (src / 'episode_0003.mcap').stat().st_size
    for cut in range(9, size, max(1, size // 40)):
        bag = tmp_path / f'cut{cut}' / 'episode_0003'
        bag.mkdir(parents=True)
        (bag / 'episode_0003.mcap').write_bytes((src / 'episode_0003.mcap').read_bytes()[:cut])
        res = reindex_bag(bag)
        n = res.messages
        with Reader(bag) as reader:
            assert [bytes(r) for _, _, r in reader.messages()] == [w[2] for w in written[:n]]


def test_independent_reader_handles_flushed_chunks_of_a_closed_bag(tmp_path):
    path = tmp_path / 'ep'
    w = EpisodeBagWriter(path, flush_period_s=0)
    w.write_start_record(START)
    w.add_topic('/odom', 'nav_msgs/msg/Odometry')
    w.add_topic('/empty', 'std_msgs/msg/String')
    for i in range(20):
        w.write('/odom', 10 + i, odom_msg(float(i)))
        if i % 4 == 0:
            w.flush()
    w.flush()
    w.flush()  # nothing pending: no empty chunk
    w.close({**START, 'outcome': 'unknown'})
    # strict reader: CRCs validated, summary and every record consistent
    with (path / 'ep.mcap').open('rb') as f:
        records = list(StreamReader(f, validate_crcs=True).records)
    assert records
    # the start record is indexed like the rosbag2 one (an indexed reader finds both)
    with (path / 'ep.mcap').open('rb') as f:
        reader = make_reader(f)
        meta = {m.name: m.metadata for m in reader.iter_metadata()}
        assert reader.get_summary().statistics.metadata_count == 2
    assert meta[START_RECORD] == START and 'serialized_metadata' in meta['rosbag2']
    offsets = [r for r in records if type(r).__name__ == 'SummaryOffset']
    assert {o.group_opcode for o in offsets} == {3, 4, 8, 11, 13}
    update_custom_data(path, {'outcome': 'success'})
    with (path / 'ep.mcap').open('rb') as f:
        reader = make_reader(f)
        meta = {m.name: m.metadata for m in reader.iter_metadata()}
    assert meta[START_RECORD] == START
    assert YAML(typ='safe').load(meta['rosbag2']['serialized_metadata']) == yaml_info(path)
    with (path / 'ep.mcap').open('rb') as f:
        chunks = make_reader(f).get_summary().chunk_indexes
    assert len(chunks) == 6  # one per flush that had messages, none empty
    assert decode_all_with_mcap(path / 'ep.mcap') == {'/odom': 20}
    with Reader(path) as reader:
        assert reader.message_count == 20


def test_flush_period_flushes_from_write(tmp_path, monkeypatch):
    import robot_learning.data.bagwriter as bw

    clock = [100.0]
    monkeypatch.setattr(bw.time, 'monotonic', lambda: clock[0])
    w = EpisodeBagWriter(tmp_path / 'ep', flush_period_s=1.0)
    w.add_topic('/s', 'std_msgs/msg/String')
    w.write('/s', 1, string_msg('a'))
    assert w.flushes == 0 and not w.flush_if_due()
    clock[0] += 1.0
    w.write('/s', 2, string_msg('b'))
    assert w.flushes == 1
    clock[0] += 1.5
    assert w.flush_if_due() and w.flushes == 2
    w.abort()
    assert reindex_bag(tmp_path / 'ep').messages == 2


@pytest.mark.parametrize('storage', ['mcap', 'sqlite3'])
def test_set_outcome_after_close_agrees_everywhere(tmp_path, storage):
    path = tmp_path / 'ep'
    w = EpisodeBagWriter(path, storage)
    w.add_topic('/odom', 'nav_msgs/msg/Odometry')
    for i in range(30):
        w.write('/odom', 10 + i, odom_msg(float(i)))
    w.close({'instruction': 'x', 'outcome': 'unknown'})
    update_custom_data(path, {'outcome': 'success', 'note': 'a longer value ' * 20})
    update_custom_data(path, {'outcome': 'failure'})  # shrinks again
    info = yaml_info(path)
    assert info['custom_data']['outcome'] == 'failure'
    if storage == 'mcap':
        assert embedded_info(path / 'ep.mcap') == info
        with (path / 'ep.mcap').open('rb') as f:
            reader = make_reader(f)
            summary = reader.get_summary()
            assert summary.statistics.message_count == 30
            assert len(list(reader.iter_messages())) == 30
        assert decode_all_with_mcap(path / 'ep.mcap') == {'/odom': 30}
    else:
        import sqlite3

        with sqlite3.connect(path / 'ep.db3') as db:
            (text,) = db.execute('SELECT metadata FROM metadata').fetchone()
        assert YAML(typ='safe').load(text) == info
    with Reader(path) as reader:
        assert reader.message_count == 30


def test_rewrite_shifts_offsets_of_later_chunks_and_keeps_crcs(tmp_path):
    """A file written by the mcap library (CRCs on, metadata before a chunk)."""
    from mcap.writer import Writer

    f = tmp_path / 'x.mcap'
    with f.open('wb') as out:
        w = Writer(out, enable_data_crcs=True)
        w.start('ros2', 'test')
        sid = w.register_schema('std_msgs/msg/String', 'ros2msg', b'string data')
        cid = w.register_channel('/s', 'cdr', sid)
        w.add_metadata('rosbag2', {'serialized_metadata': 'a: 1'})
        for i in range(5):
            w.add_message(cid, i, string_msg(str(i)), i)
        w.finish()
    rewrite_mcap_metadata(f, 'rosbag2', {'serialized_metadata': 'a: 1\nb: ' + 'x' * 500})
    with f.open('rb') as fh:
        records = list(StreamReader(fh, validate_crcs=True).records)  # checks DataEnd's CRC
    assert records[-1].summary_crc == summary_crc(f) != 0
    (index,) = [r for r in records if type(r).__name__ == 'MetadataIndex']
    index_metadata_records(f, [(index.offset, index.length, 'again')])
    assert summary_crc(f) == footer_crc(f)
    with f.open('rb') as fh:
        reader = make_reader(fh)
        assert reader.get_summary().statistics.metadata_count == 2
        assert sorted(m.name for m in reader.iter_metadata()) == ['rosbag2', 'rosbag2']
    with f.open('rb') as fh:
        reader = make_reader(fh, decoder_factories=[DecoderFactory()])
        assert [d.data for *_, d in reader.iter_decoded_messages()] == [str(i) for i in range(5)]
        assert next(reader.iter_metadata()).metadata['serialized_metadata'].endswith('x' * 500)


def summary_crc(f: Path) -> int:
    """CRC32 of the summary section through the footer's summary_offset_start (spec)."""
    import struct
    import zlib

    data = f.read_bytes()
    (start,) = struct.unpack_from('<Q', data, len(data) - 8 - 20)
    return zlib.crc32(data[start:len(data) - 8 - 4])


def footer_crc(f: Path) -> int:
    import struct

    data = f.read_bytes()
    return struct.unpack_from('<I', data, len(data) - 8 - 4)[0]


def test_busy_bag_is_left_alone(tmp_path):
    w = EpisodeBagWriter(tmp_path / 'ep')
    w.add_topic('/s', 'std_msgs/msg/String')
    w.write('/s', 1, string_msg('a'))
    w.flush()
    assert reindex_bag(tmp_path / 'ep').status == 'busy'  # the writer holds the lock
    w.abort()
    fd = lock_bag_file(tmp_path / 'ep' / 'ep.mcap')
    assert fd is not None
    import os

    os.close(fd)
    assert reindex_bag(tmp_path / 'ep').status == 'recovered'


def test_crashed_sqlite3_bag_is_rebuilt_from_committed_rows(tmp_path):
    path = tmp_path / 's1' / 'episode_0001'
    w = EpisodeBagWriter(path, 'sqlite3', flush_period_s=0)
    w.write_start_record(START)
    w.add_topic('/odom', 'nav_msgs/msg/Odometry', [qos_dict(reliability='best_effort')])
    w.add_topic('/never', 'std_msgs/msg/String')
    written = [('/odom', 10 + i, odom_msg(float(i))) for i in range(12)]
    for i, m in enumerate(written):
        w.write(*m)
        if i == 7:
            w.flush()  # commits: rows 0..7 survive the crash
    assert reindex_bag(path).status == 'busy'
    w._writer.storage.conn.close()  # the process dies: the open transaction is lost
    w._unlock()
    assert find_unfinished(tmp_path) == [path]
    res = reindex_bag(path)
    assert res.status == 'recovered' and res.counts == {'/odom': 8, '/never': 0}
    assert res.custom == {**START, 'outcome': CRASHED, 'stop_time_ns': '17'}
    with Reader(path) as reader:
        assert [(c.topic, t, bytes(r)) for c, t, r in reader.messages()] == written[:8]
        qos = {c.topic: c.ext.offered_qos_profiles for c in reader.connections}
        assert qos['/odom'][0].reliability.name == 'BEST_EFFORT'
    assert yaml_info(path)['custom_data']['outcome'] == CRASHED
    assert reindex_bag(path).status == 'complete'


def test_jsonl_gets_the_recovered_episode(tmp_path):
    path, _ = crashed_bag(tmp_path)
    (path.parent / 'episodes.jsonl').write_text(json.dumps({'dir': 'episode_0002'}) + '\n')
    reindex(path.parent)
    lines = [json.loads(x) for x in (path.parent / 'episodes.jsonl').read_text().splitlines()]
    assert lines[-1]['dir'] == 'episode_0003' and lines[-1]['outcome'] == CRASHED
    assert lines[-1]['instruction'] == 'go to the red pillar' and lines[-1]['messages'] == 51


def test_bad_input_is_one_line_bag_error(tmp_path):
    with pytest.raises(BagError, match='does not exist'):
        reindex(tmp_path / 'nope')
    (tmp_path / 'empty').mkdir()
    with pytest.raises(BagError, match='holds no .mcap or .db3'):
        reindex(tmp_path / 'empty')
    (tmp_path / 'fake').mkdir()
    (tmp_path / 'fake' / 'fake.mcap').write_bytes(b'not an mcap file at all')
    with pytest.raises(BagError, match='not an MCAP file'):
        reindex(tmp_path / 'fake')
    with pytest.raises(BagError, match='no MCAP footer'):
        path, _ = crashed_bag(tmp_path / 'c')
        rewrite_mcap_metadata(path / 'episode_0003.mcap', 'rosbag2', {})


def test_cli_bag_reindex(tmp_path):
    path, _ = crashed_bag(tmp_path)
    shutil.copytree(path, tmp_path / 'copy' / 'episode_0003')
    cli = [sys.executable, '-m', 'robot_learning.cli', 'bag', 'reindex']
    done = subprocess.run(cli + [str(tmp_path)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.count('recovered 51 messages') == 2
    done = subprocess.run(cli + [str(path)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and 'left alone' in done.stdout
    for bad in (tmp_path / 'nope', tmp_path / 'copy' / 'episode_0003' / 'metadata.yaml'):
        done = subprocess.run(cli + [str(bad)], capture_output=True, text=True, timeout=120)
        assert done.returncode == 2
        assert len(done.stderr.strip().splitlines()) == 1, done.stderr
        assert done.stderr.startswith('robot-learning bag: ')
