# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 robot_learning maintainers
"""Benchmark of crash safety in bag writing; prints figures (never part of the test run).

    PYTHONPATH=src/robot_learning python bench/bag_recovery.py [--seconds 20]

A synthetic recording: 320x240 rgb8 images at 30 Hz and 360-ray scans at 10 Hz for
``--seconds`` of data, written as fast as EpisodeBagWriter takes it. Figures:
  * write MB/s of payload and file size, flushing every 0.5 s of data (what the recorder
    does) vs never (rosbags' 1 MiB chunks only), and the cost of one flush.
  * ``reindex_bag`` on the crashed (aborted) bag: MB/s and messages recovered.
  * ``update_custom_data`` (set_success after the stop): seconds to rewrite the MCAP's
    embedded metadata and metadata.yaml, against copying the file (the floor of any
    atomic rewrite).
"""

from __future__ import annotations

import argparse
from pathlib import Path
import shutil
import sys
import tempfile
import time

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT / 'src/robot_learning') not in sys.path:
    sys.path.insert(0, str(ROOT / 'src/robot_learning'))


def messages(seconds: float):
    """(topic, t_ns, bytes) of the synthetic recording, in time order."""
    from rosbags.typesys import get_typestore, Stores

    ts = get_typestore(Stores.ROS2_JAZZY)
    t = ts.types
    hdr = t['std_msgs/msg/Header'](stamp=t['builtin_interfaces/msg/Time'](sec=0, nanosec=0),
                                   frame_id='camera')  # fmt: skip
    img = t['sensor_msgs/msg/Image'](header=hdr, height=240, width=320, encoding='rgb8',
                                     is_bigendian=0, step=960,
                                     data=np.zeros(320 * 240 * 3, np.uint8))  # fmt: skip
    scan = t['sensor_msgs/msg/LaserScan'](header=hdr, angle_min=-3.14, angle_max=3.14,
                                          angle_increment=0.0175, time_increment=0.0,
                                          scan_time=0.1, range_min=0.1, range_max=10.0,
                                          ranges=np.ones(360, np.float32),
                                          intensities=np.zeros(0, np.float32))  # fmt: skip
    raw_img = bytes(ts.serialize_cdr(img, 'sensor_msgs/msg/Image'))
    raw_scan = bytes(ts.serialize_cdr(scan, 'sensor_msgs/msg/LaserScan'))
    out = [('/camera/image_raw', int(i * 1e9 / 30), raw_img) for i in range(int(seconds * 30))]
    out += [('/scan', int(i * 1e9 / 10) + 1, raw_scan) for i in range(int(seconds * 10))]
    return sorted(out, key=lambda m: m[1])


def write(path: Path, msgs, flush_every_s: float, close: bool) -> tuple[float, int, list]:
    from robot_learning.data.bagwriter import EpisodeBagWriter

    w = EpisodeBagWriter(path, flush_period_s=0)  # flushes driven by data time below
    w.write_start_record({'instruction': 'bench', 'episode': '0'})
    w.add_topic('/camera/image_raw', 'sensor_msgs/msg/Image')
    w.add_topic('/scan', 'sensor_msgs/msg/LaserScan')
    flush_times = []
    next_flush = flush_every_s * 1e9 if flush_every_s > 0 else float('inf')
    t0 = time.perf_counter()
    for topic, t, raw in msgs:
        w.write(topic, t, raw)
        if t >= next_flush:
            f0 = time.perf_counter()
            w.flush()
            flush_times.append(time.perf_counter() - f0)
            next_flush += flush_every_s * 1e9
    if close:
        w.close({'instruction': 'bench', 'outcome': 'unknown'})
    else:
        w.abort()
    return time.perf_counter() - t0, (path / f'{path.name}.mcap').stat().st_size, flush_times


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--seconds', type=float, default=20.0, help='seconds of recorded data')
    args = ap.parse_args()
    from robot_learning.data.bagrepair import reindex_bag
    from robot_learning.data.bagwriter import update_custom_data

    msgs = messages(args.seconds)
    payload = sum(len(m[2]) for m in msgs) / 1e6
    print(f'{len(msgs)} messages, {payload:.0f} MB payload ({args.seconds:.0f} s of data)')
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        for label, every in (('never (1 MiB chunks)', 0.0), ('every 0.5 s', 0.5)):
            dt, size, ft = write(tmp / f'w{every}', msgs, every, close=True)
            extra = (
                f', {len(ft)} flushes, {1e3 * np.median(ft):.2f} ms median flush' if ft else ''
            )
            print(f'write, flush {label:22s}: {payload / dt:7.0f} MB/s, file {size / 1e6:.1f} MB'
                  f'{extra}')  # fmt: skip
            shutil.rmtree(tmp / f'w{every}')
        crashed = tmp / 'crashed'
        write(crashed, msgs, 0.5, close=False)
        t0 = time.perf_counter()
        res = reindex_bag(crashed)
        dt = time.perf_counter() - t0
        print(f'reindex_bag (crashed, {payload:.0f} MB): {dt:.2f} s = {payload / dt:.0f} MB/s, '
              f'{res.messages}/{len(msgs)} messages recovered')  # fmt: skip
        t0 = time.perf_counter()
        update_custom_data(crashed, {'outcome': 'success'})
        dt = time.perf_counter() - t0
        mcap = crashed / 'crashed.mcap'
        t0 = time.perf_counter()
        shutil.copyfile(mcap, tmp / 'copy.mcap')
        dc = time.perf_counter() - t0
        print(f'set_success after stop (rewrite embedded metadata + yaml): {dt:.3f} s '
              f'(plain file copy {dc:.3f} s)')  # fmt: skip


if __name__ == '__main__':
    main()
