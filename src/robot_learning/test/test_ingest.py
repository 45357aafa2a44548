# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 robot_learning maintainers
"""Unit tests of robot_learning.data.ingest (no ROS)."""

from __future__ import annotations

import array
import math
import time
from types import SimpleNamespace as NS

import cv2
import numpy as np
import pytest
from robot_learning.data.ingest import (
    ANGLE_TOL,
    compressed_msg_to_rgb,
    depth_to_u8,
    image_msg_to_rgb,
    image_to_array,
    pointcloud_msg_to_xyz,
    points_to_sectors,
    resize_rgb,
    scan_all_invalid,
    scan_to_sectors,
    sector_angles,
)
from robot_learning.errors import ConfigError, MessageError

FLOAT32, UINT8, FLOAT64 = 7, 2, 8


def smooth_bgr(h=480, w=640):
    """Make a smooth colour image (jpeg-friendly) in BGR order."""
    y, x = np.mgrid[0:h, 0:w].astype(np.float32)
    b = 127 + 100 * np.sin(x / 37.0)
    g = 127 + 100 * np.cos(y / 29.0)
    r = (x + y) * 255.0 / (h + w)
    return np.stack([b, g, r], axis=2).astype(np.uint8)


def image_msg(
    arr: np.ndarray, encoding: str, pad: int = 0, bigendian: bool = False, as_array: bool = False
):
    h, w = arr.shape[:2]
    dt = arr.dtype.newbyteorder('>' if bigendian else '<')
    rows = np.ascontiguousarray(arr.astype(dt)).reshape(h, -1).view(np.uint8)
    rows = np.concatenate([rows, np.full((h, pad), 0xAB, np.uint8)], axis=1)
    data = rows.tobytes()
    if as_array:  # as in an rclpy message
        data = array.array('B', data)
    return NS(
        height=h,
        width=w,
        encoding=encoding,
        step=rows.shape[1],
        is_bigendian=int(bigendian),
        data=data,
    )


# ------------------------------------------------------------------ images


@pytest.mark.parametrize('pad', [0, 7])
@pytest.mark.parametrize('as_array', [False, True])
def test_bgr8_to_rgb_and_resize_match_cv2(pad, as_array):
    bgr = smooth_bgr()
    msg = image_msg(bgr, 'bgr8', pad=pad, as_array=as_array)
    rgb = image_msg_to_rgb(msg)
    assert rgb.dtype == np.uint8 and rgb.shape == (480, 640, 3)
    np.testing.assert_array_equal(rgb, bgr[:, :, ::-1])
    small = resize_rgb(rgb, 64, 64)
    ref = cv2.resize(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB), (64, 64), interpolation=cv2.INTER_AREA)
    np.testing.assert_array_equal(small, ref)


def test_rgb8_rosbags_style_ndarray_data():
    rgb = smooth_bgr(10, 12)
    msg = image_msg(rgb, 'rgb8')
    msg.data = np.frombuffer(msg.data, np.uint8).copy()  # rosbags: np.ndarray uint8
    np.testing.assert_array_equal(image_msg_to_rgb(msg), rgb)


def test_mono8_replicated():
    gray = (np.arange(20 * 30) % 256).astype(np.uint8).reshape(20, 30)
    out = image_msg_to_rgb(image_msg(gray, 'mono8', pad=2))
    assert out.shape == (20, 30, 3)
    for c in range(3):
        np.testing.assert_array_equal(out[:, :, c], gray)


@pytest.mark.parametrize('bigendian', [False, True])
def test_16uc1_depth_mm(bigendian):
    depth = np.array([[0, 1000, 5000, 10000, 20000]], np.uint16)  # mm; 0 = no data
    msg = image_msg(depth, '16UC1', pad=2, bigendian=bigendian)
    np.testing.assert_array_equal(
        image_to_array(msg.data, 1, 5, '16UC1', msg.step, bigendian)[:, :, 0], depth
    )
    out = image_msg_to_rgb(msg, depth_range=(0.0, 10.0))
    assert out.shape == (1, 5, 3)
    # near is bright, far / no data is dark, linear in between.
    np.testing.assert_array_equal(out[0, :, 0], [0, 230, 128, 0, 0])
    assert (out[..., 0] == out[..., 1]).all() and (out[..., 0] == out[..., 2]).all()


@pytest.mark.parametrize('bigendian', [False, True])
def test_32fc1_depth_m(bigendian):
    depth = np.array([[np.nan, np.inf, -np.inf, 0.5, 1.5, 2.5]], np.float32)
    out = image_msg_to_rgb(image_msg(depth, '32FC1', bigendian=bigendian), depth_range=(0.5, 2.5))
    np.testing.assert_array_equal(out[0, :, 0], [0, 0, 255, 255, 128, 0])


def test_depth_to_u8_rejects_bad_range():
    with pytest.raises(ConfigError):
        depth_to_u8(np.zeros(3), (2.0, 1.0))


def test_jpeg_and_png_compressed():
    bgr = smooth_bgr()
    ref = cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
    ok, jpg = cv2.imencode('.jpg', bgr, [cv2.IMWRITE_JPEG_QUALITY, 90])
    assert ok
    for fmt in ('jpeg', 'rgb8; jpeg compressed bgr8'):
        out = compressed_msg_to_rgb(NS(format=fmt, data=array.array('B', jpg.tobytes())))
        assert out.shape == (480, 640, 3) and out.dtype == np.uint8
        assert np.abs(out.astype(int) - ref).mean() < 3.0
    ok, png = cv2.imencode('.png', bgr)
    out = compressed_msg_to_rgb(NS(format='png', data=png.reshape(-1)))
    np.testing.assert_array_equal(out, ref)
    ok, png = cv2.imencode('.png', bgr[:, :, 0])  # mono png
    out = compressed_msg_to_rgb(NS(format='mono8; png compressed mono8', data=png.tobytes()))
    np.testing.assert_array_equal(out[:, :, 1], bgr[:, :, 0])


def test_16bit_png_depth():
    depth = np.array([[0, 2500, 5000]], np.uint16)
    ok, png = cv2.imencode('.png', depth)
    out = compressed_msg_to_rgb(
        NS(format='16UC1; png compressed', data=png.tobytes()), depth_range=(0.0, 5.0)
    )
    np.testing.assert_array_equal(out[0, :, 0], [0, 128, 0])


@pytest.mark.parametrize(
    'kwargs, match',
    [
        (
            {'data': bytes(1000)},
            r'^Image data has 1000 bytes, expected 921600 \(step 1920 x ' r'height 480\)$',
        ),
        ({'step': 100}, r'step 100 is smaller than width 640'),
        ({'encoding': 'yuv422'}, r"encoding 'yuv422' is not supported"),
        ({'width': 0}, r'empty'),
    ],
)
def test_malformed_image_raises_one_line(kwargs, match):
    fields = {
        'height': 480,
        'width': 640,
        'encoding': 'bgr8',
        'step': 1920,
        'is_bigendian': 0,
        'data': bytes(921600),
    }
    fields.update(kwargs)
    with pytest.raises(MessageError, match=match) as err:
        image_msg_to_rgb(NS(**fields))
    assert '\n' not in str(err.value)


def test_undecodable_compressed_raises():
    with pytest.raises(MessageError, match='cannot be decoded'):
        compressed_msg_to_rgb(NS(format='jpeg', data=b'not a jpeg at all'))
    with pytest.raises(MessageError, match='no data'):
        compressed_msg_to_rgb(NS(format='jpeg', data=b''))
    with pytest.raises(MessageError, match='compressedDepth'):
        compressed_msg_to_rgb(NS(format='16UC1; compressedDepth png', data=b'x' * 20))


def test_resize_rgb_validates_and_keeps_same_size():
    img = np.zeros((8, 8, 3), np.uint8)
    assert resize_rgb(img, 8, 8) is img
    with pytest.raises(ConfigError):
        resize_rgb(img, 0, 8)


# ------------------------------------------------------------------ scans

INC = 2 * math.pi / 360


def test_scan_rep117_values():
    r = np.full(360, 5.0, np.float32)
    r[0:15] = np.nan  # sector 0: only NaN -> range_max
    r[15] = np.inf  # sector 1: +inf counts as range_max, min is 5.0
    r[30] = -np.inf  # sector 2: too close -> range_min
    r[45] = 0.01  # sector 3: below range_min -> range_min
    r[60] = 50.0  # sector 4: above range_max -> range_max; min 5.0
    r[75:90] = np.inf  # sector 5: all +inf -> range_max
    r[90] = 1.25  # sector 6: plain minimum
    r[359] = 0.5  # sector 23
    out = scan_to_sectors(r, -math.pi, INC, 0.1, 10.0, 24)
    assert out.dtype == np.float32 and out.shape == (24,)
    assert np.isfinite(out).all()
    expected = np.full(24, 5.0, np.float32)
    expected[[0, 5]] = 10.0
    expected[[2, 3]] = 0.1
    expected[6], expected[23] = 1.25, 0.5
    np.testing.assert_allclose(out, expected)


def test_scan_float32_angles_keep_boundary_rays_in_their_sector():
    # LaserScan angles are float32: float32(-pi) is slightly below -pi, and the rays that
    # should open a sector sit a hair before its boundary. They must not shift a sector.
    amin, inc = float(np.float32(-math.pi)), float(np.float32(INC))
    for k in range(24):
        r = np.full(360, np.inf, np.float32)
        r[15 * k] = 1.0
        out = scan_to_sectors(r, amin, inc, 0.1, 10.0, 24)
        assert out[k] == 1.0 and (np.delete(out, k) == 10.0).all(), k


def test_scan_discard_below_min():
    r = np.full(360, np.inf, np.float32)
    r[45] = 0.0
    out = scan_to_sectors(r, -math.pi, INC, 0.1, 10.0, 24, discard_below_min=True)
    assert out[3] == pytest.approx(10.0)


def test_scan_wraps_angles_and_clockwise():
    # 0..2pi scan: ray at angle pi + 0.01 lies in sector 0 of the -pi..pi layout.
    r = np.full(360, np.inf, np.float32)
    r[181] = 2.0
    out = scan_to_sectors(r, 0.0, INC, 0.1, 10.0, 24)
    assert out[0] == pytest.approx(2.0) and (out[1:] == 10.0).all()
    # clockwise scan (negative increment) starting at +pi - inc/2
    r = np.full(360, np.inf, np.float32)
    r[0] = 3.0  # angle just below +pi -> last sector
    out = scan_to_sectors(r, math.pi - INC / 2, -INC, 0.1, 10.0, 24)
    assert out[23] == pytest.approx(3.0) and (out[:23] == 10.0).all()


def test_scan_partial_fov_and_short_scan():
    # 180-degree scan (-90..90 deg); sectors cover only -45..45 deg: the rays outside
    # (set closer) are ignored.
    r = np.full(181, 1.0, np.float32)
    r[:45] = r[136:] = 0.5
    out = scan_to_sectors(
        r, -math.pi / 2, math.pi / 180, 0.1, 10.0, 4, fov_min=-math.pi / 4, fov_max=math.pi / 4
    )
    np.testing.assert_allclose(out, 1.0)
    # sparse scan: 8 rays over 360 deg into 24 sectors -> empty sectors get range_max
    out = scan_to_sectors(np.ones(8), -math.pi, math.pi / 4, 0.1, 10.0, 24)
    assert (out[::3] == 1.0).all() and (np.delete(out, range(0, 24, 3)) == 10.0).all()


def test_scan_all_nan_is_valid_but_flagged():
    r = array.array('f', [math.nan] * 360)
    out = scan_to_sectors(r, -math.pi, INC, 0.1, 10.0, 24)
    assert (out == 10.0).all()
    assert scan_all_invalid(r)
    assert not scan_all_invalid(np.full(360, np.inf))
    assert not scan_all_invalid([])


def test_scan_errors():
    with pytest.raises(MessageError, match='angle_increment'):
        scan_to_sectors(np.ones(10), 0.0, 0.0, 0.1, 10.0, 4)
    with pytest.raises(MessageError, match='range limits'):
        scan_to_sectors(np.ones(10), 0.0, 0.1, 5.0, 1.0, 4)
    with pytest.raises(MessageError, match='range limits'):
        scan_to_sectors(np.ones(10), 0.0, 0.1, 0.1, math.inf, 4)
    with pytest.raises(ConfigError):
        scan_to_sectors(np.ones(10), 0.0, 0.1, 0.1, 10.0, 0)


def test_scan_matches_bruteforce_on_random_scans():
    rng = np.random.default_rng(0)
    for _ in range(20):
        n = int(rng.integers(10, 1000))
        amin = float(rng.uniform(-4, 4))
        inc = float(rng.choice([-1, 1]) * rng.uniform(0.001, 0.05))
        r = rng.uniform(0.0, 12.0, n).astype(np.float32)
        r[rng.random(n) < 0.1] = np.nan
        r[rng.random(n) < 0.1] = np.inf
        out = scan_to_sectors(r, amin, inc, 0.2, 10.0, 16)
        expected = np.full(16, 10.0, np.float32)
        for i in range(n):
            if np.isnan(r[i]):
                continue
            a = (amin + i * inc + math.pi + ANGLE_TOL) % (2 * math.pi)
            k = int(a // (2 * math.pi / 16)) % 16
            expected[k] = min(expected[k], min(max(r[i], 0.2), 10.0))
        np.testing.assert_allclose(out, expected)


def test_scan_speed():
    r = array.array('f', np.random.default_rng(1).uniform(0, 12, 360).astype(np.float32))
    scan_to_sectors(r, -math.pi, INC, 0.1, 10.0, 24)
    n = 2000
    t0 = time.perf_counter()
    for _ in range(n):
        scan_to_sectors(r, -math.pi, INC, 0.1, 10.0, 24)
    per = (time.perf_counter() - t0) / n
    assert per < 200e-6, f'{per * 1e6:.1f} us per scan'  # ~7 us measured; CI slack


def test_sector_angles():
    amin, inc = sector_angles(24)
    assert amin == pytest.approx(-math.pi) and inc == pytest.approx(2 * math.pi / 24)


# ------------------------------------------------------------------ point clouds


def cloud(
    points: np.ndarray,
    layout: list[tuple[str, int, int]],
    point_step: int,
    row_pad: int = 0,
    height: int = 1,
    bigendian: bool = False,
):
    """Build a PointCloud2-like object. layout: (name, offset, datatype)."""
    n = points.shape[0]
    width = n // height
    row_step = point_step * width + row_pad
    buf = np.full((height, row_step), 0xCD, np.uint8)
    order = '>' if bigendian else '<'
    for name, off, dt in layout:
        col = 'xyz'.index(name) if name in 'xyz' else None
        size = {FLOAT32: 4, UINT8: 1, FLOAT64: 8}[dt]
        np_dt = {FLOAT32: order + 'f4', UINT8: 'u1', FLOAT64: order + 'f8'}[dt]
        vals = (points[:, col] if col is not None else np.arange(n)).astype(np_dt)
        raw = vals.view(np.uint8).reshape(height, width, size)
        for j in range(width):
            buf[:, j * point_step + off: j * point_step + off + size] = raw[:, j]
    fields = [NS(name=nm, offset=off, datatype=dt, count=1) for nm, off, dt in layout]
    return NS(
        height=height,
        width=width,
        fields=fields,
        is_bigendian=bigendian,
        point_step=point_step,
        row_step=row_step,
        data=array.array('B', buf.tobytes()),
        is_dense=False,
    )


PTS = np.array(
    [
        [1.0, 0.0, 0.1],
        [0.0, 2.0, 0.0],
        [-3.0, 0.0, 0.2],
        [0.0, -4.0, -0.1],
        [np.nan, np.nan, np.nan],
        [0.5, 0.5, 0.0],
    ],
    np.float32,
)


@pytest.mark.parametrize(
    'layout, step, pad, height, big',
    [
        ([('x', 0, FLOAT32), ('y', 4, FLOAT32), ('z', 8, FLOAT32)], 12, 0, 1, False),
        # x,y,z,padding,intensity like velodyne / ouster (point_step 32)
        (
            [('x', 0, FLOAT32), ('y', 4, FLOAT32), ('z', 8, FLOAT32), ('intensity', 16, FLOAT32)],
            32,
            0,
            1,
            False,
        ),
        # reordered with other fields in between, padded rows, organized 2x3, big endian
        (
            [
                ('intensity', 0, UINT8),
                ('z', 1, FLOAT32),
                ('t', 5, FLOAT64),
                ('y', 13, FLOAT32),
                ('x', 20, FLOAT32),
            ],
            27,
            5,
            2,
            False,
        ),
        ([('x', 4, FLOAT32), ('y', 8, FLOAT32), ('z', 12, FLOAT32)], 16, 3, 3, True),
    ],
)
def test_pointcloud_layouts(layout, step, pad, height, big):
    xyz = pointcloud_msg_to_xyz(cloud(PTS, layout, step, pad, height, big))
    assert xyz.dtype == np.float32 and xyz.shape == (6, 3)
    np.testing.assert_array_equal(xyz, PTS)


def test_pointcloud_ndarray_data():
    msg = cloud(PTS, [('x', 0, FLOAT32), ('y', 4, FLOAT32), ('z', 8, FLOAT32)], 12)
    msg.data = np.frombuffer(msg.data, np.uint8).copy()
    np.testing.assert_array_equal(pointcloud_msg_to_xyz(msg), PTS)


def test_pointcloud_errors():
    good = [('x', 0, FLOAT32), ('y', 4, FLOAT32), ('z', 8, FLOAT32)]
    with pytest.raises(MessageError, match="no 'z' field"):
        pointcloud_msg_to_xyz(cloud(PTS, good[:2], 12))
    with pytest.raises(MessageError, match="'y' is FLOAT64, expected FLOAT32"):
        pointcloud_msg_to_xyz(
            cloud(PTS, [('x', 0, FLOAT32), ('y', 4, FLOAT64), ('z', 12, FLOAT32)], 16)
        )
    msg = cloud(PTS, good, 12)
    msg.data = msg.data[:-1]
    with pytest.raises(MessageError, match='has 71 bytes, expected 72'):
        pointcloud_msg_to_xyz(msg)
    msg = cloud(PTS, good, 12)
    msg.point_step = 10
    with pytest.raises(MessageError, match='does not fit in point_step 10'):
        pointcloud_msg_to_xyz(msg)


def test_points_to_sectors():
    out = points_to_sectors(PTS, 4, 0.1, 10.0, -0.5, 0.5)
    # sectors of 90 deg from -pi: [-pi,-pi/2) [-pi/2,0) [0,pi/2) [pi/2,pi)
    # (1,0)->sector 2 r=1; (0,2)->angle pi/2 -> sector 3 r=2; (-3,0)->angle pi -> sector 0;
    # (0,-4)->angle -pi/2 -> sector 1; (0.5,0.5)->sector 2 r=0.707
    np.testing.assert_allclose(out, [3.0, 4.0, math.hypot(0.5, 0.5), 2.0], rtol=1e-6)
    # z filter drops z=0.2 and 0.1; range filter drops r < 1.0 and r > 3.5
    out = points_to_sectors(PTS, 4, 1.0, 3.5, -0.5, 0.05)
    np.testing.assert_allclose(out, [3.5, 3.5, 3.5, 2.0])
    assert (points_to_sectors(np.zeros((0, 3)), 8, 0.1, 5.0, -1, 1) == 5.0).all()
    with pytest.raises(MessageError):
        points_to_sectors(np.zeros((3, 2)), 8, 0.1, 5.0, -1, 1)
