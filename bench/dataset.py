# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 robot_learning maintainers
"""Benchmark of the bag dataset; prints figures (never part of the test run).

    PYTHONPATH=src/robot_learning python bench/dataset.py [--bags DIR] [--episodes N] [--steps N]

Without ``--bags`` it writes ``episodes`` synthetic episode bags of ``steps`` steps in
the recorder's layout (EpisodeBagWriter, MCAP; every topic of demo_recorder's
DEFAULT_TOPICS: 160x120 rgb8 images, 360-ray scans, odom, detections, episode, action,
intervention, teleop/cmd_vel, cmd_vel, observation/scan) into a temporary directory.

Figures (frames = dataset frames, i.e. observations; MB = bag bytes on disk):
  (a) plain rosbags loop: AnyReader over each bag, deserialize every message.
  (b) first BagDataset.build: decode + write the cache (serial, then with workers).
  (c) cached: build again from the cache + read every array fully in batches of 256
      frames/transitions; GB/s of array bytes read.
Targets: (b) >= (a); (c) >= 1 GB/s.
"""

from __future__ import annotations

import argparse
import math
import os
from pathlib import Path
import shutil
import sys
import tempfile
import time

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT / 'src/robot_learning') not in sys.path:
    sys.path.insert(0, str(ROOT / 'src/robot_learning'))

TOPICS = {
    '/camera/image_raw': 'sensor_msgs/msg/Image',
    '/scan': 'sensor_msgs/msg/LaserScan',
    '/odom': 'nav_msgs/msg/Odometry',
    '/detections': 'geometry_msgs/msg/PoseArray',
    '/instruction': 'std_msgs/msg/String',
    '/episode': 'diagnostic_msgs/msg/DiagnosticArray',
    '/action': 'geometry_msgs/msg/TwistStamped',
    '/intervention': 'std_msgs/msg/Bool',
    '/teleop/cmd_vel': 'geometry_msgs/msg/TwistStamped',
    '/cmd_vel': 'geometry_msgs/msg/Twist',
    '/observation/scan': 'sensor_msgs/msg/LaserScan',
}


def write_bags(root: Path, episodes: int, steps: int, seed: int = 0) -> None:
    """Synthetic episodes, messages in the sim's per-step order (docs/interfaces.md)."""
    from robot_learning.data.bagwriter import EpisodeBagWriter
    from rosbags.typesys import get_typestore, Stores

    ts = get_typestore(Stores.ROS2_JAZZY)
    T = ts.types
    rng = np.random.default_rng(seed)

    def ser(m):
        return bytes(ts.serialize_cdr(m, m.__msgtype__))

    def vec(x=0.0, y=0.0, z=0.0):
        return T['geometry_msgs/msg/Vector3'](x=x, y=y, z=z)

    def twist(v, w):
        return T['geometry_msgs/msg/Twist'](linear=vec(v), angular=vec(0.0, 0.0, w))

    quat = T['geometry_msgs/msg/Quaternion'](x=0.0, y=0.0, z=0.0, w=1.0)

    def pose(x, y):
        return T['geometry_msgs/msg/Pose'](
            position=T['geometry_msgs/msg/Point'](x=x, y=y, z=0.0), orientation=quat
        )
    cov = np.zeros(36)
    colors = ['red', 'green', 'blue']
    base = rng.integers(0, 256, (120, 160, 3), np.uint8)
    for e in range(episodes):
        instruction = f'go to the {colors[e % 3]} pillar'
        w = EpisodeBagWriter(root / f'episode_{e:04d}')
        for t, ty in TOPICS.items():
            w.add_topic(t, ty)
        t0 = 1_000_000 + e * 100_000_000
        w.write('/instruction', t0 * 1000, ser(T['std_msgs/msg/String'](data=instruction)))
        for k in range(steps + 1):
            us = t0 + k * 100_000
            hdr = T['std_msgs/msg/Header'](
                stamp=T['builtin_interfaces/msg/Time'](
                    sec=us // 1_000_000, nanosec=us % 1_000_000 * 1000
                ),
                frame_id='base_link',
            )
            ns = us * 1000
            end = k == steps
            kv = {
                'reward': f'{rng.normal():.3f}' if k else '0.0',
                'terminated': '1' if end else '0',
                'truncated': '0',
                'episode': str(e),
                'step': str(k),
                'return': '0.0',
                'instruction': instruction,
                'prev_stamp': repr((us - 100_000) / 1e6) if k else '-1',
            }
            st = T['diagnostic_msgs/msg/DiagnosticStatus'](
                level=0,
                name='episode',
                message='success' if end else 'running',
                hardware_id='sim',
                values=[T['diagnostic_msgs/msg/KeyValue'](key=a, value=b) for a, b in kv.items()],
            )
            w.write(
                '/episode',
                ns + 1,
                ser(T['diagnostic_msgs/msg/DiagnosticArray'](header=hdr, status=[st])),
            )
            w.write(
                '/odom',
                ns + 2,
                ser(
                    T['nav_msgs/msg/Odometry'](
                        header=hdr,
                        child_frame_id='base_link',
                        pose=T['geometry_msgs/msg/PoseWithCovariance'](
                            pose=pose(0.0, 0.0), covariance=cov
                        ),
                        twist=T['geometry_msgs/msg/TwistWithCovariance'](
                            twist=twist(*rng.normal(size=2)), covariance=cov
                        ),
                    )
                ),
            )
            w.write(
                '/detections',
                ns + 3,
                ser(
                    T['geometry_msgs/msg/PoseArray'](
                        header=hdr, poses=[pose(*rng.normal(size=2)) for _ in colors]
                    )
                ),
            )
            img = np.roll(base, k, axis=1)
            w.write(
                '/camera/image_raw',
                ns + 4,
                ser(
                    T['sensor_msgs/msg/Image'](
                        header=hdr,
                        height=120,
                        width=160,
                        encoding='rgb8',
                        is_bigendian=0,
                        step=480,
                        data=img.reshape(-1),
                    )
                ),
            )
            for topic, n in (('/observation/scan', 24), ('/scan', 360)):
                w.write(
                    topic,
                    ns + 5,
                    ser(
                        T['sensor_msgs/msg/LaserScan'](
                            header=hdr,
                            angle_min=-math.pi,
                            angle_max=math.pi - 2 * math.pi / n,
                            angle_increment=2 * math.pi / n,
                            time_increment=0.0,
                            scan_time=0.1,
                            range_min=0.12,
                            range_max=3.5,
                            ranges=rng.uniform(0.1, 4.0, n).astype(np.float32),
                            intensities=np.zeros(0, np.float32),
                        )
                    ),
                )
            if not end:
                v, wz = rng.uniform(-0.3, 0.6), rng.uniform(-1.5, 1.5)
                for topic in ('/teleop/cmd_vel', '/action'):
                    w.write(
                        topic,
                        ns + 1000,
                        ser(T['geometry_msgs/msg/TwistStamped'](header=hdr, twist=twist(v, wz))),
                    )
                w.write(
                    '/intervention', ns + 1001, ser(T['std_msgs/msg/Bool'](data=bool(k % 7 == 0)))
                )
                w.write('/cmd_vel', ns + 1002, ser(twist(v, wz)))
        w.close({'instruction': instruction, 'outcome': 'success', 'episode': str(e)})


def bag_bytes(root: Path) -> int:
    return sum(f.stat().st_size for f in root.rglob('*') if f.is_file())


def plain_loop(dirs) -> tuple[float, int]:
    """Seconds to read + deserialize every message; number of /episode steps seen."""
    from rosbags.highlevel import AnyReader
    from rosbags.typesys import get_typestore, Stores

    ts = get_typestore(Stores.ROS2_JAZZY)
    t0 = time.perf_counter()
    steps = 0
    for d in dirs:
        with AnyReader([d], default_typestore=ts) as r:
            for conn, _, raw in r.messages():
                r.deserialize(raw, conn.msgtype)
                steps += conn.topic == '/episode'
    return time.perf_counter() - t0, steps


def read_all(ds, batch: int = 256) -> int:
    """Touch every byte of every array in batches (as an epoch would); bytes read."""
    total = 0
    for arrays in (ds.frames, ds.transitions):
        for a in arrays.values():
            for i in range(0, a.shape[0], batch):
                chunk = np.asarray(a[i: i + batch])
                total += chunk.nbytes
                chunk.max() if chunk.dtype != bool else chunk.any()
    return total


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--bags', default='', help='existing bag directory (else synthetic)')
    ap.add_argument('--episodes', type=int, default=20)
    ap.add_argument('--steps', type=int, default=150)
    ap.add_argument(
        '--workers',
        type=int,
        default=0,
        help='decoding processes for the parallel build (0: auto)',
    )
    args = ap.parse_args()
    from robot_learning.common.features import ActionConfig, ObservationConfig
    from robot_learning.data.bagdataset import BagDataset, DatasetConfig
    from robot_learning.data.bagfiles import find_bag_dirs

    tmp = Path(tempfile.mkdtemp(prefix='bench_dataset_'))
    try:
        if args.bags:
            root = Path(args.bags)
        else:
            root = tmp / 'bags'
            t = time.perf_counter()
            write_bags(root, args.episodes, args.steps)
            print(
                f'wrote {args.episodes} episodes x {args.steps} steps in '
                f'{time.perf_counter() - t:.1f} s'
            )
        dirs = find_bag_dirs([root])
        mb = bag_bytes(root) / 1e6
        obs, act = ObservationConfig(), ActionConfig()
        print(f'{len(dirs)} bags, {mb:.1f} MB, cpus {os.cpu_count()}')

        ta, steps = plain_loop(dirs)
        print(
            f'(a) plain rosbags loop (read + deserialize all): {steps / ta:9.0f} frames/s '
            f'{mb / ta:8.1f} MB/s '
            f'({ta:.2f} s)'
        )
        results = {}
        runs = [('serial', 1)]
        if args.workers > 1 or (os.cpu_count() or 1) >= 4:
            runs.append(('parallel', args.workers or min(8, os.cpu_count())))
        for label, workers in runs:
            cfg = DatasetConfig(cache_dir=str(tmp / f'cache_{label}'), image_size=(64, 48))
            t = time.perf_counter()
            ds = BagDataset.build(
                [root], cfg, obs, act, progress=False, log=print, workers=workers
            )
            tb = time.perf_counter() - t
            n = ds.frames['stamp'].shape[0]
            results[label] = tb
            print(
                f'(b) first build, {label:8s} ({workers} proc):            {n / tb:9.0f} frames/s '
                f'{mb / tb:8.1f} MB/s '
                f'({tb:.2f} s, {n} frames, {len(ds)} transitions) -> (b)/(a) = {ta / tb:.2f}'
            )
        t = time.perf_counter()
        ds = BagDataset.build([root], cfg, obs, act, progress=False, log=print)
        tload = time.perf_counter() - t
        t = time.perf_counter()
        nbytes = read_all(ds)
        tread = time.perf_counter() - t
        tc = tload + tread
        print(
            f'(c) cached build {tload * 1e3:.0f} ms + full read of {nbytes / 1e6:.1f} MB: '
            f'{n / tc:9.0f} frames/s {nbytes / tc / 1e9:6.2f} GB/s (read alone '
            f'{nbytes / tread / 1e9:.2f} GB/s)'
        )
        print(
            f'targets: (b) >= (a): {"yes" if ta / min(results.values()) >= 1 else "NO"}; '
            f'(c) >= 1 GB/s: {"yes" if nbytes / tc >= 1e9 else "NO"}'
        )
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == '__main__':
    main()
