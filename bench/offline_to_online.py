# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 robot_learning maintainers
"""Offline-to-online SAC on the built-in world, in one process (no ROS).

Two phases, each its own run (one process of a few minutes each):

``pretrain``: offline SAC pretraining (:class:`SACPretrainer`, plain or Cal-QL with
``--calql``) on the first ``--demos`` demo bags, for ``--minutes``; writes the checkpoint
``robot-learning train --algo sac`` would and prints the deterministic success of its actor
on ``--eval-episodes`` held-out episodes with no online learning.

``online``: the online learner (:class:`OnlineLearner`, the ``sac_learner`` core: demo
buffer from the same bags, RLPD ``demo_ratio`` 0.5, one update per transition) from
``--init-from`` (or from scratch) with ``--critic-warmup`` critic-only updates; prints the
deterministic success on the held-out episodes at each ``--eval-at`` step count.

The observation features are those of ``bench/sac_world.py`` (and of the ROS graph).

    python bench/offline_to_online.py pretrain --calql --minutes 3 --out /tmp/o2o/calql
    python bench/offline_to_online.py online --init-from /tmp/o2o/calql --critic-warmup 2000
    python bench/offline_to_online.py online          # from scratch, same seed
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path
import time

import numpy as np
from robot_learning.algos.offline_rl import SACPretrainConfig, SACPretrainer
from robot_learning.algos.sac import OnlineConfig, OnlineLearner, SACConfig
from robot_learning.common.features import ActionConfig, ObservationConfig
from robot_learning.data.bagdataset import BagDataset, DatasetConfig
from robot_learning_sim.env import WorldEnv
from sac_world import observe  # bench/ is on sys.path when this script runs
import torch

DEMOS = '/work/data/runs/latest/bags/demos'


def demo_bags(root: str, n: int) -> list[str]:
    """Return the first ``n`` episode bags under ``root`` (sorted by name)."""
    bags = sorted(p for p in Path(root).iterdir() if p.is_dir())
    return [str(p) for p in bags[:n]]


def evaluate(env: WorldEnv, act, obs_cfg, act_cfg, episodes: int) -> tuple[float, dict]:
    """Deterministic success on held-out episodes (seeds 50000 + k, as sac_world)."""
    outcomes = []
    for k in range(episodes):
        obs = observe(*env.reset(seed=50_000 + k), obs_cfg)
        while True:
            v, w = act_cfg.to_twist(act(obs))
            raw, _, terminated, truncated, info = env.step((v, w))
            obs = observe(raw, info, obs_cfg)
            if terminated or truncated:
                outcomes.append(info['outcome'])
                break
    counts = {o: outcomes.count(o) for o in sorted(set(outcomes))}
    return float(np.mean([o == 'success' for o in outcomes])), counts


def load(a) -> str:
    """Return the load averages as a string (others' processes distort the figures)."""
    return 'load %.2f %.2f %.2f' % os.getloadavg()


def pretrain(a, obs_cfg, act_cfg) -> None:
    """Offline pretraining for ``a.minutes``, then save and evaluate."""
    bags = demo_bags(a.bags, a.demos)
    data = BagDataset.build(
        bags,
        DatasetConfig(image_size=(0, 0), outcomes=(), cache_dir=a.cache_dir),
        obs_cfg,
        act_cfg,
        progress=False,
        log=lambda m: None,
    )
    ok = [i for i, e in enumerate(data.episodes) if e.outcome == 'success']
    ep_of = np.asarray(data.transitions['episode'])
    idx = np.flatnonzero(np.isin(ep_of, ok)).astype(np.int64)
    cfg = SACPretrainConfig(
        seed=a.seed,
        calql=a.calql,
        cql_alpha=a.cql_alpha,
        cql_num_actions=a.cql_actions,
        calql_calibration=not a.no_calibration,
        bc_weight=a.bc_weight,
    )
    trainer = SACPretrainer(data, cfg, obs_cfg, act_cfg, idx)
    rng = np.random.default_rng(a.seed)
    t0, step, last = time.monotonic(), 0, {}
    while time.monotonic() - t0 < a.minutes * 60:
        last = trainer.update(trainer.sample(idx, cfg.batch_size, rng))
        step += 1
    wall = time.monotonic() - t0
    path = trainer.save(Path(a.out), {})
    mc = trainer.mc_returns
    kind = ('Cal-QL' if a.calql else 'plain SAC') + (f' + BC {a.bc_weight}' if a.bc_weight else '')
    print(
        f'pretrain {kind}: {len(ok)} episodes, {idx.size} '
        f'transitions, {step} updates in {wall:.0f} s ({1e3 * wall / max(step, 1):.0f} ms); '
        f'q_mean {last.get("q_mean", 0):.2f}'
        + (f', MC return mean {mc[idx].mean():.2f}' if mc is not None else '')
        + f', alpha {trainer.sac.alpha:.3f}, critic_penalty {last.get("critic_penalty", 0):.2f}'
        f' -> {path}  ({load(a)})',
        flush=True,
    )
    env = WorldEnv(seed=a.seed)
    rate, counts = evaluate(
        env, lambda o: trainer.sac.act(o, deterministic=True), obs_cfg, act_cfg, a.eval_episodes
    )
    print(
        f'pretrained actor, no online learning: deterministic success {rate:.2f} on '
        f'{a.eval_episodes} held-out episodes {counts}  ({load(a)})',
        flush=True,
    )


def online(a, obs_cfg, act_cfg) -> None:
    """Online SAC from ``a.init_from`` (or scratch); evaluate at ``a.eval_at`` steps."""
    sac_cfg = SACConfig(obs_dim=obs_cfg.dim, action_dim=act_cfg.dim, n_step=1, seed=a.seed)
    run = Path(a.run_dir)
    learner = OnlineLearner(
        sac_cfg,
        obs_cfg,
        act_cfg,
        run,
        OnlineConfig(checkpoint_every=0, critic_warmup_updates=a.critic_warmup),
        init_from=a.init_from,
        resume=False,
        demo_bags=demo_bags(a.bags, a.demos),
        log=lambda level, m: print(m, flush=True),
    )
    label = f'from {a.init_from}' if a.init_from else 'from scratch'
    env, eval_env = WorldEnv(seed=a.seed), WorldEnv(seed=a.seed + 1)
    marks = sorted(int(s) for s in a.eval_at.split(','))
    if marks and marks[0] == 0:
        rate, counts = evaluate(
            eval_env, lambda o: learner.sac.act(o, deterministic=True), obs_cfg, act_cfg,
            a.eval_episodes,
        )
        print(f'online {label}: step 0 success {rate:.2f} {counts}  ({load(a)})', flush=True)
        marks = marks[1:]
    obs = observe(*env.reset(seed=a.seed), obs_cfg)
    t0, t_eval, succ = time.monotonic(), 0.0, []
    step = 0
    while marks:
        act = learner.sac.act(obs, deterministic=False)
        v, w = act_cfg.to_twist(act)
        raw, reward, terminated, truncated, info = env.step((v, w))
        nxt = observe(raw, info, obs_cfg)
        step += 1
        learner.add(
            'r', obs, act_cfg.from_twist(v, w), reward, nxt, terminated, truncated, step, step - 1
        )
        learner.update()
        obs = nxt
        if terminated or truncated:
            succ.append(info['outcome'] == 'success')
            obs = observe(*env.reset(), obs_cfg)
        if step == marks[0]:
            marks.pop(0)
            t1 = time.monotonic()
            rate, counts = evaluate(
                eval_env, lambda o: learner.sac.act(o, deterministic=True), obs_cfg, act_cfg,
                a.eval_episodes,
            )
            t_eval += time.monotonic() - t1
            print(
                f'online {label}: step {step} ({learner.updates} updates, actor '
                f'{learner.sac.actor_updates}) learning {time.monotonic() - t0 - t_eval:.0f} s'
                f'  train success (last 50) {np.mean(succ[-50:]) if succ else 0:.2f}'
                f'  eval deterministic {rate:.2f} {counts}  alpha {learner.sac.alpha:.3f}'
                f'  q_mean {learner.last_stats.get("q_mean", 0):.2f}  ({load(a)})',
                flush=True,
            )
    learner.close()


def main() -> None:
    """Parse the phase and its options, run it."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('phase', choices=('pretrain', 'online'))
    ap.add_argument('--bags', default=DEMOS)
    ap.add_argument('--demos', type=int, default=30)
    ap.add_argument('--seed', type=int, default=0)
    ap.add_argument('--eval-episodes', type=int, default=50)
    ap.add_argument('--cache-dir', default='')
    # pretrain
    ap.add_argument('--out', default='/tmp/offline_to_online/pretrained')
    ap.add_argument('--minutes', type=float, default=3.0)
    ap.add_argument('--calql', action='store_true')
    ap.add_argument('--cql-alpha', type=float, default=1.0)
    ap.add_argument('--cql-actions', type=int, default=10)
    ap.add_argument('--no-calibration', action='store_true')
    ap.add_argument('--bc-weight', type=float, default=0.0)
    # online
    ap.add_argument('--init-from', default='')
    ap.add_argument('--critic-warmup', type=int, default=0)
    ap.add_argument('--eval-at', default='0,2500,5000,10000')
    ap.add_argument('--run-dir', default='/tmp/offline_to_online/online')
    a = ap.parse_args()
    torch.set_num_threads(1)
    obs_cfg, act_cfg = ObservationConfig(), ActionConfig()
    (pretrain if a.phase == 'pretrain' else online)(a, obs_cfg, act_cfg)


if __name__ == '__main__':
    main()
