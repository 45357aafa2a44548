# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 robot_learning maintainers
"""demo_recorder over real topics: raw bytes in bags per episode, metadata, discard.

Byte identity is checked against what the middleware delivered (a raw tap subscription
on the test side receives the very bytes the recorder received): ``serialize_message``
on the test side is not byte-stable, because CDR alignment padding bytes are left
uninitialized by the serializer (e.g. the two bytes after a 9-character ``frame_id``).
The content is checked by deserializing the bag bytes and comparing with the messages
published.
"""

from __future__ import annotations

import json

from geometry_msgs.msg import TwistStamped
import pytest
from rclpy.parameter import Parameter
from recorder_support import embedded_metadata, image, LATCHED, make_recorder, mcap_messages
from recorder_support import read_bag, recorded, RELIABLE, same_content, scan, set_success
from recorder_support import tap, trigger, twist_stamped, yaml_metadata
from robot_learning.data.bagwriter import read_custom_data
from robot_learning_nodes.demo_recorder import parse_topic_entry
from sensor_msgs.msg import Image, LaserScan
from std_msgs.msg import String
from std_srvs.srv import SetBool, Trigger


def test_parse_topic_entry():
    assert parse_topic_entry('scan') == ('scan', None)
    assert parse_topic_entry(' cmd_vel : geometry_msgs/Twist ') == (
        'cmd_vel',
        'geometry_msgs/msg/Twist',
    )


def run_episodes(ros, tmp_path, storage):
    rec = make_recorder(ros, tmp_path, storage=storage)
    ns = ros.ns
    h = ros.helper
    pub_instr = h.create_publisher(String, 'instruction', LATCHED)
    pub_scan = h.create_publisher(LaserScan, 'scan', RELIABLE)
    pub_img = h.create_publisher(Image, 'camera/image_raw', RELIABLE)
    pub_act = h.create_publisher(TwistStamped, 'action', RELIABLE)
    types = {
        'scan': LaserScan,
        'camera/image_raw': Image,
        'action': TwistStamped,
        'instruction': String,
    }
    wire = {
        f'{ns}/{t}': tap(ros, cls, t, LATCHED if t == 'instruction' else RELIABLE)
        for t, cls in types.items()
    }
    for pub in (pub_instr, pub_scan, pub_img, pub_act):
        ros.wait_matched(pub, 2)  # the recorder and the tap

    # The instruction arrives before the episode starts (latched, as the sim does).
    instr = String(data='go to the red pillar')
    pub_instr.publish(instr)
    ros.spin_until(lambda: rec.book.instruction_text == instr.data, what='instruction')
    # Messages outside an episode are not recorded.
    pub_scan.publish(scan(999))
    ros.spin_until(lambda: len(wire[f'{ns}/scan']) == 1, what='scan 999')
    ros.spin_for(0.1)
    for raws in wire.values():
        raws.clear()

    # ---- episode 0: kept, success
    resp = trigger(ros, 'recorder/start_episode')
    ep0 = tmp_path / 's' / 'episode_0000'
    assert resp.message == str(ep0)
    published: dict[str, list] = {f'{ns}/{t}': [] for t in ('scan', 'camera/image_raw', 'action')}
    for i in range(20):
        for pub, msg, topic in (
            (pub_scan, scan(i), 'scan'),
            (pub_img, image(i), 'camera/image_raw'),
            (pub_act, twist_stamped(i), 'action'),
        ):
            pub.publish(msg)
            published[f'{ns}/{topic}'].append(msg)
        ros.spin_for(0.005)
    for topic in published:
        recorded(ros, rec, topic, 20)
        ros.spin_until(lambda: len(wire[topic]) >= 20, what=f'tap {topic}')
    set_success(ros, True)
    trigger(ros, 'recorder/stop_episode')

    got, types = read_bag(ep0)
    for topic, msgs in published.items():
        assert got[topic] == wire[topic], topic  # byte-identical to the wire
        assert same_content(got[topic], msgs, type(msgs[0])), topic
    # the instruction received before start is in the bag, once, at the start
    assert same_content(got[f'{ns}/instruction'], [instr], String)
    assert types[f'{ns}/scan'] == 'sensor_msgs/msg/LaserScan'
    assert types[f'{ns}/odom'] == 'nav_msgs/msg/Odometry'  # subscribed, no messages
    custom = read_custom_data(ep0)
    assert custom['instruction'] == 'go to the red pillar'
    assert custom['outcome'] == 'success'
    assert custom['episode'] == '0'
    assert int(custom['stop_time_ns']) >= int(custom['start_time_ns']) > 0

    # ---- episode 1: discarded while active -> no directory
    trigger(ros, 'recorder/start_episode')
    pub_scan.publish(scan(100))
    recorded(ros, rec, f'{ns}/scan', 21)
    resp = trigger(ros, 'recorder/discard_episode')
    assert not (tmp_path / 's' / 'episode_0001').exists()

    # ---- episode 2: new instruction, stopped, then marked failure after the stop
    instr2 = String(data='go to the blue pillar')
    pub_instr.publish(instr2)
    ros.spin_until(lambda: rec.book.instruction_text == instr2.data, what='instruction 2')
    trigger(ros, 'recorder/start_episode')
    pub_scan.publish(scan(200))
    recorded(ros, rec, f'{ns}/scan', 22)
    trigger(ros, 'recorder/stop_episode')
    set_success(ros, False)  # no active episode: rewrites the last stopped one
    ep2 = tmp_path / 's' / 'episode_0002'
    got, _ = read_bag(ep2)
    assert same_content(got[f'{ns}/scan'], [scan(200)], LaserScan)
    assert same_content(got[f'{ns}/instruction'], [instr2], String)
    custom = read_custom_data(ep2)
    assert (custom['instruction'], custom['outcome'], custom['episode']) == (
        'go to the blue pillar',
        'failure',
        '2',
    )

    # ---- start while active stops the active one; outcome stays unknown
    trigger(ros, 'recorder/start_episode')
    trigger(ros, 'recorder/start_episode')
    trigger(ros, 'recorder/stop_episode')
    assert read_custom_data(tmp_path / 's' / 'episode_0003')['outcome'] == 'unknown'
    assert (tmp_path / 's' / 'episode_0004' / 'metadata.yaml').exists()
    resp = ros.call(Trigger, 'recorder/stop_episode')
    assert not resp.success  # nothing active

    lines = [json.loads(x) for x in (tmp_path / 's' / 'episodes.jsonl').read_text().splitlines()]
    assert [(x['dir'], x['outcome']) for x in lines] == [
        ('episode_0000', 'success'),
        ('episode_0002', 'failure'),
        ('episode_0003', 'unknown'),
        ('episode_0004', 'unknown'),
    ]
    assert lines[0]['instruction'] == 'go to the red pillar'
    assert lines[0]['messages'] == 61

    diag = ros.diagnostics(rec, cond=lambda d: d.get('episodes_kept') == '4')
    assert diag[f'recorded {ns}/scan'] == '22'
    assert diag['episodes_discarded'] == '1'
    assert diag['_level'] == '0'
    return rec


def test_records_raw_bytes_per_episode_mcap(ros, tmp_path):
    run_episodes(ros, tmp_path, 'mcap')
    assert list((tmp_path / 's' / 'episode_0000').glob('*.mcap'))
    # every bag also opens in an independent reader, whose embedded rosbag2 metadata
    # agrees with metadata.yaml, also after set_success rewrote a stopped episode
    for ep in sorted((tmp_path / 's').glob('episode_*')):
        (mcap,) = ep.glob('*.mcap')
        assert embedded_metadata(mcap) == yaml_metadata(ep), ep
        for *_, decoded in mcap_messages(mcap):
            assert decoded is not None
    assert embedded_metadata(tmp_path / 's' / 'episode_0002' / 'episode_0002.mcap')[
        'custom_data'
    ]['outcome'] == 'failure'


def test_records_raw_bytes_per_episode_sqlite3(ros, tmp_path):
    run_episodes(ros, tmp_path, 'sqlite3')
    assert list((tmp_path / 's' / 'episode_0000').glob('*.db3'))


def test_discard_after_stop_and_session_continues(ros, tmp_path):
    rec = make_recorder(ros, tmp_path)
    trigger(ros, 'recorder/start_episode')
    trigger(ros, 'recorder/stop_episode')
    ep0 = tmp_path / 's' / 'episode_0000'
    assert ep0.exists()
    trigger(ros, 'recorder/discard_episode')  # none active: the last stopped one
    assert not ep0.exists()
    assert (tmp_path / 's' / 'episodes.jsonl').read_text() == ''
    assert not ros.call(Trigger, 'recorder/discard_episode').success
    assert not ros.call(SetBool, 'recorder/set_success', SetBool.Request(data=True)).success
    # a second recorder on the same session continues the numbering
    trigger(ros, 'recorder/start_episode')
    trigger(ros, 'recorder/stop_episode')
    rec.close()
    ros.nodes.remove(rec)
    ros.executor.remove_node(rec)
    rec.destroy_node()
    make_recorder(ros, tmp_path)
    resp = trigger(ros, 'recorder/start_episode')
    assert resp.message.endswith('episode_0002')


def test_bad_storage_parameter_is_rejected(ros, tmp_path):
    with pytest.raises(Exception, match='storage'):
        make_recorder(ros, tmp_path, storage='rosbag1')


def test_counts_intervention_segments_into_metadata(ros, tmp_path):
    from std_msgs.msg import Bool

    rec = make_recorder(ros, tmp_path, topics=['intervention:std_msgs/msg/Bool'])
    pub = ros.helper.create_publisher(Bool, 'intervention', RELIABLE)
    ros.spin_until(
        lambda: pub.get_subscription_count() > 0, timeout=10.0, what='recorder subscribed'
    )
    trigger(ros, 'recorder/start_episode')
    flags = [False, True, True, False, True, False, False]  # two takeovers, three steps
    for f in flags:
        pub.publish(Bool(data=f))
    recorded(ros, rec, f'{ros.ns}/intervention', len(flags))
    trigger(ros, 'recorder/stop_episode')
    custom = read_custom_data(tmp_path / 's' / 'episode_0000')
    assert (custom['interventions'], custom['intervention_steps']) == ('2', '3')
    line = json.loads((tmp_path / 's' / 'episodes.jsonl').read_text().splitlines()[0])
    assert line['interventions'] == 2


def set_params(ros, **values):
    """``ros2 param set`` over the SetParameters service; returns the results."""
    from rcl_interfaces.srv import SetParameters

    req = SetParameters.Request(
        parameters=[Parameter(k, value=v).to_parameter_msg() for k, v in values.items()]
    )
    return ros.call(SetParameters, 'demo_recorder/set_parameters', req).results


def test_parameters_ranges_live_and_read_only(ros, tmp_path):
    from robot_learning.errors import ConfigError

    rec = make_recorder(ros, tmp_path)
    desc = rec.describe_parameter('flush_period_s')
    assert (desc.floating_point_range[0].from_value, desc.floating_point_range[0].to_value) == (
        0.05,
        1.0,
    )
    (r,) = set_params(ros, flush_period_s=5.0)  # more than a crash may lose
    assert not r.successful and rec.flush_period_s == 0.5
    trigger(ros, 'recorder/start_episode')
    (r,) = set_params(ros, flush_period_s=0.2)
    assert r.successful, r.reason
    assert rec.flush_period_s == 0.2 and rec.book.active.writer.flush_period_s == 0.2
    assert rec._flush_timer.timer_period_ns == 200_000_000
    (r,) = set_params(ros, discovery_period_s=2.0)
    assert r.successful and rec._timer.timer_period_ns == 2_000_000_000
    for name, value in (('storage', 'sqlite3'), ('output_dir', '/tmp/x'), ('topics', ['a'])):
        (r,) = set_params(ros, **{name: value})
        assert not r.successful and r.reason, name
    assert rec.storage == 'mcap'
    with pytest.raises(ConfigError, match='flush_period_s'):
        make_recorder(ros, tmp_path, flush_period_s=0.0)
