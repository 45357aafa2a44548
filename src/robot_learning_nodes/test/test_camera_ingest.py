# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 robot_learning maintainers
"""camera_ingest over real topics: conversions, malformed input, diagnostics."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from rclpy.parameter import Parameter
from robot_learning_nodes.camera_ingest import CameraIngest
from sensor_msgs.msg import CompressedImage, Image


def smooth_bgr(h=480, w=640):
    y, x = np.mgrid[0:h, 0:w].astype(np.float32)
    b = 127 + 100 * np.sin(x / 37.0)
    g = 127 + 100 * np.cos(y / 29.0)
    r = (x + y) * 255.0 / (h + w)
    return np.stack([b, g, r], axis=2).astype(np.uint8)


def raw_image(arr: np.ndarray, encoding: str, stamp_sec: int, frame='camera') -> Image:
    msg = Image()
    msg.header.stamp.sec = stamp_sec
    msg.header.frame_id = frame
    msg.height, msg.width = arr.shape[:2]
    msg.encoding = encoding
    msg.step = arr.strides[0]
    msg.data = np.ascontiguousarray(arr).tobytes()
    return msg


@pytest.fixture
def cam(ros):
    node = ros.add(CameraIngest(namespace=ros.ns))
    out = ros.collect(Image, 'observation/image')
    pub_raw = ros.helper.create_publisher(Image, 'image', 10)
    pub_jpg = ros.helper.create_publisher(CompressedImage, 'image/compressed', 10)
    ros.wait_matched(pub_raw)
    ros.wait_matched(pub_jpg)
    ros.spin_until(lambda: node.pub.get_subscription_count() > 0, what='output matched')
    return node, out, pub_raw, pub_jpg


def send(ros, pub, msg, out, stamp_sec):
    return ros.send_until_output(pub, msg, out, stamp_sec)


def as_array(msg: Image) -> np.ndarray:
    assert msg.encoding == 'rgb8' and msg.step == msg.width * 3
    return np.frombuffer(bytes(msg.data), np.uint8).reshape(msg.height, msg.width, 3)


def test_bgr8_becomes_64x64_rgb(ros, cam):
    node, out, pub_raw, _ = cam
    bgr = smooth_bgr()
    got = send(ros, pub_raw, raw_image(bgr, 'bgr8', 11), out, 11)
    ref = cv2.resize(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB), (64, 64), interpolation=cv2.INTER_AREA)
    assert (got.height, got.width) == (64, 64)
    assert got.header.frame_id == 'camera'
    np.testing.assert_array_equal(as_array(got), ref)
    diag = ros.diagnostics(node, cond=lambda d: int(d.get('frames', 0)) >= 1)
    assert diag['_level'] == '0'


def test_jpeg_becomes_64x64_rgb(ros, cam):
    node, out, _, pub_jpg = cam
    bgr = smooth_bgr()
    ok, jpg = cv2.imencode('.jpg', bgr, [cv2.IMWRITE_JPEG_QUALITY, 90])
    msg = CompressedImage()
    msg.header.stamp.sec = 12
    msg.format = 'rgb8; jpeg compressed bgr8'
    msg.data = jpg.tobytes()
    got = send(ros, pub_jpg, msg, out, 12)
    ref = cv2.resize(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB), (64, 64), interpolation=cv2.INTER_AREA)
    diff = np.abs(as_array(got).astype(int) - ref.astype(int))
    assert diff.mean() < 2.0 and diff.max() < 20


def test_mono8_and_16uc1(ros, cam):
    _, out, pub_raw, _ = cam
    gray = np.tile(np.arange(128, dtype=np.uint8) * 2, (96, 1))
    got = as_array(send(ros, pub_raw, raw_image(gray, 'mono8', 13), out, 13))
    ref = cv2.resize(gray, (64, 64), interpolation=cv2.INTER_AREA)
    for c in range(3):
        np.testing.assert_array_equal(got[:, :, c], ref)
    depth = np.full((48, 64), 5000, np.uint16)  # 5 m of the default 0..10 m range
    got = as_array(send(ros, pub_raw, raw_image(depth, '16UC1', 14), out, 14))
    assert (got == 128).all()


def test_malformed_inputs_are_counted_and_node_keeps_running(ros, cam):
    node, out, pub_raw, pub_jpg = cam
    bad = raw_image(smooth_bgr(), 'bgr8', 21)
    bad.data = bytes(1000)
    pub_raw.publish(bad)
    unknown = raw_image(smooth_bgr(8, 8), 'yuv422', 22)
    pub_raw.publish(unknown)
    junk = CompressedImage(format='jpeg', data=b'definitely not a jpeg')
    pub_jpg.publish(junk)
    diag = ros.diagnostics(
        node,
        cond=lambda d: int(d.get('error_image', 0)) >= 2
        and int(d.get('error_compressed', 0)) >= 1,
    )
    assert diag['_level'] == '1'  # WARN
    assert not [m for m in out if m.header.stamp.sec in (21, 22)]
    # a following good message is still converted
    got = send(ros, pub_raw, raw_image(smooth_bgr(), 'bgr8', 23), out, 23)
    assert (got.width, got.height) == (64, 64)


def test_output_size_parameter(ros):
    node = ros.add(
        CameraIngest(
            namespace=ros.ns,
            parameter_overrides=[Parameter('width', value=32), Parameter('height', value=24)],
        )
    )
    out = ros.collect(Image, 'observation/image')
    pub = ros.helper.create_publisher(Image, 'image', 10)
    ros.wait_matched(pub)
    ros.spin_until(lambda: node.pub.get_subscription_count() > 0, what='output matched')
    got = send(ros, pub, raw_image(smooth_bgr(), 'rgb8', 31), out, 31)
    assert (got.width, got.height, got.step, len(got.data)) == (32, 24, 96, 32 * 24 * 3)


def depth_image(metres: float, stamp_sec: int) -> Image:
    return raw_image(np.full((48, 64), metres, np.float32), '32FC1', stamp_sec)


def test_live_depth_range_and_refused_sets(ros, cam):
    node, out, pub_raw, _ = cam
    got = as_array(send(ros, pub_raw, depth_image(5.0, 41), out, 41))
    assert (got == 128).all()  # 5 m of the default 0..10 m
    (r,) = ros.set_params(node, depth_max=20.0)
    assert r.successful
    got = as_array(send(ros, pub_raw, depth_image(5.0, 42), out, 42))
    assert (got == 191).all()  # 5 m of 0..20 m: the new range is applied live
    # Out of the descriptor's range, or not above depth_min: refused, old range kept.
    (r,) = ros.set_params(node, depth_max=-1.0)
    assert not r.successful and 'out of range' in r.reason
    (r,) = ros.set_params(node, depth_min=30.0)
    assert not r.successful and 'depth_max' in r.reason
    assert node.get_parameter('depth_min').value == 0.0
    (r,) = ros.set_params(node, atomically=True, depth_min=30.0, depth_max=40.0)
    assert r.successful  # each checked against the other's new value
    assert node.depth_range == (30.0, 40.0)
    # The output size is fixed at start-up (consumers are built for it): refused with a reason.
    (r,) = ros.set_params(node, width=32)
    assert not r.successful and 'read-only' in r.reason
    got = as_array(send(ros, pub_raw, raw_image(smooth_bgr(), 'bgr8', 43), out, 43))
    assert got.shape == (64, 64, 3)


def test_out_of_range_size_at_start_is_config_error(ros):
    from robot_learning.errors import ConfigError

    with pytest.raises(ConfigError, match='width'):
        CameraIngest(namespace=ros.ns, parameter_overrides=[Parameter('width', value=0)])
    with pytest.raises(ConfigError, match='depth_max'):
        CameraIngest(namespace=ros.ns, parameter_overrides=[Parameter('depth_max', value=0.0)])


def test_diagnostics_warn_on_burst_then_ok(ros):
    node = ros.add(
        CameraIngest(
            namespace=ros.ns, parameter_overrides=[Parameter('diagnostics.window_s', value=1.0)]
        )
    )
    out = ros.collect(Image, 'observation/image')
    pub = ros.helper.create_publisher(Image, 'image', 10)
    ros.wait_matched(pub)
    ros.spin_until(lambda: node.pub.get_subscription_count() > 0, what='output matched')
    send(ros, pub, raw_image(smooth_bgr(), 'bgr8', 51), out, 51)
    bad = raw_image(smooth_bgr(8, 8), 'yuv422', 52)

    def counted(d):
        if int(d.get('error_image', 0)) >= 1:
            return True
        pub.publish(bad)  # sensor QoS is best effort: send again until one is counted
        return False

    d = ros.diagnostics(node, cond=counted)
    assert d['_names'] == 'camera_ingest: images'
    assert d['_level'] == '1' and 'yuv422' in d['_message']
    # No more errors: the window slides past the burst and the level is OK again.
    d = ros.diagnostics(node, cond=lambda d: d['_level'] == '0')
    assert int(d['error_image']) >= 1  # the total still shows it
