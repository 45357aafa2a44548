# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 robot_learning maintainers
"""Benchmark of the built-in MuJoCo world: microseconds per step, scan, camera frame.

    MUJOCO_GL=egl PYTHONPATH=src/robot_learning_sim python bench/sim_step.py [--steps N]

Prints one line per figure. Steps use a random-walk command so contacts and turning are
exercised; episodes are reset when they end (reset time is reported separately).
"""

import argparse
import os
import sys
import time

os.environ.setdefault('MUJOCO_GL', 'egl')
sys.path.insert(0, os.path.join(os.path.dirname(__file__), '..', 'src', 'robot_learning_sim'))

import numpy as np  # noqa: E402
from robot_learning_sim.expert import ExpertPolicy  # noqa: E402
from robot_learning_sim.world import World, WorldConfig  # noqa: E402


def _per_call_us(fn, n):
    t = time.perf_counter()
    for _ in range(n):
        fn()
    return (time.perf_counter() - t) / n * 1e6


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--steps', type=int, default=5000)
    ap.add_argument('--frames', type=int, default=300)
    ap.add_argument('--width', type=int, default=160)
    ap.add_argument('--height', type=int, default=120)
    a = ap.parse_args()

    world = World(WorldConfig(seed=0, camera_width=a.width, camera_height=a.height))
    rng = np.random.default_rng(0)
    cmds = np.stack([rng.uniform(-0.3, 0.6, a.steps), rng.uniform(-1.5, 1.5, a.steps)], 1)
    resets = 0
    t_step = 0.0
    t0 = time.perf_counter()
    for v, w in cmds:
        s = time.perf_counter()
        r = world.step(float(v), float(w))
        t_step += time.perf_counter() - s
        if r.terminated or r.truncated:
            world.reset()
            resets += 1
    total = time.perf_counter() - t0
    print(
        f'world.step              {t_step / a.steps * 1e6:8.1f} us/step   '
        f'({a.steps} steps, {world._n_sub} physics substeps each)'
    )
    print(
        f'world.scan              {_per_call_us(world.scan, 2000):8.1f} us/scan   '
        f'({world.cfg.lidar_rays} rays)'
    )
    us = _per_call_us(lambda: (world.step(0.3, 0.5), world.scan()), 2000)
    print(f'step + scan             {us:8.1f} us')
    print(f'world.reset             {_per_call_us(world.reset, 200):8.1f} us/reset')
    us = _per_call_us(lambda: (world.detections(), world.pose(), world.velocity()), 2000)
    print(f'detections+pose+vel     {us:8.1f} us')
    try:
        world.render_camera()  # first frame creates the GL context
        us = _per_call_us(world.render_camera, a.frames)
        print(
            f'world.render_camera     {us:8.1f} us/frame  ({a.width}x{a.height} rgb, '
            f'MUJOCO_GL={os.environ.get("MUJOCO_GL")})'
        )
    except Exception as e:  # no GL here
        print(f'world.render_camera     unavailable: {e}')
    policy = ExpertPolicy()
    world.reset(seed=1)
    policy.reset()
    n, t = 0, 0.0
    for _ in range(2000):
        scan = world.scan()
        s = time.perf_counter()
        v, w = policy.act(world.pose(), world.goal_position(), scan)
        t += time.perf_counter() - s
        n += 1
        r = world.step(v, w)
        if r.terminated or r.truncated:
            world.reset()
            policy.reset()
    print(f'ExpertPolicy.act        {t / n * 1e6:8.1f} us/act')
    print(f'(random-walk loop incl. {resets} resets: {total / a.steps * 1e6:.1f} us/step)')
    world.close()


if __name__ == '__main__':
    main()
