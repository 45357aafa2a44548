# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 robot_learning maintainers
"""Ablation of the online-learning levers, each alone and combined, closed loop.

The learner is the one ``sac_learner`` drives (:class:`~robot_learning.algos.sac.online.
OnlineLearner`: demo buffer from the demo bags, RLPD sampling, the UTD gate), fed in one
process from the built-in world's gymnasium env with the same observation features, so a
run costs no ROS graph and two runs fit on two cores. The levers:

- ``interventions``: the scripted expert supervises (the HG-DAgger rule of
  ``expert_teleop takeover:=on_trouble``, :class:`~robot_learning_sim.takeover_rule.
  TakeoverRule`) and its steps are human transitions (online and prior-data buffers,
  HIL-SERL, Luo et al. 2024).
- ``init``: the learner starts from an offline-pretrained SAC state (``--init-from``, e.g.
  ``robot-learning train --algo sac`` with Cal-QL on the same demo bags), with critic-only
  warm-up updates (``--critic-warmup``).
- ``process``: ``SAC.update`` in its own process (``update_process``), overlapping the
  environment steps; the UTD gate still allows at most ``utd`` updates per transition,
  and the actor runs at most :data:`MAX_LAG` transitions ahead (``lockstep_max_lag``).

Variants are ``base`` (none), each lever alone, and ``all``. Every (variant, seed) runs in
its own process (``--jobs`` at a time). The learning clock is CPU time, not wall time: the
CPU seconds of the run's busiest process (the acting and learning process, or its update
process), less the evaluations. On an idle two-core machine that is the wall clock (each
process has a core); on a shared one it keeps runs that share the cores comparable. At
each ``--eval-at`` minute mark the deterministic policy (mean actions) runs
``--eval-episodes`` held-out episodes (seeds 50 000 + k, the same for every run).

Prints a table (success mean and min over seeds, per instruction at the last mark, human
steps, env steps, updates) and writes ``ablation.json`` and ``ablation.png`` to ``--out``.

    python bench/online_ablation.py --demo-bags DIR --init-from RUN/checkpoints/last
        --variants base,interventions,init,process,all --seeds 0 1 2 --jobs 2
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
from pathlib import Path
import subprocess
import sys
import time

import numpy as np

VARIANTS = {
    'base': (),
    'interventions': ('interventions',),
    'init': ('init',),
    'process': ('process',),
    'all': ('interventions', 'init', 'process'),
}
EVAL_SEED = 50_000
#: process variant: transitions the actor may run ahead of the updates (lockstep_max_lag).
MAX_LAG = 100


def _config_dir() -> Path:
    return Path(__file__).resolve().parents[1] / 'config'


def _ros_params(name: str) -> dict:
    import yaml

    doc = yaml.safe_load((_config_dir() / name).read_text())
    return next(iter(doc.values()))['ros__parameters']


def learner_configs(utd: int, seed: int):
    """SAC, observation and action configs as ``config/sac_learner.yaml`` sets them."""
    from robot_learning.algos.sac import SACConfig
    from robot_learning.common.features import ActionConfig, ObservationConfig

    p = _ros_params('sac_learner.yaml')
    obs_cfg = ObservationConfig(
        num_sectors=p['observation']['num_sectors'],
        range_max=p['observation']['range_max'],
        colors=tuple(p['observation']['colors']),
    )
    act_cfg = ActionConfig(
        linear=tuple(p['action']['linear']), angular=tuple(p['action']['angular'])
    )
    fields = {f.name for f in dataclasses.fields(SACConfig)}
    sac = {k: v for k, v in p['sac'].items() if k in fields}
    sac.update(utd_ratio=utd, seed=seed)
    cfg = SACConfig(obs_dim=obs_cfg.dim, action_dim=act_cfg.dim, **sac)
    return cfg, obs_cfg, act_cfg, p


def world_config() -> dict:
    """Return the world settings of ``config/sim_node.yaml`` that are WorldConfig fields."""
    from robot_learning_sim.world_config import WorldConfig

    fields = {f.name for f in dataclasses.fields(WorldConfig)}
    p = _ros_params('sim_node.yaml')
    out = {k: v for k, v in p.items() if k in fields}
    if 'colors' in out:
        out['colors'] = tuple(out['colors'])
    return out


class Observer:
    """The world's raw observation -> the learner's feature vector (as lidar_ingest does)."""

    def __init__(self, obs_cfg, world_cfg: dict):
        from robot_learning.common.features import encode_observation
        from robot_learning.data.ingest import scan_to_sectors

        self.cfg = obs_cfg
        self._encode, self._sectors = encode_observation, scan_to_sectors
        rays = int(world_cfg.get('lidar_rays', 360))
        self._geometry = (-np.pi, 2 * np.pi / rays, float(world_cfg.get('range_min', 0.12)))

    def __call__(self, raw: dict, instruction: str) -> np.ndarray:
        a0, inc, rmin = self._geometry
        cfg = self.cfg
        sectors = self._sectors(raw['scan'], a0, inc, rmin, cfg.range_max, cfg.num_sectors)
        return self._encode(
            sectors, raw['detections'], tuple(raw['velocity']), instruction, self.cfg
        ).astype(np.float32)


def _cpu_s(pid: int) -> float:
    """CPU seconds (user + system) of process ``pid`` so far (Linux ``/proc``)."""
    try:
        fields = Path(f'/proc/{pid}/stat').read_text().rsplit(')', 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf('SC_CLK_TCK')


def _children(pid: int) -> list[int]:
    """Return the pids of ``pid``'s child processes (the update process is one)."""
    out = []
    for stat in Path('/proc').glob('[0-9]*/stat'):
        try:
            if int(stat.read_text().rsplit(')', 1)[1].split()[1]) == pid:
                out.append(int(stat.parent.name))
        except (OSError, ValueError, IndexError):
            continue
    return out


def learning_clock(eval_cpu: float, children: list[int]) -> float:
    """CPU seconds of the busiest process of this run, less ``eval_cpu`` of this one."""
    own = time.process_time() - eval_cpu
    return max([own, *(_cpu_s(c) for c in children)])


def evaluate(env, observe, act_fn, episodes: int) -> dict:
    """Run ``episodes`` held-out episodes with ``act_fn``; success overall and per instruction."""
    per: dict[str, list[bool]] = {}
    for k in range(episodes):
        raw, info = env.reset(seed=EVAL_SEED + k)
        instruction = info['instruction']
        obs = observe(raw, instruction)
        while True:
            raw, _r, terminated, truncated, info = env.step(act_fn(obs))
            obs = observe(raw, instruction)
            if terminated or truncated:
                per.setdefault(instruction, []).append(info['outcome'] == 'success')
                break
    flat = [s for v in per.values() for s in v]
    return {
        'success': float(np.mean(flat)),
        'per_instruction': {k: float(np.mean(v)) for k, v in sorted(per.items())},
    }


def run_one(a) -> dict:
    """One (variant, seed): learn for ``max(eval_at)`` minutes; the evaluations."""
    import torch
    from robot_learning.algos.sac import OnlineConfig
    from robot_learning.algos.sac.online import OnlineLearner
    from robot_learning.data.transitions import EpisodeRecord
    from robot_learning_sim.env import WorldEnv
    from robot_learning_sim.expert import ExpertPolicy
    from robot_learning_sim.takeover_rule import TakeoverRule

    torch.set_num_threads(1)
    levers = VARIANTS[a.variant]
    sac_cfg, obs_cfg, act_cfg, p = learner_configs(a.utd, a.seed)
    run_dir = Path(a.out) / f'{a.variant}_seed{a.seed}'
    online_kwargs = {'warmup_transitions': p['warmup_transitions'], 'checkpoint_every': 0}
    if 'init' in levers and a.critic_warmup:
        online_kwargs['critic_warmup_updates'] = a.critic_warmup
    learner_kwargs = {}
    if 'process' in levers:
        learner_kwargs['update_process'] = True
    learner = OnlineLearner(
        sac_cfg,
        obs_cfg,
        act_cfg,
        run_dir,
        OnlineConfig(**online_kwargs),
        init_from=a.init_from if 'init' in levers else '',
        resume=False,
        demo_bags=[a.demo_bags],
        title=f'ablation {a.variant} seed {a.seed}',
        **learner_kwargs,
    )
    wcfg = world_config()
    env, eval_env = WorldEnv(**wcfg), WorldEnv(**wcfg)
    observe = Observer(obs_cfg, wcfg)
    expert, rule = ExpertPolicy(), TakeoverRule('on_trouble')
    world = env.world
    supervised = 'interventions' in levers
    marks = sorted(a.eval_at)
    evals, human_total, episodes, successes = [], 0, 0, []
    eval_cpu, cpu0, kids = 0.0, time.process_time(), _children(os.getpid())
    stamp, ep = 0, 0
    t_wall0 = time.monotonic()
    raw, info = env.reset(seed=a.seed * 1_000_003 + 7)
    instruction = info['instruction']
    obs = observe(raw, instruction)
    expert.reset()
    rule.reset()
    ep_return, ep_len, ep_human = 0.0, 0, 0

    def act_policy(o, deterministic):
        return learner.sac.act(o, deterministic=deterministic)

    while marks:
        action = act_policy(obs, False)
        human = False
        if supervised:
            # The expert plans every step (its planner keeps its state), drives on trouble.
            cmd = expert.act(world.pose(), world.goal_position(), world.scan())
            if rule.engaged(world.pose(), world.goal_position(), world.scan()):
                action, human = act_cfg.from_twist(*cmd), True
        v, w = act_cfg.to_twist(np.clip(action, -1.0, 1.0))
        raw, reward, terminated, truncated, info = env.step((v, w))
        nxt = observe(raw, instruction)
        learner.add(
            'robot',
            obs,
            act_cfg.from_twist(v, w).astype(np.float32),
            float(reward),
            nxt,
            bool(terminated),
            bool(truncated),
            stamp + 1,
            stamp,
            **({'human': True} if human else {}),
        )
        stamp += 1
        ep_return += float(reward)
        ep_len += 1
        ep_human += human
        human_total += human
        obs = nxt
        if terminated or truncated:
            learner.on_episode(
                'robot',
                EpisodeRecord(ep, instruction, info['outcome'], ep_return, ep_len, stamp),
            )
            successes.append(info['outcome'] == 'success')
            episodes += 1
            ep += 1
            raw, info = env.reset()
            instruction = info['instruction']
            obs = observe(raw, instruction)
            expert.reset()
            rule.reset()
            ep_return, ep_len, ep_human = 0.0, 0, 0
            stamp += 1  # a new episode: no n-step return spans the reset
        if 'process' in levers:
            # The child updates meanwhile; take its records and, as sac_learner's
            # push_every does, its actor every 100 steps.
            while learner.update() is not None:
                pass
            # Paced by the learner's progress, as sim_node's lockstep_max_lag (100) does:
            # the actor runs at most MAX_LAG transitions ahead of the updates.
            while learner.ready() and learner.transitions - learner.updates > MAX_LAG:
                learner.update()
            if learner.transitions % 100 == 0:
                learner.weights_blob()
        else:
            # Synchronous learner: the updates the gate allows now, on this thread.
            while learner.update() is not None:
                pass
        if learner.transitions % 500 == 0:
            kids = _children(os.getpid())  # a restarted update process has a new pid
        if learner.transitions % 20 == 0 and learning_clock(eval_cpu + cpu0, kids) >= (
            marks[0] * 60.0
        ):
            minute = marks.pop(0)
            t_eval, wall = time.process_time(), time.monotonic()
            learner.weights_blob()  # the actor of the latest update (process mode)
            result = evaluate(eval_env, observe, lambda o: act_cfg.to_twist(
                np.clip(act_policy(o, True), -1.0, 1.0)), a.eval_episodes)
            row = {
                'minutes': minute,
                'env_steps': learner.transitions,
                'updates': learner.updates,
                'human_steps': human_total,
                'episodes': episodes,
                'train_success_last50': float(np.mean(successes[-50:])) if successes else 0.0,
                'wall_s': round(wall - t_wall0, 1),
                **result,
            }
            evals.append(row)
            print(json.dumps({'variant': a.variant, 'seed': a.seed, **row}), flush=True)
            eval_cpu += time.process_time() - t_eval  # the evaluation is not learning time
    learner.plot()
    learner.close()
    return {
        'variant': a.variant,
        'seed': a.seed,
        'evals': evals,
        'loadavg': os.getloadavg(),
    }


def _table(rows: list[dict], marks: list[float]) -> str:
    by: dict[str, list[dict]] = {}
    for r in rows:
        by.setdefault(r['variant'], []).append(r)
    head = (
        '| variant | seeds | '
        + ' | '.join(f'success @ {m:g} min (min)' for m in marks)
        + ' | per instruction @ last | human steps | env steps | updates |'
    )
    out = [head, '|' + '---|' * (head.count('|') - 1)]
    for variant in [v for v in VARIANTS if v in by]:
        runs = by[variant]
        cells = []
        for m in marks:
            s = [e['success'] for r in runs for e in r['evals'] if e['minutes'] == m]
            cells.append(f'{np.mean(s):.2f} ({min(s):.2f})' if s else '-')
        last = [r['evals'][-1] for r in runs if r['evals']]
        instr: dict[str, list[float]] = {}
        for e in last:
            for k, v in e['per_instruction'].items():
                instr.setdefault(k.split()[-2] if len(k.split()) > 1 else k, []).append(v)
        per = ', '.join(f'{k} {np.mean(v):.2f}' for k, v in instr.items()) or '-'

        def mean_of(key):
            return f'{np.mean([e[key] for e in last]):.0f}' if last else '-'

        out.append(
            f'| {variant} | {len(runs)} | ' + ' | '.join(cells)
            + f' | {per} | {mean_of("human_steps")} | {mean_of("env_steps")} '
            f'| {mean_of("updates")} |'
        )
    return '\n'.join(out)


def _plot(rows: list[dict], path: Path) -> None:
    import matplotlib

    matplotlib.use('Agg')
    import matplotlib.pyplot as plt

    fig, (ax, bx) = plt.subplots(1, 2, figsize=(10, 4))
    for variant in [v for v in VARIANTS if any(r['variant'] == v for r in rows)]:
        runs = [r for r in rows if r['variant'] == variant and r['evals']]
        marks = sorted({e['minutes'] for r in runs for e in r['evals']})
        runs = [r for r in runs if len(r['evals']) == len(marks)]
        s = np.array([[e['success'] for e in r['evals']] for r in runs])
        if not len(s):
            continue
        line = ax.plot(marks, s.mean(0), marker='o', label=variant)[0]
        ax.fill_between(marks, s.min(0), s.max(0), color=line.get_color(), alpha=0.15)
        h = np.array([[e['human_steps'] for e in r['evals']] for r in runs])
        bx.plot(marks, h.mean(0), marker='o', color=line.get_color(), label=variant)
    ax.axhline(0.9, color='grey', ls='--', lw=0.8)
    ax.set(xlabel='minutes of learning', ylabel='deterministic success', ylim=(0, 1.02),
           title='held-out episodes (mean, min-max over seeds)')
    bx.set(xlabel='minutes of learning', ylabel='human steps (cumulative)', title='interventions')
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    ap.add_argument('--demo-bags', required=True, help='directory of demo episode bags')
    ap.add_argument('--init-from', default='', help='offline-pretrained SAC checkpoint (init)')
    ap.add_argument('--critic-warmup', type=int, default=0, help='critic-only updates (init)')
    ap.add_argument('--variants', default=','.join(VARIANTS))
    ap.add_argument('--seeds', type=int, nargs='+', default=[0, 1, 2])
    ap.add_argument('--eval-at', type=float, nargs='+', default=[5.0, 10.0, 15.0])
    ap.add_argument('--eval-episodes', type=int, default=100)
    ap.add_argument('--utd', type=int, default=1)
    ap.add_argument('--jobs', type=int, default=2)
    ap.add_argument('--out', default='runs/online_ablation')
    ap.add_argument('--one', nargs=2, metavar=('VARIANT', 'SEED'), help=argparse.SUPPRESS)
    a = ap.parse_args()
    if not Path(a.demo_bags).is_dir():
        print(f'online_ablation: --demo-bags {a.demo_bags} is not a directory', file=sys.stderr)
        return 2
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    if a.one:
        a.variant, a.seed = a.one[0], int(a.one[1])
        result = run_one(a)
        (out / f'{a.variant}_seed{a.seed}.json').write_text(json.dumps(result) + '\n')
        return 0
    variants = [v.strip() for v in a.variants.split(',') if v.strip()]
    bad = [v for v in variants if v not in VARIANTS]
    if bad or (a.init_from == '' and any('init' in VARIANTS[v] for v in variants)):
        print(
            f'online_ablation: variants {bad} unknown (choose from {", ".join(VARIANTS)})'
            if bad else 'online_ablation: an init variant needs --init-from CHECKPOINT',
            file=sys.stderr,
        )
        return 2
    jobs = [(v, s) for s in a.seeds for v in variants]
    passthrough = [
        '--demo-bags', a.demo_bags, '--init-from', a.init_from, '--critic-warmup',
        str(a.critic_warmup), '--eval-at', *map(str, a.eval_at), '--eval-episodes',
        str(a.eval_episodes), '--utd', str(a.utd), '--out', str(out),
    ]
    running: list[tuple[subprocess.Popen, str]] = []
    t0 = time.monotonic()
    while jobs or running:
        while jobs and len(running) < a.jobs:
            v, s = jobs.pop(0)
            log = open(out / f'{v}_seed{s}.log', 'w')
            cmd = [sys.executable, __file__, *passthrough, '--one', v, str(s)]
            proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT)
            running.append((proc, f'{v}/{s}'))
        time.sleep(2.0)
        for proc, name in list(running):
            if proc.poll() is not None:
                running.remove((proc, name))
                took = time.monotonic() - t0
                print(f'{name}: exit {proc.returncode} ({took:.0f} s)', flush=True)
    rows = [json.loads(f.read_text()) for f in sorted(out.glob('*_seed*.json'))]
    rows = [r for r in rows if r['variant'] in variants and r['seed'] in a.seeds]
    (out / 'ablation.json').write_text(json.dumps(rows, indent=1) + '\n')
    print(_table(rows, sorted(a.eval_at)))
    _plot(rows, out / 'ablation.png')
    print(f'online_ablation: {out / "ablation.json"}, {out / "ablation.png"}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
