# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 robot_learning maintainers
"""Benchmark of ingestion and recording; prints figures (never part of the test run).

    PYTHONPATH=src/robot_learning:src/robot_learning_nodes python bench/ingest.py [--no-ros]

Figures:
  * scan_to_sectors: 360-ray LaserScan -> 24 sectors (array.array input as from rclpy).
  * image: 640x480 bgr8 Image -> 64x64 rgb; 640x480 jpeg -> 64x64 rgb.
  * point cloud: 100k points (x, y, z, intensity) -> xyz -> 24 sectors.
  * EpisodeBagWriter: MB/s of raw payload for 640x480 rgb8 images (921,600 B) and
    360-ray scans (~1.5 kB), mcap and sqlite3.
  * demo_recorder end to end (rclpy): a publisher and the recorder in one process and
    executor, 640x480 rgb8 images as fast as they are recorded; MB/s of payload
    written and messages lost (counted by the recorder; reliable QoS: none expected).
"""

from __future__ import annotations

import argparse
import array
import math
import os
from pathlib import Path
import sys
import tempfile
import time

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
for sub in ('src/robot_learning', 'src/robot_learning_nodes'):
    if str(ROOT / sub) not in sys.path:
        sys.path.insert(0, str(ROOT / sub))


def timeit(fn, min_time: float = 0.5) -> float:
    """Seconds per call (best of 3 batches)."""
    fn()
    n, t = 1, 0.0
    while True:
        t0 = time.perf_counter()
        for _ in range(n):
            fn()
        t = time.perf_counter() - t0
        if t > min_time / 5:
            break
        n *= 4
    best = t / n
    for _ in range(2):
        t0 = time.perf_counter()
        for _ in range(n):
            fn()
        best = min(best, (time.perf_counter() - t0) / n)
    return best


def bench_core() -> None:
    from types import SimpleNamespace as NS

    import cv2
    from robot_learning.data.ingest import (
        compressed_to_rgb,
        image_to_rgb,
        pointcloud_to_xyz,
        points_to_sectors,
        resize_rgb,
        scan_to_sectors,
    )

    rng = np.random.default_rng(0)
    r = rng.uniform(0.05, 12.0, 360).astype(np.float32)
    r[rng.random(360) < 0.1] = np.nan
    r[rng.random(360) < 0.1] = np.inf
    ra = array.array('f', r.tobytes())
    inc = float(np.float32(2 * math.pi / 360))
    amin = float(np.float32(-math.pi))
    t = timeit(lambda: scan_to_sectors(ra, amin, inc, 0.1, 10.0, 24))
    print(f'scan_to_sectors 360 rays -> 24 sectors (array.array): {t * 1e6:8.1f} us')
    t = timeit(lambda: scan_to_sectors(r, amin, inc, 0.1, 10.0, 24))
    print(f'scan_to_sectors 360 rays -> 24 sectors (ndarray):     {t * 1e6:8.1f} us')
    r2 = rng.uniform(0.05, 30.0, 2048).astype(np.float32)
    t = timeit(lambda: scan_to_sectors(r2, amin, 2 * math.pi / 2048, 0.1, 30.0, 64))
    print(f'scan_to_sectors 2048 rays -> 64 sectors:              {t * 1e6:8.1f} us')

    y, x = np.mgrid[0:480, 0:640]
    bgr = np.stack([x % 256, y % 256, (x + y) % 256], axis=2).astype(np.uint8)
    data = array.array('B', bgr.tobytes())
    t = timeit(lambda: resize_rgb(image_to_rgb(data, 480, 640, 'bgr8', 1920), 64, 64))
    print(f'Image 640x480 bgr8 -> 64x64 rgb:                      {t * 1e3:8.3f} ms')
    _, jpg = cv2.imencode('.jpg', bgr, [cv2.IMWRITE_JPEG_QUALITY, 90])
    jb = jpg.tobytes()
    t = timeit(lambda: resize_rgb(compressed_to_rgb(jb, 'jpeg'), 64, 64))
    print(f'CompressedImage 640x480 jpeg -> 64x64 rgb:            {t * 1e3:8.3f} ms')

    n = 100_000
    pts = np.zeros((n, 8), np.float32)  # x y z pad intensity pad pad pad (32 B/point)
    pts[:, :3] = rng.uniform(-10, 10, (n, 3))
    fields = [
        NS(name=nm, offset=off, datatype=7, count=1)
        for nm, off in (('x', 0), ('y', 4), ('z', 8), ('intensity', 16))
    ]
    cloud = array.array('B', pts.tobytes())
    t = timeit(
        lambda: points_to_sectors(
            pointcloud_to_xyz(cloud, fields, 32, 32 * n, n, 1), 24, 0.1, 10.0, -0.3, 1.0
        )
    )
    print(f'PointCloud2 100k points -> xyz -> 24 sectors:         {t * 1e3:8.3f} ms')


def bench_writer() -> None:
    from robot_learning.data.bagwriter import EpisodeBagWriter

    img = os.urandom(921_600 + 60)
    scan = os.urandom(1_504)
    with tempfile.TemporaryDirectory() as tmp:
        for storage in ('mcap', 'sqlite3'):
            for name, payload, count in (
                ('640x480 rgb8 image', img, 300),
                ('360-ray scan', scan, 20_000),
            ):
                w = EpisodeBagWriter(Path(tmp) / f'{storage}_{count}', storage)
                w.add_topic('/x', 'sensor_msgs/msg/Image')
                t0 = time.perf_counter()
                for i in range(count):
                    w.write('/x', i, payload)
                w.close({})
                dt = time.perf_counter() - t0
                mb = len(payload) * count / 1e6
                print(
                    f'EpisodeBagWriter {storage:7s} {name:18s}: {mb / dt:8.1f} MB/s '
                    f'({count / dt:8.0f} msg/s, incl. close)'
                )


def bench_recorder(seconds: float = 5.0) -> None:
    os.environ.setdefault('ROS_DOMAIN_ID', '77')
    os.environ['ROS_AUTOMATIC_DISCOVERY_RANGE'] = 'LOCALHOST'
    import rclpy
    from rclpy.executors import SingleThreadedExecutor
    from rclpy.parameter import Parameter
    from rclpy.qos import QoSProfile, ReliabilityPolicy
    from robot_learning_nodes.demo_recorder import DemoRecorder
    from sensor_msgs.msg import Image

    rclpy.init()
    ns = f'/bench{os.getpid()}'
    with tempfile.TemporaryDirectory() as tmp:
        rec = DemoRecorder(
            namespace=ns,
            parameter_overrides=[
                Parameter('output_dir', value=tmp),
                Parameter('session', value='b'),
                Parameter('topics', value=['camera/image_raw:sensor_msgs/msg/Image']),
            ],
        )
        pub_node = rclpy.create_node('bench_pub', namespace=ns)
        pub = pub_node.create_publisher(
            Image, 'camera/image_raw', QoSProfile(depth=50, reliability=ReliabilityPolicy.RELIABLE)
        )
        ex = SingleThreadedExecutor()
        ex.add_node(rec)
        ex.add_node(pub_node)
        while pub.get_subscription_count() < 1:
            ex.spin_once(timeout_sec=0.05)
        msg = Image(height=480, width=640, encoding='rgb8', step=1920)
        msg.data = os.urandom(921_600)
        rec.start_episode()
        key = f'recorded {ns}/camera/image_raw'
        sent = 0
        t0 = time.perf_counter()
        while time.perf_counter() - t0 < seconds:
            # keep at most 20 messages in flight so that reliable delivery never blocks
            if sent - rec.diag.counters.get(key, 0) < 20:
                pub.publish(msg)
                sent += 1
            ex.spin_once(timeout_sec=0.0)
        while rec.diag.counters.get(key, 0) < sent and time.perf_counter() - t0 < seconds + 5:
            ex.spin_once(timeout_sec=0.01)
        dt = time.perf_counter() - t0
        got = rec.diag.counters.get(key, 0)
        nbytes = rec.book.active.writer.bytes_written
        rec.stop_episode()
        lost = sum(v for k, v in rec.diag.counters.items() if k.startswith('lost'))
        print(
            f'demo_recorder end to end, 640x480 rgb8 (pub+rec, 1 process): '
            f'{nbytes / dt / 1e6:8.1f} MB/s ({got / dt:6.1f} msg/s), sent {sent}, '
            f'recorded {got}, lost {lost}'
        )
        ex.shutdown()
        rec.destroy_node()
        pub_node.destroy_node()
    rclpy.try_shutdown()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--no-ros', action='store_true', help='skip the rclpy recorder figure')
    ap.add_argument('--seconds', type=float, default=5.0, help='recorder run time')
    args = ap.parse_args()
    bench_core()
    bench_writer()
    if not args.no_ros:
        bench_recorder(args.seconds)


if __name__ == '__main__':
    main()
