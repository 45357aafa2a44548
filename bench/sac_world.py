# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 robot_learning maintainers
"""Online SAC on the built-in world in one process, no ROS: the reference for the demo.

Same observation features, action map, SAC core and RLPD demo sampling as the ROS
learner, so the ratio of success-per-step (and wall-clock) between this and
``robot-learning demo`` is the cost of going through ROS 2. Prints success rate at
fixed step counts.

    python bench/sac_world.py --steps 30000 --demos 30
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from robot_learning.algos.sac.modeling_sac import SAC, SACConfig
from robot_learning.common.features import ActionConfig, encode_observation, ObservationConfig
from robot_learning.data.buffers import ReplayBuffer, sample_mixed
from robot_learning.data.ingest import scan_to_sectors
from robot_learning_sim.env import WorldEnv
from robot_learning_sim.expert import ExpertPolicy
import torch


def observe(raw: dict, info: dict, cfg: ObservationConfig) -> np.ndarray:
    sectors = scan_to_sectors(
        raw['scan'], -np.pi, 2 * np.pi / 360, 0.12, cfg.range_max, cfg.num_sectors
    )
    return encode_observation(
        sectors, raw['detections'], tuple(raw['velocity']), info['instruction'], cfg
    )


def run_episode(env, act_fn, obs_cfg, act_cfg, buffer=None, seed=None):
    obs = observe(*env.reset(seed=seed), obs_cfg)
    while True:
        a = act_fn(obs)
        v, w = act_cfg.to_twist(a)
        raw, reward, terminated, truncated, info = env.step((v, w))
        nxt = observe(raw, info, obs_cfg)
        if buffer is not None:
            buffer.add(obs, act_cfg.from_twist(v, w), reward, nxt, float(terminated))
        obs = nxt
        if terminated or truncated:
            return info['outcome'], env.world.episode_steps


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument('--steps', type=int, default=30000)
    ap.add_argument('--demos', type=int, default=30)
    ap.add_argument('--eval-every', type=int, default=5000)
    ap.add_argument('--eval-episodes', type=int, default=30)
    ap.add_argument('--init-alpha', type=float, default=0.1)
    ap.add_argument('--utd', type=int, default=1)
    ap.add_argument('--seed', type=int, default=0)
    ap.add_argument('--hidden', type=int, default=256)
    ap.add_argument('--reward-time', type=float, default=-0.01)
    a = ap.parse_args()
    torch.set_num_threads(1)
    obs_cfg, act_cfg = ObservationConfig(), ActionConfig()
    env = WorldEnv(seed=a.seed, reward_time=a.reward_time)
    world = env.world  # the expert drives from privileged state
    expert = ExpertPolicy()
    demo = ReplayBuffer(obs_cfg.dim, 2, 100_000, seed=1)

    def expert_act(_obs):
        v, w = expert.act(world.pose(), world.goal_position(), world.scan())
        return act_cfg.from_twist(v, w)

    ok = 0
    for i in range(a.demos):
        expert.reset()
        ok += (
            run_episode(env, expert_act, obs_cfg, act_cfg, demo, seed=10_000 + i)[0] == 'success'
        )
    print(
        f'demos: {a.demos} episodes, {len(demo)} transitions, expert success '
        f'{ok / max(a.demos, 1):.2f}'
    )
    sac = SAC(
        SACConfig(
            obs_dim=obs_cfg.dim,
            action_dim=2,
            init_alpha=a.init_alpha,
            utd_ratio=a.utd,
            seed=a.seed,
            hidden=(a.hidden, a.hidden),
        )
    )
    online = ReplayBuffer(obs_cfg.dim, 2, a.steps + 10, seed=2)
    rng = np.random.default_rng(a.seed)
    t0 = time.perf_counter()
    obs = observe(*env.reset(seed=a.seed), obs_cfg)
    succ, t_upd = [], 0.0
    for step in range(1, a.steps + 1):
        act = sac.act(obs, deterministic=False)
        v, w = act_cfg.to_twist(act)
        raw, reward, terminated, truncated, info = env.step((v, w))
        nxt = observe(raw, info, obs_cfg)
        online.add(obs, act_cfg.from_twist(v, w), reward, nxt, float(terminated))
        obs = nxt
        if terminated or truncated:
            succ.append(info['outcome'] == 'success')
            obs = observe(*env.reset(), obs_cfg)
        if len(online) >= 256:
            t1 = time.perf_counter()
            sac.update(sample_mixed(online, demo, sac.rows_per_update, 0.5, rng))
            t_upd += time.perf_counter() - t1
        if step % a.eval_every == 0:
            line = (
                f'step {step:6d}  train success (last 50) {np.mean(succ[-50:]) if succ else 0:.2f}'
            )
            for det in (True, False):
                outcomes = [
                    run_episode(
                        env,
                        lambda o: sac.act(o, deterministic=det),
                        obs_cfg,
                        act_cfg,
                        seed=50_000 + k,
                    )[0]
                    for k in range(a.eval_episodes)
                ]
                counts = {k: outcomes.count(k) for k in sorted(set(outcomes))}
                line += (
                    f'  eval {"mean" if det else "sampled"} '
                    f'{np.mean([o == "success" for o in outcomes]):.2f} {counts}'
                )
            print(
                f'{line}  alpha {sac.alpha:.3f}  wall {time.perf_counter() - t0:.0f}s  '
                f'update {1e3 * t_upd / step:.1f} ms',
                flush=True,
            )
            obs = observe(*env.reset(), obs_cfg)


if __name__ == '__main__':
    main()
