# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 robot_learning maintainers
r"""Scripted expert over real ROS topics: success rate and lockstep steps per second.

    ROS_DOMAIN_ID=44 ROS_AUTOMATIC_DISCOVERY_RANGE=LOCALHOST MUJOCO_GL=egl \
    PYTHONPATH=src/robot_learning:src/robot_learning_nodes:src/robot_learning_sim \
    python bench/expert_ros.py [--episodes 60] [--reset service|auto]

Starts the ``env`` group of the ``sim_teleop`` profile in a child process (sim_node in
lockstep, expert_teleop, lidar/camera ingestion, policy_node forwarding teleop to
``cmd_vel``: the recording stage of the demo) and acts as the operator from this process:

* ``--reset service`` (default, like the demo's recording stage): ``autoreset`` false; after
  each terminal ``episode`` status it calls ``sim/reset`` (after ``--gap`` seconds, to let
  the sim's lockstep resends and any late command of the finished episode happen);
* ``--reset auto``: ``autoreset`` true; the command answering a terminal step starts the
  next episode.

It counts outcomes from the ``episode`` status topic and prints one line per episode with
``-v``, then the success rate, the mean episode length and the steps per wall second
(steps / time spent inside episodes). ``--world`` runs the same episodes on the ROS-free
:class:`~robot_learning_sim.world.World` loop and counts the episodes whose outcome and
length are identical over ROS (the expert is deterministic: all of them should be). The
child's log goes to ``--log`` (default: a temporary file, printed on failure).
"""

from __future__ import annotations

import argparse
import collections
import os
import signal
import subprocess
import sys
import tempfile
import time

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..')
for _pkg in ('robot_learning', 'robot_learning_nodes', 'robot_learning_sim'):
    _p = os.path.join(ROOT, 'src', _pkg)
    if _p not in sys.path:
        sys.path.insert(0, _p)
os.environ.setdefault('MUJOCO_GL', 'egl')
os.environ.setdefault('ROS_AUTOMATIC_DISCOVERY_RANGE', 'LOCALHOST')


def _world(args) -> dict[int, tuple[str, int]]:
    """Run the same episodes (ids 1..N: the ROS run starts with a reset) on the World."""
    from robot_learning_sim.expert import ExpertPolicy
    from robot_learning_sim.world import World, WorldConfig

    world = World(WorldConfig(seed=args.seed, camera_width=96, camera_height=72))
    policy, out, steps = ExpertPolicy(), {}, 0
    t0 = time.perf_counter()
    for _ in range(args.episodes):
        world.reset()
        policy.reset()
        while True:
            r = world.step(*policy.act(world.pose(), world.goal_position(), world.scan()))
            if r.terminated or r.truncated:
                break
        out[world.episode] = (r.outcome, world.episode_steps)
        steps += world.episode_steps
    dt = time.perf_counter() - t0
    n = len(out)
    succ = sum(o == 'success' for o, _ in out.values())
    print(
        f'world: success {succ}/{n} = {succ / n:.3f}, {steps / n:.1f} steps/episode, '
        f'{steps / dt:.0f} steps/s (no camera, no ROS)'
    )
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--episodes', type=int, default=60)
    ap.add_argument('--reset', choices=('service', 'auto'), default='service')
    ap.add_argument('--seed', type=int, default=0)
    ap.add_argument(
        '--gap',
        type=float,
        default=0.0,
        help='service mode: seconds between the terminal status and sim/reset',
    )
    ap.add_argument('--camera', default='96x72', help="WxH, or '0' for no camera")
    ap.add_argument('--episode-timeout', type=float, default=120.0, help='wall s per episode')
    ap.add_argument('--set', action='append', default=[], help='extra node.param=value')
    ap.add_argument('--log', default='')
    ap.add_argument('--world', action='store_true', help='also run the World-level loop')
    ap.add_argument('-v', '--verbose', action='store_true')
    args = ap.parse_args()
    world = _world(args) if args.world else None

    from diagnostic_msgs.msg import DiagnosticArray
    import rclpy
    from rclpy.executors import SingleThreadedExecutor
    from robot_learning_nodes.common import DEEP_RELIABLE_QOS
    from std_srvs.srv import Trigger

    sets = [
        'sim_node.mode=lockstep',
        f'sim_node.seed={args.seed}',
        f'sim_node.autoreset={"true" if args.reset == "auto" else "false"}',
    ]
    if args.camera == '0':
        sets.append('sim_node.camera_every=0')
    else:
        w, h = args.camera.split('x')
        sets += [f'sim_node.camera_width={int(w)}', f'sim_node.camera_height={int(h)}']
    sets += args.set
    cmd = [sys.executable, '-m', 'robot_learning_bringup.launcher', 'sim_teleop', 'env']
    for s in sets:
        cmd += ['--set', s]
    log_path = args.log or tempfile.mkstemp(prefix='expert_ros_', suffix='.log')[1]
    log = open(log_path, 'w')
    env = dict(os.environ)
    env['PYTHONPATH'] = os.pathsep.join(
        [
            os.path.join(ROOT, 'src', p)
            for p in ('robot_learning', 'robot_learning_nodes', 'robot_learning_sim')
        ]
        + ([env['PYTHONPATH']] if env.get('PYTHONPATH') else [])
    )
    child = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=env)

    rclpy.init()
    node = rclpy.create_node('expert_ros_bench')
    ex = SingleThreadedExecutor()
    ex.add_node(node)
    # Per episode id: steps, outcome, wall time of its first and terminal status.
    eps: dict[int, dict] = collections.OrderedDict()

    def on_episode(msg: DiagnosticArray) -> None:
        for st in msg.status:
            if st.name != 'episode':
                continue
            kv = {k.key: k.value for k in st.values}
            ep, step = int(kv['episode']), int(kv['step'])
            e = eps.setdefault(
                ep,
                {
                    't0': time.monotonic(),
                    'end': None,
                    'steps': 0,
                    'outcome': 'running',
                    'ret': 0.0,
                },
            )
            e['steps'] = max(e['steps'], step)
            if (kv['terminated'] == '1' or kv['truncated'] == '1') and e['end'] is None:
                e['end'] = time.monotonic()
                e['outcome'] = st.message
                e['ret'] = float(kv['return'])

    node.create_subscription(DiagnosticArray, 'episode', on_episode, DEEP_RELIABLE_QOS)
    reset = node.create_client(Trigger, 'sim/reset')

    def spin_until(cond, timeout: float) -> bool:
        end = time.monotonic() + timeout
        while not cond():
            if time.monotonic() > end or child.poll() is not None:
                return False
            ex.spin_once(timeout_sec=0.01)
        return True

    def call_reset() -> bool:
        fut = reset.call_async(Trigger.Request())
        return spin_until(fut.done, 30.0)

    counted: list[tuple[int, dict]] = []
    ok = True
    try:
        if not spin_until(lambda: reset.service_is_ready(), 60.0):
            raise RuntimeError('sim/reset never came up')
        # The sim published episode 0 before anyone listened (and, in lockstep, its resend
        # may have started it): start cleanly from a reset, like the demo's operator.
        first = None
        while len(counted) < args.episodes:
            if args.reset == 'service' or first is None:
                if first is None and not spin_until(lambda: eps, 10.0):
                    raise RuntimeError('no episode status from the sim')
                if args.gap > 0:
                    spin_until(lambda: False, args.gap)
                last = max(eps)
                if not call_reset():
                    raise RuntimeError('sim/reset failed')
                if not spin_until(lambda: max(eps) > last, 10.0):
                    raise RuntimeError('no episode started after sim/reset')
                ep = min(k for k in eps if k > last)
                first = ep if first is None else first
            else:
                if not spin_until(lambda: any(k > ep for k in eps), args.episode_timeout):
                    raise RuntimeError('autoreset: next episode never started')
                ep = min(k for k in eps if k > ep)
            if not spin_until(lambda: eps[ep]['end'] is not None, args.episode_timeout):
                raise RuntimeError(f'episode {ep} did not end within {args.episode_timeout} s')
            e = eps[ep]
            counted.append((ep, e))
            if args.verbose:
                print(
                    f'episode {ep:4d}: {e["outcome"]:8s} {e["steps"]:4d} steps '
                    f'return {e["ret"]:7.2f}  {e["end"] - e["t0"]:.2f} s',
                    flush=True,
                )
    except RuntimeError as exc:
        ok = False
        print(f'expert_ros: {exc}; child log {log_path}:', file=sys.stderr)
    finally:
        node.destroy_node()
        rclpy.try_shutdown()
        if child.poll() is None:
            child.send_signal(signal.SIGINT)
            try:
                child.wait(20)
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()
        log.close()
    if not ok:
        with open(log_path) as f:
            sys.stderr.write(f.read()[-4000:])
    if counted:
        n = len(counted)
        outc = collections.Counter(e['outcome'] for _, e in counted)
        steps = sum(e['steps'] for _, e in counted)
        wall = sum(e['end'] - e['t0'] for _, e in counted)
        print(
            f'ros ({args.reset} reset, lockstep): success {outc["success"]}/{n} = '
            f'{outc["success"] / n:.3f} (failure {outc["failure"]}, timeout {outc["timeout"]}), '
            f'{steps / n:.1f} steps/episode, {steps / max(wall, 1e-9):.1f} steps/s'
        )
        if world is not None:
            same = sum(world.get(ep) == (e['outcome'], e['steps']) for ep, e in counted)
            print(f'episodes identical to the World loop (outcome and length): {same}/{n}')
    return 0 if ok else 1


if __name__ == '__main__':
    sys.exit(main())
