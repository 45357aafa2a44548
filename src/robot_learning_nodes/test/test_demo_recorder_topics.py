# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 robot_learning maintainers
"""demo_recorder: every default topic decodes elsewhere, crash recovery, type/QoS discovery."""

from __future__ import annotations

from geometry_msgs.msg import Twist
import pytest
import rclpy
from rclpy.qos import QoSProfile, ReliabilityPolicy
from recorder_support import embedded_metadata, image, LATCHED, make_recorder, mcap_messages
from recorder_support import read_bag, recorded, RELIABLE, same_content, sample_message, scan
from recorder_support import trigger, yaml_metadata
from robot_learning.data.bagwriter import read_custom_data
from robot_learning_nodes.demo_recorder import parse_topic_entry
from rosbags.rosbag2 import Reader
from sensor_msgs.msg import LaserScan
from std_msgs.msg import String


def test_every_default_topic_decodes_with_an_independent_reader(ros, tmp_path):
    """All topics the recorder records by default, decoded by mcap + mcap_ros2."""
    from robot_learning_nodes.demo_recorder import DEFAULT_TOPICS, import_msg_class

    rec = make_recorder(ros, tmp_path)
    pubs = {}
    for entry in DEFAULT_TOPICS:
        name, msgtype = parse_topic_entry(entry)
        cls = import_msg_class(msgtype)
        qos = LATCHED if name == 'instruction' else RELIABLE
        pubs[f'{ros.ns}/{name}'] = (ros.helper.create_publisher(cls, name, qos), cls)
    for pub, _ in pubs.values():
        ros.wait_matched(pub, 1)
    trigger(ros, 'recorder/start_episode')
    n = 3
    for i in range(n):
        for pub, cls in pubs.values():
            pub.publish(sample_message(cls, i))
    for topic in pubs:
        recorded(ros, rec, topic, n)
    trigger(ros, 'recorder/stop_episode')
    (mcap,) = (tmp_path / 's' / 'episode_0000').glob('*.mcap')
    got: dict[str, list] = {}
    for topic, _t, decoded in mcap_messages(mcap):
        got.setdefault(topic, []).append(decoded)
    assert set(got) == set(pubs)
    for topic, (_pub, cls) in pubs.items():
        assert len(got[topic]) == n, topic
    assert got[f'{ros.ns}/scan'][2].ranges[0] == pytest.approx(2.5)
    assert bytes(got[f'{ros.ns}/camera/image_raw'][1].data) == bytes(image(1).data)
    assert got[f'{ros.ns}/odom'][2].pose.pose.position.x == 2.0
    assert got[f'{ros.ns}/episode'][1].status[0].values[0].value == '1'
    assert [m.data for m in got[f'{ros.ns}/instruction']] == [f'instruction {i}' for i in range(n)]
    assert embedded_metadata(mcap) == yaml_metadata(mcap.parent)


def test_crashed_episode_is_recovered_at_next_start(ros, tmp_path):
    rec = make_recorder(ros, tmp_path, topics=['scan:sensor_msgs/msg/LaserScan'])
    pub_instr = ros.helper.create_publisher(String, 'instruction', LATCHED)
    pub = ros.helper.create_publisher(LaserScan, 'scan', RELIABLE)
    ros.wait_matched(pub, 1)
    pub_instr.publish(String(data='go to the red pillar'))
    ros.spin_until(lambda: rec.book.instruction_text == 'go to the red pillar', what='instruction')
    trigger(ros, 'recorder/start_episode')
    for i in range(10):
        pub.publish(scan(i))
    recorded(ros, rec, f'{ros.ns}/scan', 10)
    # the instruction changes mid-episode: stop_episode would take the new one, so must a
    # recovery
    pub_instr.publish(String(data='go to the blue pillar'))
    ros.spin_until(lambda: rec.book.instruction_text == 'go to the blue pillar', what='new one')
    flushes = rec.book.active.writer.flushes
    ros.spin_until(lambda: rec.book.active.writer.flushes > flushes, what='a timer flush')
    # what SIGKILL leaves: the file as flushed, no index, no metadata.yaml
    rec.book.active.writer.abort()
    rec.book.active = None
    ep = tmp_path / 's' / 'episode_0000'
    assert not (ep / 'metadata.yaml').exists()
    rec2 = make_recorder(ros, tmp_path, session='s2')
    assert rec2.recovered == [ep]
    custom = read_custom_data(ep)
    assert custom['outcome'] == 'crashed'
    assert custom['instruction'] == 'go to the blue pillar'
    assert (custom['episode'], custom['session']) == ('0', 's')
    got, _ = read_bag(ep)
    assert same_content(got[f'{ros.ns}/scan'], [scan(i) for i in range(10)], LaserScan)
    diag = ros.diagnostics(rec2, cond=lambda d: 'episodes_recovered' in d)
    assert diag['episodes_recovered'] == '1'


def test_discovers_types_and_adapts_qos(ros, tmp_path):
    # untyped entry (type from the graph), a best-effort publisher on a typed entry,
    # and a publisher whose type differs from the configured one.
    rec = make_recorder(
        ros,
        tmp_path,
        topics=[
            'chatter',
            'scan:sensor_msgs/msg/LaserScan',
            'teleop/cmd_vel:geometry_msgs/msg/TwistStamped',
        ],
        discovery_period_s=0.1,
    )
    ns = ros.ns
    h = ros.helper
    pub_chat = h.create_publisher(String, 'chatter', RELIABLE)
    pub_scan = h.create_publisher(
        LaserScan, 'scan', QoSProfile(depth=10, reliability=ReliabilityPolicy.BEST_EFFORT)
    )
    # another process in real life: one DDS participant cannot hold two types of a topic
    ctx = rclpy.Context()
    rclpy.init(context=ctx)
    other = rclpy.create_node('joy_teleop', namespace=ns, context=ctx)
    try:
        pub_teleop = other.create_publisher(Twist, 'teleop/cmd_vel', RELIABLE)
        _record_discovered(ros, rec, ns, pub_chat, pub_scan, pub_teleop, tmp_path)
    finally:
        other.destroy_node()
        rclpy.shutdown(context=ctx)


def _record_discovered(ros, rec, ns, pub_chat, pub_scan, pub_teleop, tmp_path):
    """Second half of test_discovers_types_and_adapts_qos, run while the publishers live."""
    ros.spin_until(lambda: rec.topics[f'{ns}/chatter'].sub is not None, what='chatter type')
    ros.spin_until(lambda: not rec.topics[f'{ns}/scan'].reliable, what='best effort scan')
    ros.spin_until(
        lambda: rec.topics[f'{ns}/teleop/cmd_vel'].msgtype == 'geometry_msgs/msg/Twist',
        what='Twist teleop',
    )
    for pub in (pub_chat, pub_scan, pub_teleop):
        ros.wait_matched(pub)
    trigger(ros, 'recorder/start_episode')
    msgs = {
        f'{ns}/chatter': String(data='hello'),
        f'{ns}/scan': scan(1),
        f'{ns}/teleop/cmd_vel': Twist(),
    }
    pub_chat.publish(msgs[f'{ns}/chatter'])
    pub_teleop.publish(msgs[f'{ns}/teleop/cmd_vel'])
    recorded(ros, rec, f'{ns}/chatter', 1)
    recorded(ros, rec, f'{ns}/teleop/cmd_vel', 1)

    def scan_arrived():  # best effort: publish until one arrives
        pub_scan.publish(msgs[f'{ns}/scan'])
        ros.spin_for(0.05)
        return rec.diag.counters.get(f'recorded {ns}/scan', 0) >= 1

    ros.spin_until(scan_arrived, what='best-effort scan recorded')
    trigger(ros, 'recorder/stop_episode')
    got, types = read_bag(tmp_path / 's' / 'episode_0000')
    for topic, msg in msgs.items():
        assert same_content(got[topic][:1], [msg], type(msg)), topic
    assert types[f'{ns}/chatter'] == 'std_msgs/msg/String'
    assert types[f'{ns}/teleop/cmd_vel'] == 'geometry_msgs/msg/Twist'
    with Reader(tmp_path / 's' / 'episode_0000') as reader:
        qos = {c.topic: c.ext.offered_qos_profiles for c in reader.connections}
    assert qos[f'{ns}/scan'][0].reliability.name == 'BEST_EFFORT'
