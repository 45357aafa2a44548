# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 robot_learning maintainers
"""Online SAC on the built-in world in one process, no ROS: the reference for the demo.

Same observation features, action map, SAC core and RLPD demo sampling as the ROS
learner, so the ratio of success-per-step (and wall-clock) between this and
``robot-learning demo`` is the cost of going through ROS 2. Prints success rate at
fixed step counts (mean and sampled actions, outcome counts, per instruction), one line
per seed and evaluation, then the mean over seeds.

    python bench/sac_world.py --steps 30000 --demos 30
    python bench/sac_world.py --steps 20000 --n-step 3 --utd 2 --seeds 0 1 2
    python bench/sac_world.py --steps 20000 --no-goal-detection --near-range 0  # older obs
    python bench/sac_world.py --steps 20000 --curriculum --seeds 0 1 2  # distance curriculum

Besides the evaluations it prints, per seed, the first step at which the training success
over the last 50 episodes reached 0.8: at any curriculum level, and with all 50 on the
full task (the same number without ``--curriculum``). Evaluations are always on the full
task.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from robot_learning.algos.sac.modeling_sac import SAC, SACConfig
from robot_learning.common.curriculum import CurriculumConfig, SuccessCurriculum
from robot_learning.common.features import ActionConfig, encode_observation, ObservationConfig
from robot_learning.data.buffers import NStepAccumulator, ReplayBuffer, sample_mixed
from robot_learning.data.ingest import scan_to_sectors
from robot_learning_sim.env import WorldEnv
from robot_learning_sim.expert import ExpertPolicy
import torch


# --no-velocity sets this for every observation of the run (main()).
USE_VELOCITY = True


def observe(raw: dict, info: dict, cfg: ObservationConfig, velocity: bool | None = None):
    """Return the float32 (cfg.dim,) observation of a raw world observation.

    ``velocity`` None reads :data:`USE_VELOCITY`; False puts zeros for the twist.
    """
    sectors = scan_to_sectors(
        raw['scan'], -np.pi, 2 * np.pi / 360, 0.12, cfg.range_max, cfg.num_sectors
    )
    # velocity=False: the odometry twist enters as zeros (BCConfig.use_velocity's question
    # asked of SAC: does knowing its own speed make the policy stall?).
    use = USE_VELOCITY if velocity is None else velocity
    twist = tuple(raw['velocity']) if use else (0.0, 0.0)
    return encode_observation(sectors, raw['detections'], twist, info['instruction'], cfg)


def store(buffer, nstep, obs, action, reward, nxt, terminated, truncated) -> None:
    """Feed one 1-step transition through the stream's n-step accumulator into ``buffer``."""
    for t in nstep.add(obs, action, reward, nxt, terminated, truncated):
        buffer.add(t.obs, t.action, t.reward, t.next_obs, float(t.terminated), t.n_steps)


def run_episode(env, act_fn, obs_cfg, act_cfg, buffer=None, seed=None, nstep=None):
    obs = observe(*env.reset(seed=seed), obs_cfg)
    while True:
        a = act_fn(obs)
        v, w = act_cfg.to_twist(a)
        raw, reward, terminated, truncated, info = env.step((v, w))
        nxt = observe(raw, info, obs_cfg)
        if buffer is not None:
            store(buffer, nstep, obs, act_cfg.from_twist(v, w), reward, nxt, terminated, truncated)
        obs = nxt
        if terminated or truncated:
            return info['outcome'], env.world.episode_steps, info['instruction']


def evaluate(env, sac, obs_cfg, act_cfg, episodes, deterministic):
    """Success rate, outcome counts and per-colour success on held-out episodes."""
    cap = env.world.cfg.goal_distance_max
    env.world.set_goal_distance_max(0.0)  # always the full task, whatever the curriculum
    runs = [
        run_episode(
            env, lambda o: sac.act(o, deterministic=deterministic), obs_cfg, act_cfg,
            seed=50_000 + k,
        )
        for k in range(episodes)
    ]
    env.world.set_goal_distance_max(cap)
    outcomes = [r[0] for r in runs]
    per = {}
    for outcome, _, instruction in runs:
        per.setdefault(instruction.split()[-2], []).append(outcome == 'success')
    return (
        float(np.mean([o == 'success' for o in outcomes])),
        {k: outcomes.count(k) for k in sorted(set(outcomes))},
        {c: round(float(np.mean(v)), 2) for c, v in sorted(per.items())},
    )


def steps_to(threshold: float, episodes: list, window: int = 50, full_only: bool = False):
    """First step at which the last ``window`` training episodes succeeded >= ``threshold``.

    ``episodes``: (end step, success, on the full task) per training episode. With
    ``full_only`` the window must hold full-task episodes only. None: never.
    """
    for i in range(window, len(episodes) + 1):
        last = episodes[i - window:i]
        if full_only and not all(e[2] for e in last):
            continue
        if np.mean([e[1] for e in last]) >= threshold:
            return last[-1][0]
    return None


def run_seed(a, seed: int) -> dict[int, tuple[float, float]]:
    """One seed: demos, then online SAC; {step: (mean-action, sampled) eval success}."""
    obs_cfg = ObservationConfig(goal_detection=not a.no_goal_detection, near_range=a.near_range)
    act_cfg = ActionConfig()
    env = WorldEnv(seed=seed, reward_time=a.reward_time, progress=a.progress)
    world = env.world  # the expert drives from privileged state
    expert = ExpertPolicy()
    demo = ReplayBuffer(obs_cfg.dim, 2, 100_000, seed=1)

    def expert_act(_obs):
        v, w = expert.act(world.pose(), world.goal_position(), world.scan())
        return act_cfg.from_twist(v, w)

    ok = 0
    for i in range(a.demos):
        expert.reset()
        nstep = NStepAccumulator(a.n_step, a.gamma)
        outcome = run_episode(env, expert_act, obs_cfg, act_cfg, demo, 10_000 + i, nstep)[0]
        ok += outcome == 'success'
    print(
        f'seed {seed}  demos: {a.demos} episodes, {len(demo)} transitions, expert success '
        f'{ok / max(a.demos, 1):.2f}'
    )
    sac = SAC(
        SACConfig(
            obs_dim=obs_cfg.dim,
            action_dim=2,
            init_alpha=a.init_alpha,
            utd_ratio=a.utd,
            seed=seed,
            hidden=(a.hidden, a.hidden),
            gamma=a.gamma,
            n_step=a.n_step,
        )
    )
    online = ReplayBuffer(obs_cfg.dim, 2, a.steps + 10, seed=2)
    rng = np.random.default_rng(seed)
    t0 = time.perf_counter()
    cur = SuccessCurriculum(CurriculumConfig(levels=a.curriculum)) if a.curriculum else None
    if cur:  # the demos above were on the full task, as recorded demos are
        world.set_goal_distance_max(cur.value)
    episodes = []
    obs = observe(*env.reset(seed=seed), obs_cfg)
    nstep = NStepAccumulator(a.n_step, a.gamma)
    succ, t_upd, figures = [], 0.0, {}
    for step in range(1, a.steps + 1):
        act = sac.act(obs, deterministic=False)
        v, w = act_cfg.to_twist(act)
        raw, reward, terminated, truncated, info = env.step((v, w))
        nxt = observe(raw, info, obs_cfg)
        store(online, nstep, obs, act_cfg.from_twist(v, w), reward, nxt, terminated, truncated)
        obs = nxt
        if terminated or truncated:
            succ.append(info['outcome'] == 'success')
            episodes.append((step, succ[-1], cur is None or cur.value == 0.0))
            if cur and cur.record(succ[-1]):
                world.set_goal_distance_max(cur.value)
                cap = f'{cur.value} m' if cur.value else 'any distance'
                print(f'seed {seed}  step {step:6d}  curriculum level {cur.level}: '
                      f'goal within {cap}', flush=True)
            obs = observe(*env.reset(), obs_cfg)
        if len(online) >= 256:
            t1 = time.perf_counter()
            # One demo + online block per UTD minibatch (RLPD symmetric sampling).
            sac.update(sample_mixed(online, demo, sac.rows_per_update, 0.5, rng, a.utd))
            t_upd += time.perf_counter() - t1
        if step % a.eval_every == 0:
            line = f'seed {seed}  step {step:6d}  train success (last 50) '
            line += f'{np.mean(succ[-50:]) if succ else 0:.2f}'
            rates = []
            for det in (True, False):
                rate, counts, per = evaluate(env, sac, obs_cfg, act_cfg, a.eval_episodes, det)
                rates.append(rate)
                line += f'  eval {"mean" if det else "sampled"} {rate:.2f} {counts}'
                if det:
                    line += f' {per}'
            figures[step] = (rates[0], rates[1])
            print(
                f'{line}  alpha {sac.alpha:.3f}  wall {time.perf_counter() - t0:.0f}s  '
                f'update {1e3 * t_upd / step:.1f} ms',
                flush=True,
            )
            # A fresh episode: evaluation reset the world under the training stream.
            obs = observe(*env.reset(), obs_cfg)
            nstep = NStepAccumulator(a.n_step, a.gamma)
    reach = (steps_to(0.8, episodes), steps_to(0.8, episodes, full_only=True))
    print(f'seed {seed}  steps to 0.8 training success (last 50): {reach[0]} at any level, '
          f'{reach[1]} on the full task', flush=True)
    figures['steps_to_0.8'] = reach
    return figures


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument('--steps', type=int, default=30000)
    ap.add_argument('--demos', type=int, default=30)
    ap.add_argument('--eval-every', type=int, default=5000)
    ap.add_argument('--eval-episodes', type=int, default=30)
    ap.add_argument('--init-alpha', type=float, default=0.1)
    ap.add_argument('--utd', type=int, default=1)
    ap.add_argument('--n-step', type=int, default=1, help='n-step returns (SACConfig.n_step)')
    ap.add_argument('--gamma', type=float, default=0.99)
    ap.add_argument('--seeds', type=int, nargs='+', default=[0])
    ap.add_argument('--hidden', type=int, default=256)
    ap.add_argument(
        '--reward-time', type=float, default=-0.05, help="per-step reward (the sim's default)"
    )
    ap.add_argument(
        '--progress', choices=('straight', 'path'), default='straight',
        help='progress reward along the straight line or the shortest path (WorldConfig)',
    )
    ap.add_argument(
        '--no-velocity', action='store_true', help='zeros for the odometry twist input'
    )
    ap.add_argument(
        '--no-goal-detection',
        action='store_true',
        help="without the instructed pillar's detection block (ObservationConfig.goal_detection)",
    )
    ap.add_argument(
        '--near-range',
        type=float,
        default=ObservationConfig.near_range,
        help='LiDAR proximity channels, m (ObservationConfig.near_range; 0 = none)',
    )
    ap.add_argument(
        '--curriculum', type=float, nargs='*', default=None, metavar='M',
        help='start-to-goal distance curriculum: the caps per level, m (0 = any, last); '
        'no values = CurriculumConfig.levels',
    )
    a = ap.parse_args()
    if a.curriculum is not None and not a.curriculum:
        a.curriculum = CurriculumConfig.levels
    global USE_VELOCITY
    USE_VELOCITY = not a.no_velocity
    torch.set_num_threads(1)
    runs = [run_seed(a, seed) for seed in a.seeds]
    reach = [r.pop('steps_to_0.8') for r in runs]
    print(f'steps to 0.8 training success: any level {[r[0] for r in reach]}, full task '
          f'{[r[1] for r in reach]}  (curriculum {a.curriculum or "off"})')
    for step in sorted(runs[0]):
        det = [r[step][0] for r in runs]
        smp = [r[step][1] for r in runs]
        print(
            f'step {step:6d}  eval mean actions {np.mean(det):.2f} +- {np.std(det):.2f}  '
            f'sampled {np.mean(smp):.2f} +- {np.std(smp):.2f}  ({len(runs)} seeds)'
        )


if __name__ == '__main__':
    main()
