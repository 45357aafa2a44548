#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 robot_learning maintainers
"""SAC updates/s: in-process reference against sac_learner inside a ROS graph at full rate.

Three figures, each over ``--seconds`` of wall clock, same network and batch sizes (the
navigation spec's by default: obs 46, action 2, 256x256 with LayerNorm, batch 256):

1. reference: ``sample_mixed`` + ``SAC.update`` in a loop in this process, no ROS, as
   ``OnlineLearner.update`` does it (``torch_threads`` threads);
2. ``sac_learner`` with ``update_process: false``: the node in this process (spun by a
   single-threaded executor, as ``spin_node`` does), its updates in a thread of it;
3. the same with ``update_process: true``: the updates in their own process.

In 2 and 3 a feeder process publishes ``joint_states``, ``joint_action`` and ``episode``
(``observation_type: joint_state``) at ``--rate`` steps/s (three messages a step), faster
than the learner updates, so the UTD gate is always open and the executor is busy with
callbacks all the time: what the learner sees next to a fast simulator. Updates/s are
counted after the first ``--warm`` updates (the update process imports torch first).
Prints each figure, its ratio to the reference, the transitions/s the node took in, and
``os.getloadavg()`` before and after (a busy machine distorts every figure; run it alone).

Usage::

    python bench/learner_updates.py [--seconds 30] [--rate 300] [--threads 1]
        [--utd 1] [--obs-dim 46] [--action-dim 2] [--hidden 256 256] [--batch 256]
        [--modes thread process]

Needs the workspace sourced (``source install/setup.bash``) and a ROS_DOMAIN_ID of its
own. Never part of the test run.

Measured (2 cores shared with other jobs, defaults, two runs at load average 6.5-9 and
5-7): reference 29.0 / 24.5 updates/s; thread 17.7 / 13.2 (x0.61 / x0.54); process
23.3 / 17.5 (x0.80 / x0.71 of the reference, x1.32 / x1.33 the thread).
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path
import subprocess
import sys
import tempfile
import time

import numpy as np


def _load() -> str:
    return '/'.join(f'{x:.2f}' for x in os.getloadavg())


def reference(args) -> float:
    """Return updates/s of SAC.update in this process (the learner's sampling included)."""
    import torch
    from robot_learning.algos.sac import SAC, SACConfig
    from robot_learning.data.buffers import ReplayBuffer, sample_mixed

    torch.set_num_threads(args.threads)
    cfg = _sac_cfg(args, SACConfig)
    sac = SAC(cfg)
    buf = ReplayBuffer(args.obs_dim, args.action_dim, 20000, seed=0)
    rng = np.random.default_rng(0)
    n = 5000
    buf.add_many(
        rng.uniform(-1, 1, (n, args.obs_dim)), rng.uniform(-1, 1, (n, args.action_dim)),
        rng.normal(size=n), rng.uniform(-1, 1, (n, args.obs_dim)), np.zeros(n),
    )
    for _ in range(args.warm):
        sac.update(sample_mixed(buf, None, sac.rows_per_update, 0.5, rng))
    count, t0 = 0, time.monotonic()
    while time.monotonic() - t0 < args.seconds:
        sac.update(sample_mixed(buf, None, sac.rows_per_update, 0.5, rng))
        count += 1
    return count / (time.monotonic() - t0)


def _sac_cfg(args, cls):
    return cls(
        obs_dim=args.obs_dim, action_dim=args.action_dim, hidden=tuple(args.hidden),
        batch_size=args.batch, utd_ratio=args.utd, n_step=1,
    )


def in_graph(args, process: bool, run_dir: Path) -> tuple[float, float]:
    """Return (updates/s, transitions/s) of sac_learner with a feeder at ``--rate``."""
    import rclpy
    from rclpy.executors import SingleThreadedExecutor
    from rclpy.parameter import Parameter
    from robot_learning_nodes.sac_learner import SacLearner

    ns = f'/bench{os.getpid()}'
    feeder = subprocess.Popen(
        [sys.executable, __file__, '--feed', ns, '--rate', str(args.rate),
         '--obs-dim', str(args.obs_dim), '--action-dim', str(args.action_dim)]
    )
    rclpy.init()
    values = {
        'run_dir': str(run_dir), 'resume': False, 'observation_type': 'joint_state',
        'vector_observation.dim': args.obs_dim,
        'joint_action.low': [-1.0] * args.action_dim,
        'joint_action.high': [1.0] * args.action_dim,
        'sac.hidden': list(args.hidden), 'sac.batch_size': args.batch,
        'sac.utd_ratio': args.utd, 'sac.n_step': 1, 'warmup_transitions': 256,
        'checkpoint_every': 0, 'push_every': 100, 'torch_threads': args.threads,
        'update_process': process,
    }
    node = SacLearner(
        namespace=ns, parameter_overrides=[Parameter(k, value=v) for k, v in values.items()]
    )
    executor = SingleThreadedExecutor()
    executor.add_node(node)
    learner = node.learner
    try:
        deadline = time.monotonic() + 180.0
        while learner.updates < args.warm:
            if time.monotonic() > deadline:
                raise SystemExit('no updates within 180 s: is the feeder publishing?')
            executor.spin_once(timeout_sec=0.05)
        u0, n0, t0 = learner.updates, learner.transitions, time.monotonic()
        while time.monotonic() - t0 < args.seconds:
            executor.spin_once(timeout_sec=0.05)
        dt = time.monotonic() - t0
        return (learner.updates - u0) / dt, (learner.transitions - n0) / dt
    finally:
        feeder.kill()
        feeder.wait()
        executor.remove_node(node)
        node.destroy_node()
        rclpy.try_shutdown()


def feed(ns: str, rate: float, obs_dim: int, action_dim: int) -> None:
    """Publish one step (joint_states, joint_action, episode) every 1/rate s, forever."""
    import rclpy
    from diagnostic_msgs.msg import DiagnosticArray, DiagnosticStatus, KeyValue
    from sensor_msgs.msg import JointState

    rclpy.init()
    node = rclpy.create_node('bench_feeder', namespace=ns)
    obs_pub = node.create_publisher(JointState, 'joint_states', 100)
    act_pub = node.create_publisher(JointState, 'joint_action', 100)
    ep_pub = node.create_publisher(DiagnosticArray, 'episode', 100)
    rng = np.random.default_rng(0)
    names = [f'obs_{i}' for i in range(obs_dim)]
    step, period, t_next = 0, 1.0 / rate, time.monotonic()

    def stamp(msg, k):
        msg.header.stamp.sec, msg.header.stamp.nanosec = k // 1000, (k % 1000) * 1_000_000

    def episode(k, reward):
        msg = DiagnosticArray()
        stamp(msg, k)
        values = {
            'reward': repr(reward), 'terminated': '0', 'truncated': '0', 'episode': '0',
            'step': str(k), 'return': '0.0', 'instruction': '',
            'prev_stamp': repr((k - 1) / 1000.0) if k > 1 else '-1',
        }
        st = DiagnosticStatus(name='episode', message='running')
        st.values = [KeyValue(key=a, value=b) for a, b in values.items()]
        msg.status = [st]
        return msg

    while rclpy.ok():
        step += 1
        obs = JointState()
        stamp(obs, step)
        obs.name, obs.position = names, rng.uniform(-1, 1, obs_dim).tolist()
        obs_pub.publish(obs)
        if step > 1:
            ep_pub.publish(episode(step, float(rng.normal())))
        act = JointState()
        stamp(act, step)
        act.effort = rng.uniform(-1, 1, action_dim).tolist()
        act_pub.publish(act)
        t_next += period
        delay = t_next - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        else:
            t_next = time.monotonic()  # behind: publish as fast as it can


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--seconds', type=float, default=30.0)
    ap.add_argument('--warm', type=int, default=20)
    ap.add_argument('--rate', type=float, default=300.0, help='feeder steps/s')
    ap.add_argument('--threads', type=int, default=1)
    ap.add_argument('--utd', type=int, default=1)
    ap.add_argument('--obs-dim', type=int, default=46)
    ap.add_argument('--action-dim', type=int, default=2)
    ap.add_argument('--hidden', type=int, nargs='+', default=[256, 256])
    ap.add_argument('--batch', type=int, default=256)
    ap.add_argument('--modes', nargs='+', default=['thread', 'process'],
                    choices=['thread', 'process'])
    ap.add_argument('--feed', metavar='NS', help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.feed:
        feed(args.feed, args.rate, args.obs_dim, args.action_dim)
        return
    print(
        f'obs {args.obs_dim}, action {args.action_dim}, hidden {args.hidden}, batch '
        f'{args.batch}, utd {args.utd}, torch threads {args.threads}, feeder {args.rate:g} '
        f'steps/s, {args.seconds:g} s per figure; cores {os.cpu_count()}', flush=True
    )
    load0 = _load()
    ref = reference(args)
    print(f'reference (in-process SAC.update):   {ref:7.1f} updates/s   load {_load()}',
          flush=True)
    rows = []
    with tempfile.TemporaryDirectory(prefix='learner_updates_') as tmp:
        for mode in args.modes:
            ups, tps = in_graph(args, mode == 'process', Path(tmp) / mode)
            rows.append((mode, ups, tps))
            print(
                f'sac_learner, updates in a {mode:7s}: {ups:7.1f} updates/s   x{ups / ref:.2f} '
                f'of the reference, {tps:6.1f} transitions/s in   load {_load()}', flush=True
            )
    by = {m: u for m, u, _ in rows}
    if 'thread' in by and 'process' in by:
        print(f'process / thread: x{by["process"] / max(by["thread"], 1e-9):.2f}; '
              f'process / reference: x{by["process"] / ref:.2f} (target 1.0)')
    print(f'load average (1/5/15 min) before {load0}, after {_load()}')


if __name__ == '__main__':
    main()
