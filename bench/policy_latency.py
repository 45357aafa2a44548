#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 robot_learning maintainers
"""Observation -> command latency of the policy node, against a bare rclpy echo node.

Usage::

    python bench/policy_latency.py [--steps 5000] [--warmup 200] [--servers echo,mlp,bc]

One driver process publishes one synchronized observation at a time (``odom``,
``detections``, the camera's ``observation/image`` for the BC policy, then
``observation/scan``, the trigger), waits for the answer on ``cmd_vel`` and only then
publishes the next. Latency = from just before the scan is published to the command's
arrival in the driver (``time.perf_counter``), so both processes' rclpy/DDS overhead is
in it. Each server runs in its own process, as in deployment, one after another in the
same run:

* ``echo``: a bare rclpy node answering every ``observation/scan`` with a TwistStamped:
  the transport floor;
* ``mlp``: ``policy_node`` with a SAC actor (256x256 MLP, 32 inputs), TwistStamped out,
  the whole safety layer on (bounds, acceleration limits, stop gate);
* ``bc``: ``policy_node`` with the camera behaviour-cloning policy (``BCConfig()``
  defaults: 64x48 rgb, history of 3 frames, FiLM conv net), untrained weights (the same
  work as trained ones).

Prints p50/p90/p99/max (ms) per server, and the policy node's own share (p50 minus the
echo's). The target of issue 8 is p99 <= 5 ms for the MLP. Tails are the scheduler's as
much as the node's: the header line gives the load average, and the echo row shows what
the machine alone costs.

Measured (2 shared CPUs, 2026-12-01): at load average ~2, echo p50/p99 1.3/1.9 ms, MLP
2.4/6.8 ms, BC 9.0/15.8 ms (300 steps); at load ~8, 5000 steps: echo 0.9/11.2, MLP
4.0/17.7, BC 12.9/50.0 ms. Inside the node an MLP step costs ~0.7 ms p50 (in-process
profile: observation encoding 0.26 ms, actor 0.2 ms, three publishes 0.13 ms); the rest
is rclpy's executor (three subscriptions complete one observation) and DDS.
At load average 0.8, 5000 steps (2026-12-01 22:11): echo p50/p99 0.81/1.89 ms, MLP
2.94/5.44 ms (p99 target not met by ~0.4 ms; node share of p50 2.1 ms).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from types import SimpleNamespace

_STEP_TIMEOUT_S = 2.0


def _make_checkpoints(root: str) -> dict[str, str]:
    import numpy as np
    from robot_learning.algos.bc import BCConfig, BCTrainer
    from robot_learning.common.checkpoint import save_checkpoint
    from robot_learning.common.features import ActionConfig, ObservationConfig
    from robot_learning.common.networks import SquashedGaussianActor
    from robot_learning.policy import ACTOR_PREFIX, policy_metadata
    import torch

    obs, act = ObservationConfig(), ActionConfig()
    torch.manual_seed(0)
    actor = SquashedGaussianActor(obs.dim, 2, (256, 256))
    mlp = save_checkpoint(
        os.path.join(root, 'mlp'),
        {ACTOR_PREFIX + k: v for k, v in actor.state_dict().items()},
        policy_metadata(obs, act, (256, 256), 'sac'),
    )
    cfg = BCConfig()
    n, rng = 8, np.random.default_rng(0)
    frames = {
        'image': rng.integers(0, 255, (n, cfg.image_height, cfg.image_width, 3), np.uint8),
        'sectors': rng.uniform(0.5, 3.5, (n, obs.num_sectors)).astype(np.float32),
        'detections': np.full((n, 3, 2), np.nan, np.float32),
        'velocity': np.zeros((n, 2), np.float32),
        'observation': np.zeros((n, obs.dim), np.float32),
        'instruction': np.zeros(n, np.int64),
        'episode': np.zeros(n, np.int64),
        'prev': np.maximum(np.arange(n) - 1, 0),
    }
    trans = {
        'obs': np.arange(n - 1),
        'next_obs': np.arange(1, n),
        'action': rng.uniform(-1, 1, (n - 1, 2)).astype(np.float32),
        'reward': np.zeros(n - 1),
        'terminated': np.zeros(n - 1, bool),
        'truncated': np.zeros(n - 1, bool),
        'intervention': np.zeros(n - 1, bool),
        'episode': np.zeros(n - 1, np.int64),
    }
    data = SimpleNamespace(
        frames=frames, transitions=trans, instructions=['go to the red pillar']
    )
    bc = BCTrainer(data, cfg, obs, act, np.arange(n - 1)).save(os.path.join(root, 'bc'))
    return {'mlp': str(mlp), 'bc': str(bc)}


def _serve(kind: str, ns: str, checkpoint: str) -> None:
    """Child process: run one server node until killed."""
    from geometry_msgs.msg import TwistStamped
    import rclpy
    from rclpy.executors import ExternalShutdownException
    from rclpy.parameter import Parameter
    from robot_learning_nodes.common import COMMAND_QOS, SENSOR_QOS
    from sensor_msgs.msg import LaserScan

    rclpy.init()
    if kind == 'echo':
        node = rclpy.create_node('echo', namespace=ns)
        pub = node.create_publisher(TwistStamped, 'cmd_vel', COMMAND_QOS)

        def on_scan(_msg):
            out = TwistStamped()
            out.header.stamp = node.get_clock().now().to_msg()
            out.header.frame_id = 'base_link'
            pub.publish(out)

        node.create_subscription(LaserScan, 'observation/scan', on_scan, SENSOR_QOS)
    else:
        from robot_learning_nodes.policy_node import PolicyNode

        node = PolicyNode(
            namespace=ns,
            parameter_overrides=[
                Parameter('checkpoint', value=checkpoint),
                Parameter('accept_weights', value=False),
                Parameter('observation_timeout', value=30.0),
                Parameter('max_linear_accel', value=2.5),
                Parameter('max_linear_decel', value=2.5),
                Parameter('max_angular_accel', value=3.2),
                Parameter('max_angular_decel', value=3.2),
            ],
        )
    print('ready', flush=True)
    try:
        rclpy.spin(node)
    except (KeyboardInterrupt, ExternalShutdownException):
        pass
    finally:
        node.destroy_node()
        rclpy.try_shutdown()


def _drive(ns: str, steps: int, warmup: int, kind: str) -> tuple[list[float], int]:
    """Driver: returns per-step latencies (s) and the number of unanswered steps."""
    from geometry_msgs.msg import Pose, PoseArray, TwistStamped
    from nav_msgs.msg import Odometry
    import numpy as np
    import rclpy
    from rclpy.executors import SingleThreadedExecutor
    from robot_learning_nodes.common import COMMAND_QOS, LATCHED_QOS, SENSOR_PUB_QOS
    from sensor_msgs.msg import Image, LaserScan
    from std_msgs.msg import String

    node = rclpy.create_node('latency_driver', namespace=ns)
    ex = SingleThreadedExecutor()
    ex.add_node(node)
    got = []
    node.create_subscription(
        TwistStamped, 'cmd_vel', lambda _m: got.append(time.perf_counter()), COMMAND_QOS
    )
    pubs = {
        'scan': node.create_publisher(LaserScan, 'observation/scan', SENSOR_PUB_QOS),
        'odom': node.create_publisher(Odometry, 'odom', SENSOR_PUB_QOS),
        'det': node.create_publisher(PoseArray, 'detections', SENSOR_PUB_QOS),
        'image': node.create_publisher(Image, 'observation/image', SENSOR_PUB_QOS),
    }
    instr = node.create_publisher(String, 'instruction', LATCHED_QOS)
    instr.publish(String(data='go to the red pillar'))
    with_image = kind == 'bc'
    wanted = ('scan',) if kind == 'echo' else ('scan', 'odom', 'det')
    wanted += ('image',) if with_image else ()
    end = time.monotonic() + 30.0
    while not all(pubs[k].get_subscription_count() for k in wanted):
        ex.spin_once(timeout_sec=0.05)
        if time.monotonic() > end:
            raise SystemExit('policy_latency: the server did not subscribe within 30 s')
    scan, odom, det = LaserScan(), Odometry(), PoseArray()
    scan.ranges = np.full(24, 2.0, np.float32).tolist()
    det.poses = [Pose() for _ in range(3)]
    for i, p in enumerate(det.poses):
        p.position.x, p.position.y = 1.0 + i, 0.5
    img = Image(height=48, width=64, encoding='rgb8', step=64 * 3)
    img.data = np.random.default_rng(0).integers(0, 255, 48 * 64 * 3, np.uint8).tobytes()
    lat, lost = [], 0
    for k in range(warmup + steps):
        sec, nsec = 1000 + k // 10, (k % 10) * 100_000_000
        for m in (scan, odom, det, img):
            m.header.stamp.sec, m.header.stamp.nanosec = sec, nsec
        pubs['odom'].publish(odom)
        pubs['det'].publish(det)
        if with_image:
            pubs['image'].publish(img)
        n = len(got)
        t0 = time.perf_counter()
        pubs['scan'].publish(scan)
        deadline = time.monotonic() + _STEP_TIMEOUT_S
        while len(got) == n and time.monotonic() < deadline:
            ex.spin_once(timeout_sec=_STEP_TIMEOUT_S)
        if len(got) == n:
            lost += 1  # best-effort sensor QoS may drop one: the next step goes on
        elif k >= warmup:
            lat.append(got[n] - t0)
    ex.remove_node(node)
    node.destroy_node()
    return lat, lost


def _stats(lat: list[float]) -> dict[str, float]:
    import numpy as np

    ms = 1e3 * np.asarray(lat)
    return {
        'p50': float(np.percentile(ms, 50)),
        'p90': float(np.percentile(ms, 90)),
        'p99': float(np.percentile(ms, 99)),
        'max': float(ms.max()),
    }


def main() -> None:
    """Run every server in turn and print its latency percentiles."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--steps', type=int, default=5000, help='measured steps per server')
    ap.add_argument('--warmup', type=int, default=200, help='steps before measuring')
    ap.add_argument('--servers', default='echo,mlp,bc', help='comma list of echo, mlp, bc')
    ap.add_argument('--serve', help=argparse.SUPPRESS)
    ap.add_argument('--ns', help=argparse.SUPPRESS)
    ap.add_argument('--checkpoint', default='', help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.serve:
        _serve(args.serve, args.ns, args.checkpoint)
        return
    servers = [s for s in args.servers.split(',') if s]
    unknown = set(servers) - {'echo', 'mlp', 'bc'}
    if unknown or args.steps < 1 or args.warmup < 0:
        raise SystemExit(
            f'policy_latency: --servers takes echo, mlp, bc (got {sorted(unknown)}); '
            '--steps >= 1, --warmup >= 0'
        )
    import rclpy

    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        ckpts = _make_checkpoints(tmp)
        rclpy.init()
        try:
            for kind in servers:
                ns = f'/latency_{os.getpid()}_{kind}'
                child = subprocess.Popen(
                    [sys.executable, __file__, '--serve', kind, '--ns', ns,
                     '--checkpoint', ckpts.get(kind, '')],
                    stdout=subprocess.PIPE,
                    text=True,
                )
                try:
                    if child.stdout.readline().strip() != 'ready':
                        raise SystemExit(f'policy_latency: the {kind} server did not start')
                    lat, lost = _drive(ns, args.steps, args.warmup, kind)
                finally:
                    child.terminate()
                    child.wait(timeout=10)
                results[kind] = (_stats(lat), len(lat), lost)
        finally:
            rclpy.try_shutdown()
    load = os.getloadavg()[0]
    print(f'observation -> cmd_vel latency, ms ({args.steps} steps each, {args.warmup} '
          f'warm-up, {os.cpu_count()} CPUs, load average {load:.1f})')
    print(f'{"server":8s} {"p50":>7s} {"p90":>7s} {"p99":>7s} {"max":>8s} {"steps":>6s} '
          f'{"lost":>5s}')
    for kind, (st, n, lost) in results.items():
        print(f'{kind:8s} {st["p50"]:7.3f} {st["p90"]:7.3f} {st["p99"]:7.3f} {st["max"]:8.3f} '
              f'{n:6d} {lost:5d}')
    if 'echo' in results:
        base = results['echo'][0]['p50']
        for kind in ('mlp', 'bc'):
            if kind in results:
                print(f'{kind}: policy node share of p50 {results[kind][0]["p50"] - base:.3f} ms')
    if 'mlp' in results:
        p99 = results['mlp'][0]['p99']
        print(f'target p99 <= 5 ms for the MLP: {"met" if p99 <= 5.0 else "NOT met"} '
              f'({p99:.3f} ms)')


if __name__ == '__main__':
    main()
