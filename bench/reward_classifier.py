# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 robot_learning maintainers
"""Benchmark of the success classifier's inference; prints figures (never part of the tests).

    PYTHONPATH=src/robot_learning:src/robot_learning_sim MUJOCO_GL=egl \
        python bench/reward_classifier.py CHECKPOINT [--calls 500] [--layouts 40]

``CHECKPOINT`` is ``RUN/checkpoints/best`` of ``robot-learning train --algo
reward_classifier``. Figures:

* milliseconds per :meth:`RewardClassifier.predict` call (one camera frame, one scan,
  one instruction: what ``task_node`` does every step) at 1 torch thread and at the
  machine's default, median and 99th percentile, and the load time;
* states the expert demos never show, as SAC's exploration reaches them: in
  ``--layouts`` layouts of the built-in world the robot is placed facing each pillar
  (bearing within +-0.6 rad) at 0.2-1.4 m, and at random poses; the share of frames
  the classifier calls success, per distance band, for the instructed pillar (should
  rise to 1 near the sim's ``success_radius``) and for the wrong ones (should stay 0).
  Camera frames go through ``ingest.resize_rgb`` and scans through
  ``ingest.scan_to_sectors``, as camera_ingest and lidar_ingest do.
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
    ap.add_argument('--layouts', type=int, default=40, help='0 = skip the world check')
    ap.add_argument('--bearing', type=float, default=0.6, help='max |bearing| of a pillar, rad')
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
    if args.layouts > 0:
        torch.set_num_threads(1)
        world_check(clf, args.layouts, args.bearing)
    return 0


def world_check(clf, layouts: int, bearing: float = 0.6, seed: int = 90_000) -> None:
    """Print the classifier's success rate on placed poses of the built-in world."""
    from robot_learning.data.ingest import resize_rgb, scan_to_sectors
    from robot_learning_sim.world import World, WorldConfig

    world = World(WorldConfig())
    c = world.cfg
    rng = np.random.default_rng(seed)
    bands = np.array([0.2, 0.4, 0.5, 0.6, 0.8, 1.0, 1.4])
    hits = {k: np.zeros((len(bands) - 1, 2)) for k in ('instructed', 'wrong')}
    rand = np.zeros(2)
    lim = c.room_size / 2 - 0.25

    def fires() -> bool:
        image = resize_rgb(world.render_camera(), clf.image_width, clf.image_height)
        sectors = scan_to_sectors(
            world.scan(),
            -np.pi,
            2 * np.pi / c.lidar_rays,
            c.range_min,
            clf.range_max,
            clf.num_sectors,
        )
        return clf.is_success(image, sectors, world.instruction)

    for i in range(layouts):
        world.reset(seed=seed + i)
        for k, (px, py) in enumerate(world.pillars):
            if not np.isfinite(px):
                continue
            kind = 'instructed' if k == world.goal_index else 'wrong'
            for _ in range(8):
                d = rng.uniform(bands[0], bands[-1])
                yaw, phi = rng.uniform(-np.pi, np.pi), rng.uniform(-bearing, bearing)
                x, y = px - d * np.cos(yaw + phi), py - d * np.sin(yaw + phi)
                if abs(x) > lim or abs(y) > lim:
                    continue
                world.place_robot(x, y, yaw)
                b = min(np.searchsorted(bands, d) - 1, len(bands) - 2)
                hits[kind][b] += (fires(), 1)
        for _ in range(6):
            x, y = rng.uniform(-lim, lim, 2)
            gx, gy = world.pillars[world.goal_index]
            if np.hypot(x - gx, y - gy) < 1.4:
                continue
            world.place_robot(x, y, rng.uniform(-np.pi, np.pi))
            rand += (fires(), 1)
    print(
        f'world check, {layouts} layouts, threshold {clf.threshold:.4f} '
        f'(sim success_radius {c.success_radius} m):'
    )
    for kind, rows in hits.items():
        cells = ', '.join(
            f'{lo:.1f}-{hi:.1f} m {n_f / max(n, 1):.2f} (n={int(n)})'
            for lo, hi, (n_f, n) in zip(bands[:-1], bands[1:], rows)
        )
        print(f'  facing the {kind} pillar, share called success: {cells}')
    print(
        f'  random poses >= 1.4 m from the goal: {rand[0] / max(rand[1], 1):.3f} '
        f'called success (n={int(rand[1])})'
    )


if __name__ == '__main__':
    sys.exit(main())
