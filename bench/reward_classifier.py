# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 robot_learning maintainers
"""Benchmark of the success classifier's inference; prints figures (never part of the tests).

    PYTHONPATH=src/robot_learning python bench/reward_classifier.py CHECKPOINT [--calls 500]

``CHECKPOINT`` is ``RUN/checkpoints/best`` of ``robot-learning train --algo
reward_classifier``. Figures: milliseconds per :meth:`RewardClassifier.predict` call (one
camera frame, one scan, one instruction: what ``task_node`` does every step) at 1 torch
thread and at the machine's default, median and 99th percentile, and the load time.
"""

from __future__ import annotations

import argparse
from pathlib import Path
import sys
import time

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT / 'src/robot_learning') not in sys.path:
    sys.path.insert(0, str(ROOT / 'src/robot_learning'))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('checkpoint')
    ap.add_argument('--calls', type=int, default=500)
    args = ap.parse_args()
    import torch
    from robot_learning.algos.reward_classifier import load_classifier

    t0 = time.perf_counter()
    clf = load_classifier(args.checkpoint)
    load_s = time.perf_counter() - t0
    rng = np.random.default_rng(0)
    image = rng.integers(0, 256, (clf.image_height, clf.image_width, 3), dtype=np.uint8)
    sectors = rng.uniform(0.2, 3.5, clf.num_sectors).astype(np.float32)
    print(
        f'classifier {clf.image_width}x{clf.image_height}, {clf.num_sectors} sectors, '
        f'{len(clf.instructions)} instructions, threshold {clf.threshold:.4f}; '
        f'loaded in {load_s * 1e3:.0f} ms'
    )
    default_threads = torch.get_num_threads()
    for threads in sorted({1, default_threads}):
        torch.set_num_threads(threads)
        for _ in range(20):
            clf.predict(image, sectors, clf.instructions[0])
        times = []
        for i in range(args.calls):
            t = time.perf_counter()
            clf.predict(image, sectors, clf.instructions[i % len(clf.instructions)])
            times.append(time.perf_counter() - t)
        ms = np.array(times) * 1e3
        print(
            f'predict, {threads} thread(s): median {np.median(ms):.2f} ms, '
            f'p99 {np.percentile(ms, 99):.2f} ms, {1e3 / np.mean(ms):.0f} calls/s'
        )
    return 0


if __name__ == '__main__':
    sys.exit(main())
