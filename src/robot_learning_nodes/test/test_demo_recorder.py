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

from geometry_msgs.msg import Twist, TwistStamped
import numpy as np
import pytest
import rclpy
from rclpy.parameter import Parameter
from rclpy.qos import DurabilityPolicy, QoSProfile, ReliabilityPolicy
from rclpy.serialization import deserialize_message, serialize_message
from robot_learning.data.bagwriter import read_custom_data
from robot_learning_nodes.demo_recorder import DemoRecorder, parse_topic_entry
from rosbags.rosbag2 import Reader
from sensor_msgs.msg import Image, LaserScan
from std_msgs.msg import String
from std_srvs.srv import SetBool, Trigger

RELIABLE = QoSProfile(depth=100, reliability=ReliabilityPolicy.RELIABLE)
LATCHED = QoSProfile(
    depth=1, reliability=ReliabilityPolicy.RELIABLE, durability=DurabilityPolicy.TRANSIENT_LOCAL
)


def make_recorder(ros, tmp_path, **params) -> DemoRecorder:
    overrides = [Parameter('output_dir', value=str(tmp_path)), Parameter('session', value='s')]
    overrides += [Parameter(k, value=v) for k, v in params.items()]
    return ros.add(DemoRecorder(namespace=ros.ns, parameter_overrides=overrides))


def scan(i: int) -> LaserScan:
    msg = LaserScan()
    msg.header.stamp.sec = i
    msg.header.frame_id = 'base_scan'
    msg.range_min, msg.range_max = 0.125, 10.0  # float32-exact: compared after a round trip
    msg.ranges = np.linspace(0.5, 5.0, 360, dtype=np.float32) + i
    return msg


def image(i: int) -> Image:
    msg = Image()
    msg.header.stamp.sec = i
    msg.height, msg.width, msg.encoding, msg.step = 48, 64, 'rgb8', 192
    msg.data = np.full(48 * 64 * 3, i % 256, np.uint8).tobytes()
    return msg


def twist_stamped(i: int) -> TwistStamped:
    msg = TwistStamped()
    msg.header.stamp.sec = i
    msg.twist.linear.x = 0.1 * i
    return msg


def tap(ros, msg_type, topic, qos=RELIABLE) -> list[bytes]:
    """Raw subscription on the test side: the bytes the middleware delivers."""
    got: list[bytes] = []
    ros.helper.create_subscription(msg_type, topic, got.append, qos, raw=True)
    return got


def same_content(raws: list[bytes], msgs: list, msg_type) -> bool:
    """Bag bytes decode to the published messages (and have their serialized size)."""
    return [deserialize_message(r, msg_type) for r in raws] == msgs and [len(r) for r in raws] == [
        len(serialize_message(m)) for m in msgs
    ]


def read_bag(path):
    """{topic: [raw bytes, ...]} and {topic: type} of a bag directory."""
    out: dict[str, list[bytes]] = {}
    with Reader(path) as reader:
        types = {c.topic: c.msgtype for c in reader.connections}
        stamps = []
        for conn, t, raw in reader.messages():
            out.setdefault(conn.topic, []).append(bytes(raw))
            stamps.append(t)
    assert stamps == sorted(stamps)
    return out, types


def recorded(ros, rec, topic, n):
    """Wait until the recorder has written ``n`` messages on ``topic`` (absolute)."""
    key = f'recorded {topic}'
    ros.spin_until(
        lambda: rec.diag.counters.get(key, 0) >= n,
        timeout=15.0,
        what=f'{n} messages recorded on {topic}',
    )


def trigger(ros, name) -> Trigger.Response:
    resp = ros.call(Trigger, name)
    assert resp.success, resp.message
    return resp


def set_success(ros, value: bool) -> SetBool.Response:
    resp = ros.call(SetBool, 'recorder/set_success', SetBool.Request(data=value))
    assert resp.success, resp.message
    return resp


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


def mcap_messages(path):
    """(topic, log_time, decoded) of every message, decoded by mcap_ros2 (not rosbags)."""
    from mcap.reader import make_reader
    from mcap_ros2.decoder import DecoderFactory

    with open(path, 'rb') as f:
        reader = make_reader(f, decoder_factories=[DecoderFactory()])
        return [
            (channel.topic, message.log_time, decoded)
            for _s, channel, message, decoded in reader.iter_decoded_messages()
        ]


def embedded_metadata(path) -> dict:
    from mcap.reader import make_reader
    from ruamel.yaml import YAML

    with open(path, 'rb') as f:
        meta = {m.name: m.metadata for m in make_reader(f).iter_metadata()}
    return YAML(typ='safe').load(meta['rosbag2']['serialized_metadata'])


def yaml_metadata(bag) -> dict:
    from ruamel.yaml import YAML

    doc = YAML(typ='safe').load((bag / 'metadata.yaml').read_text())
    return doc['rosbag2_bagfile_information']


def sample_message(cls, i: int):
    """Build a message of any default-topic type with a few fields that identify ``i``."""
    from diagnostic_msgs.msg import DiagnosticArray, DiagnosticStatus, KeyValue
    from geometry_msgs.msg import Pose, PoseArray
    from nav_msgs.msg import Odometry
    from std_msgs.msg import Bool

    if cls is Image:
        return image(i)
    if cls is LaserScan:
        return scan(i)
    if cls is TwistStamped:
        return twist_stamped(i)
    if cls is Twist:
        return Twist(linear=twist_stamped(i).twist.linear)
    if cls is String:
        return String(data=f'instruction {i}')
    if cls is Bool:
        return Bool(data=bool(i % 2))
    if cls is Odometry:
        msg = Odometry()
        msg.header.frame_id, msg.child_frame_id = 'odom', 'base_link'
        msg.pose.pose.position.x = float(i)
        return msg
    if cls is PoseArray:
        msg = PoseArray()
        msg.poses = [Pose() for _ in range(i % 3 + 1)]
        msg.poses[0].position.y = float(i)
        return msg
    if cls is DiagnosticArray:
        st = DiagnosticStatus(name='episode', values=[KeyValue(key='step', value=str(i))])
        return DiagnosticArray(status=[st])
    raise AssertionError(f'no sample for {cls}')


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


def test_records_raw_bytes_per_episode_sqlite3(ros, tmp_path):
    run_episodes(ros, tmp_path, 'sqlite3')
    assert list((tmp_path / 's' / 'episode_0000').glob('*.db3'))


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
