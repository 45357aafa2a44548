# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 robot_learning maintainers
"""lidar_ingest over real topics: REP-117 sectors, point clouds, malformed input."""

from __future__ import annotations

import math

import numpy as np
import pytest
from robot_learning_nodes.lidar_ingest import LidarIngest
from sensor_msgs.msg import LaserScan, PointCloud2, PointField


def scan_msg(ranges, stamp_sec: int) -> LaserScan:
    msg = LaserScan()
    msg.header.stamp.sec = stamp_sec
    msg.header.frame_id = 'base_scan'
    msg.angle_min = -math.pi
    msg.angle_increment = 2 * math.pi / len(ranges)
    msg.angle_max = msg.angle_min + (len(ranges) - 1) * msg.angle_increment
    msg.scan_time = 0.1
    msg.range_min, msg.range_max = 0.1, 10.0
    msg.ranges = np.asarray(ranges, np.float32)
    return msg


def cloud_msg(points: np.ndarray, stamp_sec: int, names=('x', 'y', 'z')) -> PointCloud2:
    """Cloud with a padding float and an intensity after x, y, z (point_step 20)."""
    msg = PointCloud2()
    msg.header.stamp.sec = stamp_sec
    msg.header.frame_id = 'lidar'
    n = len(points)
    buf = np.zeros((n, 5), np.float32)
    buf[:, :3] = points
    buf[:, 4] = 7.0
    msg.fields = [
        PointField(name=nm, offset=4 * i, datatype=PointField.FLOAT32, count=1)
        for i, nm in enumerate(names)
    ]
    msg.fields.append(
        PointField(name='intensity', offset=16, datatype=PointField.FLOAT32, count=1)
    )
    msg.height, msg.width = 1, n
    msg.point_step, msg.row_step = 20, 20 * n
    msg.is_dense = False
    msg.data = buf.tobytes()
    return msg


@pytest.fixture
def lidar(ros):
    node = ros.add(LidarIngest(namespace=ros.ns))
    out = ros.collect(LaserScan, 'observation/scan')
    pub_scan = ros.helper.create_publisher(LaserScan, 'scan', 10)
    pub_pts = ros.helper.create_publisher(PointCloud2, 'points', 10)
    ros.wait_matched(pub_scan)
    ros.wait_matched(pub_pts)
    ros.spin_until(lambda: node.pub.get_subscription_count() > 0, what='output matched')
    return node, out, pub_scan, pub_pts


def send(ros, pub, msg, out, stamp_sec):
    return ros.send_until_output(pub, msg, out, stamp_sec)


def test_scan_with_nan_inf_out_of_range_becomes_finite_sectors(ros, lidar):
    _, out, pub, _ = lidar
    r = np.full(360, 5.0, np.float32)
    r[0:15] = np.nan  # sector 0: no valid data -> range_max
    r[15] = np.inf  # sector 1: min stays 5
    r[30] = -np.inf  # sector 2: too close -> range_min
    r[45] = 0.05  # sector 3: below range_min -> range_min
    r[60] = 99.0  # sector 4: above range_max -> ignored, min 5
    r[90] = 2.5  # sector 6
    r[345] = 0.7  # sector 23
    got = send(ros, pub, scan_msg(r, 3), out, 3)
    ranges = np.array(got.ranges)
    expected = np.full(24, 5.0)
    expected[0] = 10.0
    expected[[2, 3]] = 0.1
    expected[6], expected[23] = 2.5, 0.7
    assert np.isfinite(ranges).all()
    np.testing.assert_allclose(ranges, expected, rtol=1e-6)
    assert got.header.frame_id == 'base_scan'
    assert got.angle_min == pytest.approx(-math.pi, abs=1e-6)
    assert got.angle_increment == pytest.approx(2 * math.pi / 24, abs=1e-6)
    assert (got.range_min, got.range_max) == pytest.approx((0.1, 10.0))


def test_point_cloud_becomes_sectors(ros, lidar):
    _, out, _, pub = lidar
    pts = np.array(
        [
            [2.0, 0.1, 0.0],  # ahead: sector 12 (angle ~0)
            [-1.0, -0.05, 0.0],  # behind: sector 0 (angle ~ -pi)
            [3.0, 0.0, 5.0],  # above z_max: dropped
            [np.nan, 0, 0],
        ],
        np.float32,
    )
    got = send(ros, pub, cloud_msg(pts, 4), out, 4)
    ranges = np.array(got.ranges)
    assert ranges[12] == pytest.approx(math.hypot(2.0, 0.1), rel=1e-6)
    assert ranges[0] == pytest.approx(math.hypot(1.0, 0.05), rel=1e-6)
    assert np.delete(ranges, [0, 12]) == pytest.approx(10.0)
    assert got.header.frame_id == 'lidar'


def test_malformed_and_all_nan_counted_node_keeps_running(ros, lidar):
    node, out, pub_scan, pub_pts = lidar
    # PointCloud2 without z
    pub_pts.publish(cloud_msg(np.ones((3, 3), np.float32), 41, names=('x', 'y', 'w')))
    # all-NaN scan: valid output (all range_max) but counted as a warning
    nan_scan = scan_msg(np.full(360, np.nan), 42)
    got = send(ros, pub_scan, nan_scan, out, 42)
    assert np.allclose(np.array(got.ranges), 10.0)
    # zero angle increment: cannot be converted
    bad = scan_msg(np.ones(360), 43)
    bad.angle_increment = 0.0
    pub_scan.publish(bad)
    diag = ros.diagnostics(
        node,
        cond=lambda d: int(d.get('error_points', 0)) >= 1
        and int(d.get('error_all_invalid', 0)) >= 1
        and int(d.get('error_scan', 0)) >= 1,
    )
    assert diag['_level'] == '1'
    assert not [m for m in out if m.header.stamp.sec in (41, 43)]
    # good messages after the bad ones are still converted
    got = send(ros, pub_scan, scan_msg(np.full(360, 3.0), 44), out, 44)
    assert np.allclose(np.array(got.ranges), 3.0)
    got = send(ros, pub_pts, cloud_msg(np.array([[1.0, 0.0, 0.0]], np.float32), 45), out, 45)
    assert np.array(got.ranges)[12] == pytest.approx(1.0)


def test_live_limits_and_refused_sets(ros, lidar):
    node, out, _, pub = lidar
    pts = np.array([[2.0, 0.0, 0.5]], np.float32)  # 2 m ahead, 0.5 m up
    got = send(ros, pub, cloud_msg(pts, 61), out, 61)
    assert np.array(got.ranges)[12] == pytest.approx(2.0)
    (r,) = ros.set_params(node, z_max=0.4)
    assert r.successful
    got = send(ros, pub, cloud_msg(pts, 62), out, 62)
    assert np.array(got.ranges)[12] == pytest.approx(10.0)  # the point is now above z_max
    (r,) = ros.set_params(node, range_max=5.0)
    assert r.successful
    got = send(ros, pub, cloud_msg(pts, 63), out, 63)
    assert got.range_max == pytest.approx(5.0) and np.array(got.ranges)[0] == pytest.approx(5.0)
    # Out of range, or inconsistent with another limit: refused, the old value kept.
    (r,) = ros.set_params(node, range_max=-2.0)
    assert not r.successful and 'out of range' in r.reason
    (r,) = ros.set_params(node, z_min=0.5)
    assert not r.successful and 'z_max' in r.reason
    assert node.z_min == pytest.approx(-0.3) and node.get_parameter('z_min').value == -0.3
    (r,) = ros.set_params(node, num_sectors=12)
    assert not r.successful and 'read-only' in r.reason
    got = send(ros, pub, cloud_msg(pts, 64), out, 64)
    assert len(got.ranges) == 24


def test_bad_start_values_are_config_errors(ros):
    from rclpy.parameter import Parameter
    from robot_learning.errors import ConfigError

    with pytest.raises(ConfigError, match='num_sectors'):
        LidarIngest(namespace=ros.ns, parameter_overrides=[Parameter('num_sectors', value=0)])
    with pytest.raises(ConfigError, match='range_max'):
        LidarIngest(namespace=ros.ns, parameter_overrides=[Parameter('range_max', value=0.05)])


def test_diagnostics_scans_task_clears_after_the_window(ros):
    from rclpy.parameter import Parameter

    node = ros.add(
        LidarIngest(
            namespace=ros.ns, parameter_overrides=[Parameter('diagnostics.window_s', value=1.0)]
        )
    )
    pub = ros.helper.create_publisher(LaserScan, 'scan', 10)
    ros.wait_matched(pub)
    bad = scan_msg(np.ones(360), 71)
    bad.angle_increment = 0.0

    def counted(d):
        if int(d.get('error_scan', 0)) >= 1:
            return True
        pub.publish(bad)  # sensor QoS is best effort: send again until one is counted
        return False

    d = ros.diagnostics(node, cond=counted)
    assert d['_names'] == 'lidar_ingest: scans' and d['_level'] == '1'
    d = ros.diagnostics(node, cond=lambda d: d['_level'] == '0')
    assert int(d['error_scan']) >= 1
