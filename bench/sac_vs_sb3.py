#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 robot_learning maintainers
"""Our SAC (through the ROS 2 stack and in-process) against Stable-Baselines3's SAC.

For each task (default ``Pendulum-v1``, ``InvertedPendulum-v5``; any gymnasium
continuous-control id works, ``-`` for the steps to threshold where :data:`THRESHOLDS`
has none) and seed, the rows (``--impls``, default all):

* **ours**: the ``gym_learn`` profile as a user runs it (``robot-learning up gym_learn``):
  ``gym_bridge`` (lockstep) and ``policy_node`` in one process, ``sac_learner`` in another,
  talking over DDS, with ``SAC.update`` in the learner's own update process
  (``update_process``, default true: :mod:`robot_learning.algos.sac.update_process`).
  The actor (bridge + policy node) and the learner run concurrently (overlapped);
  the bridge is kept at most ``--max-lag`` steps ahead of the learner
  (``lockstep_max_lag``, fed by ``learner/progress``) so that the policy acting at env
  step k is about as trained as SB3's.
* **ours-sync**: our SAC and replay in SB3's synchronous loop, in-process
  (``bench/sac_overlap.py``): the algorithm's speed alone.
* **ours-overlap**: a bench-only actor/learner split in-process (``bench/sac_overlap.py``):
  env stepping here, gradient steps in a spawned process, replay in shared memory,
  same UTD gate and lag cap as the ROS path.
* **sb3**: ``stable_baselines3.SAC('MlpPolicy')`` on the same env, synchronous
  (one env step, one gradient step).

updates/s is gradient steps per wall second (SB3: over its whole ``learn``; ours: while
the learner updates); ``os.getloadavg()`` is stored with each run and shown per row,
since other processes on the machine distort every figure.

Same hyperparameters where they overlap: MLP 256x256 actor and critics, batch 256,
Adam 3e-4, gamma 0.99, tau 0.005, automatic temperature from 1.0 with target entropy
-|A|, UTD 1, ``--learning-starts`` random-action steps, replay as large as the budget.
Our critic LayerNorm is whatever the learner's config says (``--set`` to change).
Threads: each side uses the cores as best it can. SB3 and ours-sync step and update in
one process: ``--threads`` torch intra-op threads (default: every core). ours and
ours-overlap run the actor beside the learner, so their update process gets
``--learner-threads`` (default: the cores left after one for the actor, at least 1;
:func:`free_cores`), so that its OpenMP threads do not wait on cores the actor process
holds (README, "Against Stable-Baselines3").

Evaluation is identical for both: every ``--eval-every`` env steps the actor then in
use is snapshotted (ours: the newest weights the policy node had received, taken from
``policy/weights``; SB3: ``model.actor``) and afterwards run deterministically for
``--eval-episodes`` episodes on a separate env with fixed seeds.

Printed and saved (``--out``, default ``runs/bench/sac_vs_sb3``): ``results.json``,
``table.md`` (return at fixed step counts, mean ± standard error over seeds; steps to
threshold; wall-clock to the budget; learner updates/s; weight send-to-active latency) and
``returns.png`` (eval return vs env steps, both implementations). Never part of the
test run; needs ``requirements-bench.txt``.

Usage::

    python bench/sac_vs_sb3.py [--envs Pendulum-v1 InvertedPendulum-v5] [--seeds 0 1 2]
        [--steps 10000] [--eval-every 1000] [--eval-episodes 5]
        [--impls ours ours-sync ours-overlap sb3 | --only IMPL] [--smoke]
"""

from __future__ import annotations

import argparse
import json
import math
import os
from pathlib import Path
import statistics
import sys
import threading
import time

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
for pkg in ('robot_learning', 'robot_learning_nodes', 'robot_learning_sim'):
    sys.path.insert(0, str(ROOT / 'src' / pkg))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import sac_overlap  # noqa: E402, I100 (after the sys.path entry)
os.environ.setdefault('ROS_AUTOMATIC_DISCOVERY_RANGE', 'LOCALHOST')
os.environ.setdefault('ROBOT_LEARNING_CONFIG', str(ROOT / 'config'))

THRESHOLDS = {'Pendulum-v1': -200.0, 'InvertedPendulum-v5': 950.0}


# --------------------------------------------------------------------------- evaluation


def evaluate(env_id: str, act, episodes: int, seed0: int = 10_000) -> float:
    """Mean undiscounted return of ``act(obs) -> env action`` over ``episodes`` episodes."""
    import gymnasium as gym

    env = gym.make(env_id)
    returns = []
    for i in range(episodes):
        obs, _ = env.reset(seed=seed0 + i)
        total, done = 0.0, False
        while not done:
            obs, reward, terminated, truncated, _ = env.step(act(obs))
            total += float(reward)
            done = terminated or truncated
        returns.append(total)
    env.close()
    return float(np.mean(returns))


# --------------------------------------------------------------------------- SB3


def free_cores(cores: int | None = None) -> int:
    """Torch threads for a learner whose actor needs a core beside it: ``cores - 1``, >= 1.

    ``cores`` None reads the CPUs this process may run on (``os.sched_getaffinity``).
    """
    if cores is None:
        cores = len(os.sched_getaffinity(0)) if hasattr(os, 'sched_getaffinity') else (
            os.cpu_count() or 1
        )
    return max(1, int(cores) - 1)


def run_sb3(env_id: str, seed: int, args) -> dict:
    import gymnasium as gym
    from stable_baselines3 import SAC
    from stable_baselines3.common.callbacks import BaseCallback
    import torch

    torch.set_num_threads(args.threads)
    env = gym.make(env_id)
    model = SAC(
        'MlpPolicy',
        env,
        learning_rate=3e-4,
        buffer_size=max(args.steps, 1000),
        learning_starts=args.learning_starts,
        batch_size=256,
        tau=0.005,
        gamma=0.99,
        train_freq=1,
        gradient_steps=1,
        ent_coef='auto',
        seed=seed,
        device='cpu',
        policy_kwargs={'net_arch': [256, 256]},
        verbose=0,
    )
    snapshots: dict[int, dict] = {}
    train_time = [0.0, 0]
    original_train = model.train

    def timed_train(gradient_steps: int, batch_size: int = 64) -> None:
        t = time.perf_counter()
        original_train(gradient_steps=gradient_steps, batch_size=batch_size)
        train_time[0] += time.perf_counter() - t
        train_time[1] += gradient_steps

    model.train = timed_train

    class Snap(BaseCallback):
        def _on_step(self) -> bool:
            if self.num_timesteps % args.eval_every == 0:
                snapshots[self.num_timesteps] = {
                    k: v.detach().clone() for k, v in model.actor.state_dict().items()
                }
            return True

    t0 = time.perf_counter()
    model.learn(total_timesteps=args.steps, callback=Snap())
    wall = time.perf_counter() - t0
    curve = {}
    for step, state in sorted(snapshots.items()):
        model.actor.load_state_dict(state)
        curve[step] = evaluate(
            env_id, lambda o: model.predict(o, deterministic=True)[0], args.eval_episodes
        )
    return {
        'wall_s': wall,
        'updates': train_time[1],
        # Gradient steps per wall second (as every row); inside train() alone as well.
        'updates_per_s': train_time[1] / wall,
        'train_updates_per_s': train_time[1] / max(train_time[0], 1e-9),
        'curve': curve,
    }


# --------------------------------------------------------------------------- ours


class _Watcher:
    """Counts env steps from ``episode``, keeps the newest weights and the learner progress."""

    def __init__(self, node, budget: int, eval_every: int):
        from diagnostic_msgs.msg import DiagnosticArray
        from robot_learning_nodes.common import DEEP_RELIABLE_QOS, LATCHED_QOS
        from std_msgs.msg import UInt64, UInt8MultiArray

        self.budget, self.eval_every = budget, eval_every
        self.steps = 0
        self.t_first_step: float | None = None
        self.latest_blob: bytes | None = None
        self.snapshots: dict[int, bytes] = {}
        self.progress: list[tuple[float, int]] = []
        self.latency_ms: list[float] = []
        self._seen: set[int] = set()
        node.create_subscription(DiagnosticArray, 'episode', self._on_episode, DEEP_RELIABLE_QOS)
        node.create_subscription(UInt8MultiArray, 'policy/weights', self._on_weights, LATCHED_QOS)
        node.create_subscription(UInt64, 'learner/progress', self._on_progress, 10)
        node.create_subscription(DiagnosticArray, '/diagnostics', self._on_diag, 10)

    def _on_weights(self, msg) -> None:
        self.latest_blob = msg.data.tobytes() if hasattr(msg.data, 'tobytes') else bytes(msg.data)

    def _on_progress(self, msg) -> None:
        self.progress.append((time.perf_counter(), int(msg.data)))

    def _on_diag(self, msg) -> None:
        for st in msg.status:
            if 'policy_node' in st.name:
                for kv in st.values:
                    if kv.key == 'weights_latency_ms':
                        self.latency_ms.append(float(kv.value))

    def _on_episode(self, msg) -> None:
        from robot_learning.common.features import step_info_from_msg

        info = step_info_from_msg(msg)
        if info.prev_stamp < 0 or info.stamp in self._seen:
            return  # an episode start or a lockstep resend: not a step
        self._seen.add(info.stamp)
        self.steps += 1
        if self.t_first_step is None:
            self.t_first_step = time.perf_counter()
        if (
            self.steps % self.eval_every == 0
            and self.steps <= self.budget
            and self.latest_blob is not None
        ):
            self.snapshots[self.steps] = self.latest_blob


def run_ours(env_id: str, seed: int, args, out: Path) -> dict:
    import rclpy
    from rclpy.executors import SingleThreadedExecutor
    from robot_learning.policy import policy_from_bytes
    from robot_learning_bringup.launcher import ProfileProcesses

    run_dir = out / 'ours' / env_id / f'seed{seed}'
    overrides = [
        f'gym_bridge.env_id={env_id}',
        f'gym_bridge.seed={seed}',
        'gym_bridge.lockstep_max_rate=0.0',
        f'gym_bridge.lockstep_max_lag={args.max_lag}',
        f'gym_bridge.max_steps={args.steps}',
        f'sac_learner.run_dir={run_dir}',
        f'sac_learner.sac.seed={seed}',
        'sac_learner.resume=false',
        f'sac_learner.warmup_transitions={args.learning_starts}',
        'sac_learner.push_every=10',
        f'sac_learner.max_env_steps={args.steps}',
        f'sac_learner.buffer_capacity={max(args.steps, 1000)}',
        'sac_learner.checkpoint_every=0',
        f'sac_learner.torch_threads={args.learner_threads}',
        'policy_node.deterministic=false',
        *args.set,
    ]
    domain = str(90 + seed % 10)
    os.environ['ROS_DOMAIN_ID'] = domain
    rclpy.init()
    node = rclpy.create_node('sac_vs_sb3_watcher')
    watcher = _Watcher(node, args.steps, args.eval_every)
    ex = SingleThreadedExecutor()
    ex.add_node(node)
    stop = threading.Event()
    spinner = threading.Thread(
        target=lambda: [ex.spin_once(timeout_sec=0.05) for _ in iter(stop.is_set, True)],
        daemon=True,
    )
    spinner.start()
    procs = ProfileProcesses(
        'gym_learn', overrides, log_dir=run_dir / 'logs', env={'ROS_DOMAIN_ID': domain}
    )
    t_start = time.perf_counter()
    done_at = None
    try:
        while time.perf_counter() - t_start < args.timeout:
            if procs.failed():
                raise RuntimeError(
                    f'a process exited early: {procs.failed()}; logs in {run_dir / "logs"}'
                )
            trained = watcher.progress[-1][1] if watcher.progress else 0
            if watcher.steps >= args.steps and trained >= args.steps - 10:
                done_at = watcher.progress[-1][0]
                break
            time.sleep(0.05)
    finally:
        procs.stop()
        stop.set()
        spinner.join(2.0)
        node.destroy_node()
        rclpy.try_shutdown()
    if done_at is None:
        raise RuntimeError(
            f'{env_id} seed {seed}: not done within {args.timeout} s '
            f'({watcher.steps} steps, progress {watcher.progress[-1:]}); logs in '
            f'{run_dir / "logs"}'
        )
    t0 = watcher.t_first_step or t_start
    prog = [p for p in watcher.progress if p[1] > 0]
    ups = (
        (prog[-1][1] - prog[0][1]) / max(prog[-1][0] - prog[0][0], 1e-9)
        if len(prog) > 1
        else float('nan')
    )
    curve = {}
    for step, blob in sorted(watcher.snapshots.items()):
        policy = policy_from_bytes(blob)
        curve[step] = evaluate(
            env_id,
            lambda o: policy.act_cfg.to_command(policy.act_vector(np.asarray(o, np.float32))),
            args.eval_episodes,
        )
    return {
        'wall_s': done_at - t0,
        'wall_with_startup_s': done_at - t_start,
        'updates': prog[-1][1] if prog else 0,
        'updates_per_s': ups,
        'curve': curve,
        'weights_latency_ms': {
            'median': statistics.median(watcher.latency_ms) if watcher.latency_ms else None,
            'max': max(watcher.latency_ms) if watcher.latency_ms else None,
            'samples': len(watcher.latency_ms),
        },
    }


# --------------------------------------------------------------------------- report


def _mean_se(values):
    values = [v for v in values if v is not None and not math.isnan(v)]
    if not values:
        return float('nan'), float('nan')
    m = float(np.mean(values))
    se = float(np.std(values, ddof=1) / math.sqrt(len(values))) if len(values) > 1 else 0.0
    return m, se


def steps_to(curve: dict, threshold: float | None):
    """First evaluated step whose return reaches ``threshold``; None if never or unknown."""
    if threshold is None:
        return None
    for step in sorted(curve):
        if curve[step] >= threshold:
            return step
    return None


IMPLS = ('ours', 'ours-sync', 'ours-overlap', 'sb3')
LABELS = {
    'ours': 'ours, ROS 2 (gym_learn: actor and learner processes overlap)',
    'ours-sync': 'ours, in-process synchronous (SB3 loop)',
    'ours-overlap': 'ours, in-process overlapped (bench-only actor/learner split)',
    'sb3': 'Stable-Baselines3 (synchronous)',
}


def _curve_at(run: dict, step: int):
    return run['curve'].get(step, run['curve'].get(str(step)))


def report(results: dict, args, out: Path) -> str:
    """Markdown tables: return at fixed steps, steps to threshold, wall, updates/s.

    Any environment id gives a table: one without a threshold in :data:`THRESHOLDS`
    shows ``-`` for the steps to threshold.
    """
    lines = [
        f'# Our SAC vs Stable-Baselines3 — {args.steps} env steps, '
        f'seeds {args.seeds}, eval {args.eval_episodes} episodes every {args.eval_every} steps, '
        f'torch threads: sb3 and ours-sync {args.threads}, the learner of ours and '
        f'ours-overlap {getattr(args, "learner_threads", args.threads)} (actor 1); '
        'updates/s = gradient steps per wall second while updating',
        '',
    ]
    for key, text in LABELS.items():
        lines.append(f'- {key}: {text}')
    lines.append('')
    # Fixed step counts on the evaluation grid (multiples of --eval-every).
    grid = list(range(args.eval_every, args.steps + 1, args.eval_every)) or [args.steps]
    marks = sorted({grid[max(0, len(grid) // 5 - 1)], grid[max(0, len(grid) // 2 - 1)], grid[-1]})
    for env_id, by_impl in results.items():
        thr = THRESHOLDS.get(env_id)
        lines += [
            f'## {env_id}',
            '',
            '| | '
            + ' | '.join(f'return @ {m}' for m in marks)
            + f' | steps to {"-" if thr is None else thr} | wall-clock s | updates/s | load |',
            '|---|' + '---|' * (len(marks) + 4),
        ]
        summary = {}
        for impl in IMPLS:
            runs = by_impl.get(impl) or []
            if not runs:
                continue
            cells = []
            row = summary.setdefault(impl, {})
            for m in marks:
                mean, se = _mean_se([_curve_at(r, m) for r in runs])
                cells.append(f'{mean:.1f} ± {se:.1f}')
                row[m] = (mean, se)
            reach = [steps_to({int(k): v for k, v in r['curve'].items()}, thr) for r in runs]
            reach_txt = (
                '-' if thr is None else ', '.join('—' if s is None else str(s) for s in reach)
            )
            wall = _mean_se([r['wall_s'] for r in runs])
            ups = _mean_se([r['updates_per_s'] for r in runs])
            loads = [r['load'][0] for r in runs if r.get('load')]
            load_txt = f'{min(loads):.1f}-{max(loads):.1f}' if loads else '?'
            row['wall'], row['ups'] = wall[0], ups[0]
            row['final'] = {r.get('seed'): _curve_at(r, args.steps) for r in runs}
            lines.append(
                f'| {impl} | '
                + ' | '.join(cells)
                + f' | {reach_txt} | {wall[0]:.0f} ± {wall[1]:.0f} | {ups[0]:.0f} | {load_txt} |'
            )
        lines.append('')
        s = summary.get('sb3')
        final = args.steps
        for impl in IMPLS[:-1]:
            o = summary.get(impl)
            if not o or not s:
                continue
            within = o[final][0] >= s[final][0] - max(s[final][1], o[final][1])
            seeds = sorted(set(o['final']) & set(s['final']), key=str)
            per_seed = ', '.join(
                f'seed {k}: {_fmt(o["final"][k])} vs {_fmt(s["final"][k])}' for k in seeds
            )
            lines += [
                f'- {impl}: return at {final} {o[final][0]:.1f} vs SB3 {s[final][0]:.1f} '
                f'({"within one SE or better" if within else "worse by more than one SE"}; '
                f'{per_seed}); wall-clock / SB3 {_ratio(o["wall"], s["wall"])} (target <= 0.75); '
                f'updates/s / SB3 {_ratio(o["ups"], s["ups"])} (target >= 1.5)'
            ]
        lat = [r.get('weights_latency_ms', {}).get('max') for r in by_impl.get('ours') or []]
        lat = [v for v in lat if v is not None]
        med = [r.get('weights_latency_ms', {}).get('median') for r in by_impl.get('ours') or []]
        med = [v for v in med if v is not None]
        if lat:
            lines.append(
                f'- weight push send -> active (policy node, sampled at 1 Hz): median '
                f'{statistics.median(med):.1f} ms, max {max(lat):.1f} ms (target <= 50 ms)'
            )
        lines.append('')
    return '\n'.join(lines)


def _fmt(value) -> str:
    return '?' if value is None else f'{value:.0f}'


def _ratio(a: float, b: float) -> str:
    return f'{a / b:.2f}' if b and not (math.isnan(a) or math.isnan(b)) else '?'


def plot(results: dict, args, out: Path) -> Path:
    import matplotlib

    matplotlib.use('Agg')
    import matplotlib.pyplot as plt

    envs = list(results)
    fig, axes = plt.subplots(1, len(envs), figsize=(6 * len(envs), 4), squeeze=False)
    for ax, env_id in zip(axes[0], envs):
        colours = ('tab:blue', 'tab:green', 'tab:purple', 'tab:orange')
        for impl, colour in zip(IMPLS, colours):
            runs = results[env_id].get(impl) or []
            if not runs:
                continue
            steps = sorted({int(k) for r in runs for k in r['curve']})
            stats = [
                _mean_se([_curve_at(r, s) for r in runs]) for s in steps
            ]
            mean = np.array([m for m, _ in stats])
            se = np.array([e for _, e in stats])
            ax.plot(steps, mean, color=colour, label=f'{impl}, {len(runs)} seeds')
            ax.fill_between(steps, mean - se, mean + se, color=colour, alpha=0.2)
        if env_id in THRESHOLDS:
            ax.axhline(THRESHOLDS[env_id], color='grey', ls=':', lw=1)
        ax.set_title(env_id)
        ax.set_xlabel('environment steps')
        ax.set_ylabel(f'eval return (deterministic, {args.eval_episodes} episodes)')
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    fig.tight_layout()
    path = out / 'returns.png'
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def _smoke_results(args) -> dict:
    """Made-up results of every row for ``args.envs`` (for ``--smoke``)."""
    grid = range(args.eval_every, args.steps + 1, args.eval_every)
    runs = {}
    for i, impl in enumerate(IMPLS):
        runs[impl] = [
            {
                'seed': seed,
                'wall_s': 60.0 + i + seed,
                'updates_per_s': 150.0 - i,
                'load': [1.0, 1.0, 1.0],
                'curve': {str(k): float(k) / 10 + seed for k in grid},
            }
            for seed in args.seeds
        ]
    return {env_id: runs for env_id in args.envs}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    ap.add_argument('--envs', nargs='+', default=['Pendulum-v1', 'InvertedPendulum-v5'])
    ap.add_argument('--seeds', nargs='+', type=int, default=[0, 1, 2])
    ap.add_argument('--steps', type=int, default=10_000)
    ap.add_argument('--eval-every', type=int, default=1000)
    ap.add_argument('--eval-episodes', type=int, default=5)
    ap.add_argument('--learning-starts', type=int, default=100)
    ap.add_argument(
        '--max-lag',
        type=int,
        default=150,
        help='gym_bridge lockstep_max_lag (steps the actor may run ahead)',
    )
    ap.add_argument(
        '--threads',
        type=int,
        default=free_cores() + 1,
        help='torch intra-op threads of SB3 and ours-sync (default: every core)',
    )
    ap.add_argument(
        '--learner-threads',
        type=int,
        default=free_cores(),
        help='torch threads of the update process of ours and ours-overlap (default: the '
        'cores left after one for the actor)',
    )
    ap.add_argument('--only', choices=IMPLS, help='run this implementation only')
    ap.add_argument(
        '--impls', nargs='+', choices=IMPLS, default=list(IMPLS), help='rows to run (default all)'
    )
    ap.add_argument(
        '--push-every', type=int, default=10, help='ours-overlap: updates between weight pushes'
    )
    ap.add_argument(
        '--smoke',
        action='store_true',
        help='run nothing: print the report of made-up results for --envs (checks the table '
        'for any environment id, e.g. one without a threshold)',
    )
    ap.add_argument(
        '--set', action='append', default=[], help='extra profile override node.param=value'
    )
    ap.add_argument('--timeout', type=float, default=1200.0, help='per run (s)')
    ap.add_argument('--out', type=Path, default=ROOT / 'runs' / 'bench' / 'sac_vs_sb3')
    args = ap.parse_args(argv)
    if args.threads < 1 or args.learner_threads < 1:
        ap.error('--threads and --learner-threads must be >= 1')
    if args.only:
        args.impls = [args.only]
    if args.smoke:
        print(report(_smoke_results(args), args, args.out))
        return 0
    try:
        import stable_baselines3  # noqa: F401
    except ImportError:
        if 'sb3' in args.impls:
            print(
                'sac_vs_sb3: stable-baselines3 is not installed: pip install -r '
                'requirements-bench.txt',
                file=sys.stderr,
            )
            return 2
    args.out.mkdir(parents=True, exist_ok=True)
    results_file = args.out / 'results.json'
    results: dict = json.loads(results_file.read_text()) if results_file.is_file() else {}
    for env_id in args.envs:
        for seed in args.seeds:
            for impl in IMPLS:
                if impl not in args.impls:
                    continue
                t = time.perf_counter()
                if impl == 'ours':
                    r = run_ours(env_id, seed, args, args.out)
                elif impl == 'ours-sync':
                    r = sac_overlap.run_sync(env_id, seed, args, evaluate)
                elif impl == 'ours-overlap':
                    r = sac_overlap.run_overlap(env_id, seed, args, evaluate)
                else:
                    r = run_sb3(env_id, seed, args)
                r['seed'] = seed
                r['load'] = list(os.getloadavg())
                runs = results.setdefault(env_id, {}).setdefault(impl, [])
                runs[:] = [x for x in runs if x.get('seed') != seed] + [r]
                last = max(r['curve'], key=int) if r['curve'] else None
                print(
                    f'{env_id} seed {seed} {impl}: wall {r["wall_s"]:.0f} s, updates/s '
                    f'{r["updates_per_s"]:.0f}, load {r["load"][0]:.2f}, '
                    f'final eval {r["curve"].get(last) if last is not None else None} '
                    f'({time.perf_counter() - t:.0f} s with evaluation)',
                    flush=True,
                )
                results_file.write_text(json.dumps(results, indent=1))
    text = report({e: results[e] for e in args.envs if e in results}, args, args.out)
    (args.out / 'table.md').write_text(text)
    png = plot({e: results[e] for e in args.envs if e in results}, args, args.out)
    print(text)
    print(f'wrote {results_file}, {args.out / "table.md"}, {png}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
