# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 robot_learning maintainers
"""Unit tests of robot_learning.data.bagwriter (no ROS): write raw CDR, read back with rosbags."""

from __future__ import annotations

import numpy as np
import pytest
from robot_learning.data.bagwriter import (
    EpisodeBagWriter,
    qos_dict,
    read_custom_data,
    update_custom_data,
)
from robot_learning.errors import BagError
from rosbags.rosbag2 import Reader
from rosbags.typesys import get_typestore, Stores

TS = get_typestore(Stores.ROS2_JAZZY)


def cdr(msgtype: str, **fields) -> bytes:
    cls = TS.types[msgtype]
    return bytes(TS.serialize_cdr(cls(**fields), msgtype))


def string_msg(text: str) -> bytes:
    return cdr('std_msgs/msg/String', data=text)


def bool_msg(value: bool) -> bytes:
    return cdr('std_msgs/msg/Bool', data=value)


@pytest.mark.parametrize('storage', ['mcap', 'sqlite3'])
def test_round_trip_raw_bytes_and_custom_data(tmp_path, storage):
    path = tmp_path / 'session' / 'episode_0000'
    w = EpisodeBagWriter(path, storage)
    w.add_topic(
        '/instruction', 'std_msgs/msg/String', [qos_dict(durability='transient_local', depth=1)]
    )
    w.add_topic('/intervention', 'std_msgs/Bool')  # short form accepted
    w.add_topic('/intervention', 'std_msgs/msg/Bool')  # idempotent
    w.add_topic('/unused', 'sensor_msgs/msg/LaserScan')  # topic with no messages
    written = [('/instruction', 10, string_msg('go to the red pillar'))]
    written += [('/intervention', 20 + i, bool_msg(i % 2 == 0)) for i in range(5)]
    for topic, t, raw in written:
        w.write(topic, t, raw)
    assert w.counts == {'/instruction': 1, '/intervention': 5, '/unused': 0}
    assert w.message_count == 6
    assert w.bytes_written == sum(len(x[2]) for x in written)
    w.close({'instruction': 'go to the red pillar', 'outcome': 'success', 'episode': '0'})

    with Reader(path) as reader:
        got = [(c.topic, t, bytes(raw)) for c, t, raw in reader.messages()]
        assert got == written
        types = {c.topic: c.msgtype for c in reader.connections}
        assert types == {
            '/instruction': 'std_msgs/msg/String',
            '/intervention': 'std_msgs/msg/Bool',
            '/unused': 'sensor_msgs/msg/LaserScan',
        }
        qos = {c.topic: c.ext.offered_qos_profiles for c in reader.connections}
        assert qos['/instruction'][0].durability.name == 'TRANSIENT_LOCAL'
        assert qos['/instruction'][0].depth == 1
        assert qos['/intervention'] == []
        # the bag can also be deserialized with the typestore (valid CDR + msgdef)
        conn = next(c for c in reader.connections if c.topic == '/instruction')
        raw = next(r for c, _, r in reader.messages([conn]))
        assert TS.deserialize_cdr(raw, conn.msgtype).data == 'go to the red pillar'
    assert read_custom_data(path) == {
        'instruction': 'go to the red pillar',
        'outcome': 'success',
        'episode': '0',
    }


def test_mcap_embeds_message_definitions(tmp_path):
    path = tmp_path / 'b'
    with EpisodeBagWriter(path) as w:
        w.add_topic('/scan', 'sensor_msgs/msg/LaserScan')
        w.write(
            '/scan',
            1,
            cdr(
                'sensor_msgs/msg/LaserScan',
                header=TS.types['std_msgs/msg/Header'](
                    stamp=TS.types['builtin_interfaces/msg/Time'](sec=1, nanosec=2),
                    frame_id='base_scan',
                ),
                angle_min=-3.14,
                angle_max=3.14,
                angle_increment=0.1,
                time_increment=0.0,
                scan_time=0.1,
                range_min=0.1,
                range_max=10.0,
                ranges=np.ones(3, np.float32),
                intensities=np.zeros(0, np.float32),
            ),
        )
    data = (path / 'b.mcap').read_bytes()
    assert b'float32[] ranges' in data  # ros2msg schema for other tools (Foxglove, ros2 bag)
    with Reader(path) as reader:
        assert reader.message_count == 1
        assert read_custom_data(path) == {}


def test_update_custom_data(tmp_path):
    path = tmp_path / 'ep'
    w = EpisodeBagWriter(path)
    w.add_topic('/i', 'std_msgs/msg/String')
    w.write('/i', 5, string_msg('x'))
    w.close({'outcome': 'unknown', 'instruction': 'x'})
    assert update_custom_data(path, {'outcome': 'failure'}) == {
        'outcome': 'failure',
        'instruction': 'x',
    }
    with Reader(path) as reader:
        assert reader.message_count == 1
    assert read_custom_data(path)['outcome'] == 'failure'
    with pytest.raises(BagError, match='must map str to str'):
        update_custom_data(path, {'episode': 3})
    with pytest.raises(BagError, match='does not exist'):
        update_custom_data(tmp_path / 'nope', {'a': 'b'})


def test_errors_are_one_line_bag_errors(tmp_path):
    path = tmp_path / 'ep'
    path.mkdir()
    with pytest.raises(BagError, match='exists already'):
        EpisodeBagWriter(path)
    with pytest.raises(BagError, match="storage 'rosbag1' is unknown"):
        EpisodeBagWriter(tmp_path / 'x', storage='rosbag1')
    w = EpisodeBagWriter(tmp_path / 'ok')
    with pytest.raises(BagError, match='unknown to the ROS 2 Jazzy typestore'):
        w.add_topic('/a', 'my_msgs/msg/Custom')
    with pytest.raises(BagError, match='not of the form'):
        w.add_topic('/a', 'String')
    w.add_topic('/a', 'std_msgs/msg/String')
    with pytest.raises(BagError, match='cannot add it again as std_msgs/msg/Bool'):
        w.add_topic('/a', 'std_msgs/msg/Bool')
    with pytest.raises(BagError, match='was not added'):
        w.write('/b', 1, b'')
    with pytest.raises(BagError, match='offered QoS'):
        w.add_topic('/c', 'std_msgs/msg/String', '{{{ not yaml')
    with pytest.raises(BagError, match='must map str to str'):
        w.close({'episode': 1})
    w.close({'episode': '1'})  # a rejected close left the bag open
    with pytest.raises(BagError, match='is closed'):
        w.write('/a', 1, string_msg('late'))
    with pytest.raises(BagError, match='is closed'):
        w.add_topic('/d', 'std_msgs/msg/String')


def test_discard_and_abort(tmp_path):
    w = EpisodeBagWriter(tmp_path / 'gone')
    w.add_topic('/a', 'std_msgs/msg/String')
    w.write('/a', 1, string_msg('x'))
    w.discard()
    assert not (tmp_path / 'gone').exists()
    # an exception inside the context manager aborts: no metadata, earlier bags unaffected
    with EpisodeBagWriter(tmp_path / 'first') as w:
        w.add_topic('/a', 'std_msgs/msg/String')
        w.write('/a', 1, string_msg('kept'))
    with pytest.raises(RuntimeError):
        with EpisodeBagWriter(tmp_path / 'crashed') as w:
            w.add_topic('/a', 'std_msgs/msg/String')
            w.write('/a', 2, string_msg('lost'))
            raise RuntimeError('crash')
    assert not (tmp_path / 'crashed' / 'metadata.yaml').exists()
    with Reader(tmp_path / 'first') as reader:
        assert [bytes(r) for _, _, r in reader.messages()] == [string_msg('kept')]


@pytest.mark.parametrize(
    'text',
    [
        'rosbag2_bagfile_information:',
        'rosbag2_bagfile_information: 3',
        'rosbag2_bagfile_information: {version: [',
        '',
    ],
)
def test_truncated_metadata_is_one_line_bag_error(tmp_path, text):
    (tmp_path / 'metadata.yaml').write_text(text)
    with pytest.raises(BagError) as err:
        read_custom_data(tmp_path)
    assert '\n' not in str(err.value) and 'metadata.yaml' in str(err.value)
