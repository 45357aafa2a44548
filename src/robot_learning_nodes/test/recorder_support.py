# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 robot_learning maintainers
"""Shared helpers of the demo_recorder tests: a recorder, sample messages, bag readers."""

from __future__ import annotations

from geometry_msgs.msg import Twist, TwistStamped
import numpy as np
from rclpy.parameter import Parameter
from rclpy.qos import DurabilityPolicy, QoSProfile, ReliabilityPolicy
from rclpy.serialization import deserialize_message, serialize_message
from robot_learning_nodes.demo_recorder import DemoRecorder
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
