#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 robot_learning maintainers
"""Which SAC options pay off: baseline vs critic LayerNorm vs REDQ vs n-step, in-process.

A gymnasium loop without ROS (default Pendulum-v1; any env with Box observation and
action spaces works, e.g. ``--env InvertedPendulum-v5``) trains
``robot_learning.algos.sac.modeling_sac.SAC``
with Stable-Baselines3-like settings (RL Zoo ``hyperparams/sac.yml`` for Pendulum:
batch 256, buffer = all steps, ``learning_starts`` 100 uniform random actions, one
gradient step per environment step, learning rate 1e-3, 256x256 MLPs, gamma 0.99,
tau 0.005, automatic temperature) and evaluates the deterministic policy
(``tanh(mean)``) every ``--eval-every`` steps on ``--eval-episodes`` episodes whose
reset seeds are the same for every run. Actions are normalised to [-1, 1] and scaled to
the env's bounds.

Variants (each changes one thing relative to ``baseline``):

- ``baseline``: SB3's SAC: twin critics, no LayerNorm, 1-step targets.
- ``layernorm``: ``critic_layer_norm=True`` (RLPD, Ball et al. 2023).
- ``redq``: ``num_critics=10, num_target_critics=2`` (REDQ, Chen et al. 2021) at UTD 1.
  REDQ's UTD of 20 is out of reach on this CPU: an N=10 update takes ~35 ms (1 thread),
  so UTD 20 would be ~0.7 s per environment step.
- ``nstep3``: ``n_step=3`` through ``buffers.NStepAccumulator`` (Sutton & Barto 2018
  sec. 7.1; Rainbow, D4PG).
- ``ln+nstep3``: the two together (the combination the defaults would give).

Prints one table row per variant: deterministic evaluation return, mean +- standard
error over seeds (each seed's value is the mean over its evaluation episodes), at each
evaluation step, the mean over all evaluation points (area under the curve / points),
and the training wall-clock (environment + updates, evaluation excluded). Writes
``results.json`` (every run, appended as runs finish: an interrupted study resumes)
and ``curves.png`` under ``--out`` (default ``runs/bench/sac_options``).

Usage::

    nice -n 10 python bench/sac_options.py [--env Pendulum-v1] [--steps 5000]
        [--seeds 0 1 2] [--variants baseline layernorm redq nstep3] [--workers 2]

Never part of the test run.

Measured (Pendulum-v1, 5000 steps, 3 seeds, 5 evaluation episodes, 2 shared cores,
1 torch thread per run, 2 runs at a time; ~20 CPU-minutes)::

  variant    @1000       @2000       @3000       @4000       @5000    mean       train s  update ms
  baseline   -1591 ± 35  -810 ± 51   -451 ± 174  -305 ± 193  -98 ± 0  -651 ± 58       67       13.1
  layernorm  -1372 ± 36  -604 ± 73   -126 ± 0    -107 ± 8    -98 ± 0  -461 ± 12       59       11.5
  redq       -1587 ± 27  -805 ± 40   -226 ± 97   -388 ± 263  -98 ± 0  -621 ± 74      175       35.0
  nstep3     -936 ± 146  -412 ± 300  -98 ± 1     -98 ± 1     -97 ± 1  -328 ± 41       55       10.7
  ln+nstep3  -512 ± 324  -107 ± 9    -106 ± 9    -106 ± 8    -97 ± 0  -186 ± 62       52       10.3

Every variant solves Pendulum by 5000 steps; they differ in how fast. LayerNorm and
3-step returns each learn faster than the baseline, and together fastest, so both are
on by default (``SACConfig.critic_layer_norm``, ``SACConfig.n_step``); REDQ at UTD 1
learns no faster and costs ~3x the time per update, so it stays off
(``num_critics = 2``). One environment and 3 seeds: a smoke test of the options, not
a benchmark result for the robot task. (Update ms of the first runs include machine
load from other jobs.)
"""

from __future__ import annotations

import argparse
from concurrent.futures import as_completed, ProcessPoolExecutor
import json
import math
import multiprocessing
from pathlib import Path
import sys
import time

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / 'src' / 'robot_learning'))

VARIANTS: dict[str, dict] = {
    'baseline': {},
    'layernorm': {'critic_layer_norm': True},
    'redq': {'num_critics': 10, 'num_target_critics': 2},
    'nstep3': {'n_step': 3},
    'ln+nstep3': {'critic_layer_norm': True, 'n_step': 3},
}


def _scale(action: np.ndarray, low: np.ndarray, high: np.ndarray) -> np.ndarray:
    """[-1, 1] -> [low, high], as SB3 ``unscale_action``."""
    return low + (np.clip(action, -1.0, 1.0) + 1.0) * 0.5 * (high - low)


def _evaluate(sac, env_id: str, episodes: int) -> float:
    import gymnasium as gym

    env = gym.make(env_id)
    low, high = env.action_space.low, env.action_space.high
    returns = []
    for episode in range(episodes):
        obs, _ = env.reset(seed=10_000 + episode)
        total, done = 0.0, False
        while not done:
            obs, reward, terminated, truncated, _ = env.step(
                _scale(sac.act(obs, deterministic=True), low, high)
            )
            total += float(reward)
            done = terminated or truncated
        returns.append(total)
    env.close()
    return float(np.mean(returns))


def run_one(variant: str, seed: int, args: dict) -> dict:
    """Train one (variant, seed) and return its evaluation curve and timings."""
    import gymnasium as gym
    from robot_learning.algos.sac.modeling_sac import SAC, SACConfig, tune_cpu_allocator
    from robot_learning.data.buffers import NStepAccumulator, ReplayBuffer
    import torch

    torch.set_num_threads(1)
    tune_cpu_allocator()  # as the learner node and the train CLI do
    env = gym.make(args['env'])
    obs_dim = int(np.prod(env.observation_space.shape))
    action_dim = int(np.prod(env.action_space.shape))
    low, high = env.action_space.low, env.action_space.high
    fields = {
        'obs_dim': obs_dim,
        'action_dim': action_dim,
        'batch_size': args['batch'],
        'actor_lr': args['lr'],
        'critic_lr': args['lr'],
        'alpha_lr': args['lr'],
        'seed': seed,
        # The baseline is SB3's SAC whatever SACConfig's defaults are; variants change one thing.
        'critic_layer_norm': False,
        'num_critics': 2,
        'num_target_critics': 2,
        'n_step': 1,
    }
    fields.update(VARIANTS[variant])
    cfg = SACConfig(**fields)
    sac = SAC(cfg)
    buffer = ReplayBuffer(obs_dim, action_dim, args['steps'], seed=cfg.seed)
    accumulator = NStepAccumulator(cfg.n_step, cfg.gamma)
    rng = np.random.default_rng(cfg.seed)
    obs, _ = env.reset(seed=cfg.seed)
    curve, train_s, update_s = [], 0.0, 0.0
    start = time.perf_counter()
    for step in range(1, args['steps'] + 1):
        if step <= args['learning_starts']:
            action = rng.uniform(-1.0, 1.0, action_dim).astype(np.float32)
        else:
            action = sac.act(obs)
        next_obs, reward, terminated, truncated, _ = env.step(_scale(action, low, high))
        for t in accumulator.add(obs, action, reward, next_obs, terminated, truncated):
            buffer.add(t.obs, t.action, t.reward, t.next_obs, t.terminated, n_steps=t.n_steps)
        obs = env.reset()[0] if terminated or truncated else next_obs
        if step > args['learning_starts'] and len(buffer):
            u0 = time.perf_counter()
            sac.update(buffer.sample(cfg.batch_size))
            update_s += time.perf_counter() - u0
        if step % args['eval_every'] == 0:
            train_s += time.perf_counter() - start
            curve.append((step, _evaluate(sac, args['env'], args['eval_episodes'])))
            start = time.perf_counter()
    train_s += time.perf_counter() - start
    return {
        'variant': variant,
        'seed': seed,
        'env': args['env'],
        'steps': args['steps'],
        'curve': curve,
        'train_s': train_s,
        'update_ms': update_s / max(1, sac.num_updates) * 1e3,
        'config': cfg.to_dict(),
    }


def _mean_se(values: list[float]) -> tuple[float, float]:
    mean = float(np.mean(values))
    se = (
        float(np.std(values, ddof=1) / math.sqrt(len(values))) if len(values) > 1 else float('nan')
    )
    return mean, se


def _table(runs: list[dict], variants: list[str]) -> str:
    points = sorted({step for run in runs for step, _ in run['curve']})
    header = (
        f'{"variant":<11}'
        + ''.join(f'{f"@{p}":>16}' for p in points)
        + f'{"mean of evals":>16}'
        + f'{"train s/run":>13}{"update ms":>11}{"seeds":>7}'
    )
    lines = [header]
    for variant in variants:
        mine = [run for run in runs if run['variant'] == variant]
        if not mine:
            continue
        row = f'{variant:<11}'
        for p in points:
            values = [value for run in mine for step, value in run['curve'] if step == p]
            mean, se = _mean_se(values)
            row += f'{mean:>9.0f} ± {se:<4.0f}'
        auc = [float(np.mean([value for _, value in run['curve']])) for run in mine]
        mean, se = _mean_se(auc)
        row += f'{mean:>9.0f} ± {se:<4.0f}'
        row += f'{np.mean([r["train_s"] for r in mine]):>13.0f}'
        row += f'{np.mean([r["update_ms"] for r in mine]):>11.1f}'
        row += f'{len(mine):>7}'
        lines.append(row)
    return '\n'.join(lines)


def _plot(runs: list[dict], variants: list[str], path: Path) -> None:
    import matplotlib

    matplotlib.use('Agg')
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4.5))
    for variant in variants:
        mine = [run for run in runs if run['variant'] == variant]
        if not mine:
            continue
        points = sorted({step for run in mine for step, _ in run['curve']})
        stats = [_mean_se([v for run in mine for s, v in run['curve'] if s == p]) for p in points]
        mean = np.array([m for m, _ in stats])
        se = np.nan_to_num(np.array([e for _, e in stats]))
        ax.plot(points, mean, marker='o', label=f'{variant} ({len(mine)} seeds)')
        ax.fill_between(points, mean - se, mean + se, alpha=0.2)
    ax.set_xlabel('environment steps')
    ax.set_ylabel('deterministic eval return (mean ± SE)')
    ax.set_title(f'SAC options on {runs[0]["env"]}')
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--env', default='Pendulum-v1')
    parser.add_argument('--steps', type=int, default=5000)
    parser.add_argument('--seeds', type=int, nargs='+', default=[0, 1, 2])
    parser.add_argument('--variants', nargs='+', default=list(VARIANTS), choices=list(VARIANTS))
    parser.add_argument('--eval-every', type=int, default=1000)
    parser.add_argument('--eval-episodes', type=int, default=5)
    parser.add_argument('--learning-starts', type=int, default=100)
    parser.add_argument('--batch', type=int, default=256)
    parser.add_argument(
        '--lr', type=float, default=1e-3, help='all three learning rates (RL Zoo Pendulum: 1e-3)'
    )
    parser.add_argument(
        '--workers', type=int, default=2, help='runs in parallel, 1 torch thread each'
    )
    parser.add_argument('--out', type=Path, default=ROOT / 'runs' / 'bench' / 'sac_options')
    parser.add_argument(
        '--fresh', action='store_true', help='ignore runs already in <out>/results.json'
    )
    a = parser.parse_args()
    args = {
        'env': a.env,
        'steps': a.steps,
        'eval_every': a.eval_every,
        'eval_episodes': a.eval_episodes,
        'learning_starts': a.learning_starts,
        'batch': a.batch,
        'lr': a.lr,
    }
    a.out.mkdir(parents=True, exist_ok=True)
    results_path = a.out / 'results.json'
    runs: list[dict] = []
    if results_path.exists() and not a.fresh:
        runs = [
            r
            for r in json.loads(results_path.read_text())
            if r['env'] == a.env and r['steps'] == a.steps
        ]
    done = {(r['variant'], r['seed']) for r in runs}
    # Expensive variants first, so that the pool's two workers finish together.
    todo = [
        (v, s)
        for s in a.seeds
        for v in sorted(a.variants, key=lambda v: v != 'redq')
        if (v, s) not in done
    ]
    print(f'{a.env}: {len(todo)} runs to do, {len(done)} already in {results_path}', flush=True)
    context = multiprocessing.get_context('spawn')
    with ProcessPoolExecutor(max_workers=max(1, a.workers), mp_context=context) as pool:
        futures = {pool.submit(run_one, v, s, args): (v, s) for v, s in todo}
        for future in as_completed(futures):
            run = future.result()
            runs.append(run)
            results_path.write_text(json.dumps(runs, indent=1))
            last = run['curve'][-1][1] if run['curve'] else float('nan')
            print(
                f'  {run["variant"]:<11} seed {run["seed"]}: final eval {last:8.1f}, '
                f'{run["train_s"]:.0f} s, {run["update_ms"]:.1f} ms/update',
                flush=True,
            )
    runs = [r for r in runs if r['variant'] in a.variants and r['seed'] in a.seeds]
    print(
        f'\n{a.env}, {a.steps} steps, deterministic eval return (mean ± SE over seeds, '
        f'{a.eval_episodes} episodes each):'
    )
    print(_table(runs, a.variants))
    _plot(runs, a.variants, a.out / 'curves.png')
    print(f'wrote {results_path} and {a.out / "curves.png"}')


if __name__ == '__main__':
    main()
