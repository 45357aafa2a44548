#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 robot_learning maintainers
"""Milliseconds per SAC gradient step: our SAC against a plain reference.

``robot_learning.algos.sac.modeling_sac.SAC`` is timed against a plain reference.

The reference (``NaiveSAC`` below) is SAC written the straightforward way, as in CleanRL
``sac_continuous_action.py`` / SB3 ``SAC.train``: two separate critic MLPs and two target
MLPs evaluated one after the other, actor with separate mean/log_std heads, default
(for-loop) Adam, one optimiser per loss, full backward through the critic for the actor
loss, and a Python loop for the Polyak update. Same network sizes, same LayerNorm setting,
same batch.

Two more comparisons, in the same process:

- Stable-Baselines3's own ``SAC.train(gradient_steps=K, batch_size=256)`` on Pendulum-v1
  with ``net_arch=[256, 256]`` (its default MLP policy, no LayerNorm), against our
  ``ReplayBuffer.sample`` + ``SAC.update`` with the same sizes (obs 3, action 1), both
  with a replay buffer of random transitions; prints updates/s of each and ours/SB3.
  Skipped with a message when stable-baselines3 (requirements-bench.txt) is missing.
- the critic ensemble of REDQ (``--ensemble N``, default 10, ``M = 2``): a full
  ``SAC.update`` with the members run one after the other (the default) and batched
  (``networks.BATCHED_MIN_MEMBERS``; one ``baddbmm`` per layer for all members).

Usage::

    python bench/sac_update.py [--obs-dim 17] [--action-dim 6] [--batch 256]
        [--hidden 256 256] [--no-layer-norm] [--steps 50] [--repeats 5] [--threads 1 2]
        [--skip-tuned] [--ensemble 10] [--sb3-steps 50] [--skip-sb3]

Prints, per thread count (1 and 2), the median over ``repeats`` blocks of ``steps``
updates (and the best block), for both implementations and their ratio. Blocks of the
two alternate so that both see the same machine load (on a shared machine, the best
block is the better estimate of the unloaded cost). Then the same again after
``tune_cpu_allocator()`` (glibc ``mallopt``; process-wide, hence measured second).
Never part of the test run.

Measured (2 shared cores of a cloud VM, torch 2.13 CPU, 1 thread, glibc default):
obs 17, action 6, 256x256, batch 256: robot_learning.SAC 9.9 ms, naive reference
13.3 ms (x1.35) without LayerNorm; 11.5 and 15.9 ms (x1.39) with it. REDQ N=10 M=2:
loop 33.6 ms, batched 49.1 ms (LayerNorm: 37.0, 55.9 ms), hence the loop is the
default (``networks.BATCHED_MIN_MEMBERS = None``). Pendulum-v1 sizes (obs 3,
action 1, no LayerNorm), buffer sampling included: robot_learning 97.8 updates/s,
SB3 2.9.2 ``SAC.train`` 75.6 updates/s, ours/SB3 x1.29.
"""

from __future__ import annotations

import argparse
import dataclasses
import math
from pathlib import Path
import platform
import statistics
import sys
import time

import numpy as np
import torch
from torch import nn
import torch.nn.functional as F

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / 'src' / 'robot_learning'))

from robot_learning.algos.sac.modeling_sac import (  # noqa: E402, I100 (after sys.path)
    Batch,
    SAC,
    SACConfig,
    tune_cpu_allocator,
)
from robot_learning.common import networks  # noqa: E402, I100 (after the sys.path entry)
# The reference uses the same layers; it differs in how it runs them.
from robot_learning.common.networks import mlp as _mlp  # noqa: E402
from robot_learning.data.buffers import ReplayBuffer  # noqa: E402


class _NaiveActor(nn.Module):
    def __init__(self, obs_dim: int, action_dim: int, hidden: tuple[int, ...]) -> None:
        super().__init__()
        self.trunk = _mlp(obs_dim, hidden[:-1], hidden[-1], False)
        self.mean = nn.Linear(hidden[-1], action_dim)
        self.log_std = nn.Linear(hidden[-1], action_dim)

    def sample(self, obs: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        h = F.relu(self.trunk(obs))
        mean = self.mean(h)
        log_std = self.log_std(h).clamp(-5.0, 2.0)
        std = log_std.exp()
        normal = torch.distributions.Normal(mean, std)
        u = normal.rsample()
        action = torch.tanh(u)
        log_prob = normal.log_prob(u) - torch.log(1.0 - action.pow(2) + 1e-6)  # CleanRL
        return action, log_prob.sum(-1)


class NaiveSAC:
    """Plain SAC update (CleanRL/SB3 structure) used as the reference."""

    def __init__(self, cfg: SACConfig) -> None:
        torch.manual_seed(cfg.seed)
        d_in = cfg.obs_dim + cfg.action_dim
        self.cfg = cfg
        self.actor = _NaiveActor(cfg.obs_dim, cfg.action_dim, cfg.hidden)
        self.qf1 = _mlp(d_in, cfg.hidden, 1, cfg.critic_layer_norm)
        self.qf2 = _mlp(d_in, cfg.hidden, 1, cfg.critic_layer_norm)
        self.qf1_target = _mlp(d_in, cfg.hidden, 1, cfg.critic_layer_norm)
        self.qf2_target = _mlp(d_in, cfg.hidden, 1, cfg.critic_layer_norm)
        self.qf1_target.load_state_dict(self.qf1.state_dict())
        self.qf2_target.load_state_dict(self.qf2.state_dict())
        self.q_optimizer = torch.optim.Adam(
            list(self.qf1.parameters()) + list(self.qf2.parameters()), lr=cfg.critic_lr
        )
        self.actor_optimizer = torch.optim.Adam(self.actor.parameters(), lr=cfg.actor_lr)
        self.log_alpha = torch.zeros(1, requires_grad=True)
        self.a_optimizer = torch.optim.Adam([self.log_alpha], lr=cfg.alpha_lr)
        self.target_entropy = float(cfg.target_entropy)

    def update(self, batch: Batch) -> dict[str, float]:
        obs, act, rew, nobs, term = (torch.as_tensor(x) for x in batch)
        cfg = self.cfg
        alpha = self.log_alpha.exp().detach()
        with torch.no_grad():
            next_action, next_log_prob = self.actor.sample(nobs)
            x = torch.cat([nobs, next_action], 1)
            q1_next = self.qf1_target(x).view(-1)
            q2_next = self.qf2_target(x).view(-1)
            min_q = torch.min(q1_next, q2_next) - alpha * next_log_prob
            target = rew + (1 - term) * cfg.gamma * min_q
        x = torch.cat([obs, act], 1)
        q1 = self.qf1(x).view(-1)
        q2 = self.qf2(x).view(-1)
        critic_loss = 0.5 * (F.mse_loss(q1, target) + F.mse_loss(q2, target))
        self.q_optimizer.zero_grad()
        critic_loss.backward()
        self.q_optimizer.step()

        pi, log_pi = self.actor.sample(obs)
        x = torch.cat([obs, pi], 1)
        min_q_pi = torch.min(self.qf1(x), self.qf2(x)).view(-1)
        actor_loss = (alpha * log_pi - min_q_pi).mean()
        self.actor_optimizer.zero_grad()
        actor_loss.backward()
        self.actor_optimizer.step()

        alpha_loss = -(self.log_alpha * (log_pi.detach() + self.target_entropy)).mean()
        self.a_optimizer.zero_grad()
        alpha_loss.backward()
        self.a_optimizer.step()

        with torch.no_grad():
            for net, target_net in ((self.qf1, self.qf1_target), (self.qf2, self.qf2_target)):
                for p, tp in zip(net.parameters(), target_net.parameters(), strict=True):
                    tp.data.copy_(cfg.tau * p.data + (1 - cfg.tau) * tp.data)
        return {
            'critic_loss': critic_loss.item(),
            'actor_loss': actor_loss.item(),
            'alpha_loss': alpha_loss.item(),
        }


def _batches(cfg: SACConfig, count: int, seed: int = 0) -> list[Batch]:
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(count):
        b = cfg.batch_size
        out.append(
            Batch(
                rng.standard_normal((b, cfg.obs_dim), dtype=np.float32),
                rng.uniform(-1, 1, (b, cfg.action_dim)).astype(np.float32),
                rng.standard_normal(b, dtype=np.float32),
                rng.standard_normal((b, cfg.obs_dim), dtype=np.float32),
                (rng.random(b) < 0.01).astype(np.float32),
            )
        )
    return out


def _block(update, batches: list[Batch], steps: int) -> float:
    start = time.perf_counter()
    for i in range(steps):
        update(batches[i % len(batches)])
    return (time.perf_counter() - start) / steps * 1e3


def _time_pair(
    ours, naive, batches: list[Batch], steps: int, repeats: int
) -> tuple[list[float], list[float]]:
    """Time alternate blocks of the two implementations; return ms per update of each block.

    Alternating lets both see the same machine load (other processes, frequency changes).
    """
    for i in range(20):  # warm-up: allocator, MKL/oneDNN kernel selection
        ours(batches[i % len(batches)])
        naive(batches[i % len(batches)])
    ours_ms, naive_ms = [], []
    for _ in range(repeats):
        ours_ms.append(_block(ours, batches, steps))
        naive_ms.append(_block(naive, batches, steps))
    return ours_ms, naive_ms


def _ensemble(
    cfg: SACConfig, members: int, batches: list[Batch], steps: int, repeats: int
) -> None:
    """Time a full SAC.update with a REDQ ensemble (N = members, M = 2), loop vs batched."""
    redq = dataclasses.replace(cfg, num_critics=members, num_target_critics=min(2, members))
    saved = networks.BATCHED_MIN_MEMBERS
    try:
        networks.BATCHED_MIN_MEMBERS = None
        loop = SAC(redq)
        networks.BATCHED_MIN_MEMBERS = 3
        batched = SAC(redq)
    finally:
        networks.BATCHED_MIN_MEMBERS = saved
    assert not loop.critic.batched and batched.critic.batched
    loop_ms, batched_ms = _time_pair(loop.update, batched.update, batches, steps, repeats)
    loop_med, batched_med = statistics.median(loop_ms), statistics.median(batched_ms)
    print(
        f'    REDQ N={members} M={redq.num_target_critics}: loop {loop_med:6.2f} ms '
        f'[{min(loop_ms):5.2f}]   '
        f'batched {batched_med:6.2f} ms [{min(batched_ms):5.2f}]   '
        f'batched time / loop time x{batched_med / loop_med:.2f}'
    )


def _sb3_reference(steps: int, repeats: int) -> None:
    """Updates/s of SB3 ``SAC.train`` and of ours on Pendulum-v1 sizes, same process."""
    try:
        import gymnasium as gym
        from stable_baselines3 import SAC as SB3SAC
    except ImportError as exc:
        print(f'  SB3 reference skipped: {exc} (pip install -r requirements-bench.txt)')
        return
    fill = 2000
    env = gym.make('Pendulum-v1')
    # learn() with learning_starts = its length: random actions fill the buffer, no
    # gradient step, and the logger that train() writes to gets configured.
    model = SB3SAC(
        'MlpPolicy',
        env,
        policy_kwargs={'net_arch': [256, 256]},
        batch_size=256,
        learning_starts=fill,
        device='cpu',
        seed=0,
        verbose=0,
    )
    model.learn(total_timesteps=fill)
    cfg = SACConfig(obs_dim=3, action_dim=1, batch_size=256, critic_layer_norm=False)
    ours = SAC(cfg)
    buffer = ReplayBuffer(3, 1, fill, seed=0)
    sb3_buffer = model.replay_buffer
    n = sb3_buffer.size()
    buffer.add_many(
        sb3_buffer.observations[:n, 0],
        sb3_buffer.actions[:n, 0],
        sb3_buffer.rewards[:n, 0],
        sb3_buffer.next_observations[:n, 0],
        sb3_buffer.dones[:n, 0] * (1.0 - sb3_buffer.timeouts[:n, 0]),
    )

    def ours_step(_: object) -> None:
        ours.update(buffer.sample(cfg.batch_size))

    def sb3_k(k: int) -> float:
        start = time.perf_counter()
        model.train(gradient_steps=k, batch_size=256)
        return (time.perf_counter() - start) / k * 1e3

    for _ in range(2):
        sb3_k(10)
        ours_step(None)
    ours_ms, sb3_ms = [], []
    for _ in range(repeats):
        ours_ms.append(_block(ours_step, [None], steps))
        sb3_ms.append(sb3_k(steps))
    ours_med, sb3_med = statistics.median(ours_ms), statistics.median(sb3_ms)
    print(
        f'    Pendulum-v1 sizes, sample + update: robot_learning {1e3 / ours_med:6.1f} updates/s '
        f'({ours_med:5.2f} ms)   SB3 SAC.train(gradient_steps={steps}) {1e3 / sb3_med:6.1f} '
        'updates/s '
        f'({sb3_med:5.2f} ms)   ours/SB3 x{sb3_med / ours_med:.2f} [best/best '
        f'x{min(sb3_ms) / min(ours_ms):.2f}]'
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--obs-dim', type=int, default=17)
    parser.add_argument('--action-dim', type=int, default=6)
    parser.add_argument('--batch', type=int, default=256)
    parser.add_argument('--hidden', type=int, nargs='+', default=[256, 256])
    parser.add_argument('--no-layer-norm', action='store_true')
    parser.add_argument('--steps', type=int, default=50)
    parser.add_argument('--repeats', type=int, default=5)
    parser.add_argument('--threads', type=int, nargs='+', default=[1, 2])
    parser.add_argument(
        '--skip-tuned', action='store_true', help='do not measure after tune_cpu_allocator()'
    )
    parser.add_argument(
        '--ensemble', type=int, default=10, help='REDQ ensemble size to time (0 = skip)'
    )
    parser.add_argument(
        '--sb3-steps', type=int, default=50, help='gradient steps per SB3 train() block'
    )
    parser.add_argument(
        '--skip-sb3', action='store_true', help='do not time the Stable-Baselines3 reference'
    )
    args = parser.parse_args()

    cfg = SACConfig(
        obs_dim=args.obs_dim,
        action_dim=args.action_dim,
        hidden=tuple(args.hidden),
        batch_size=args.batch,
        critic_layer_norm=not args.no_layer_norm,
    )
    batches = _batches(cfg, 16)
    print(
        f'SAC update, obs {cfg.obs_dim}, action {cfg.action_dim}, hidden {cfg.hidden}, batch '
        f'{cfg.batch_size}, '
        f'critic LayerNorm {cfg.critic_layer_norm}; '
        f'torch {torch.__version__}, {platform.processor() or platform.machine()}'
    )
    print(
        f'ms per update: median of {args.repeats} blocks of {args.steps} updates (best block in '
        'brackets)'
    )
    for allocator in ('glibc default', 'tune_cpu_allocator()'):
        if allocator != 'glibc default':
            if args.skip_tuned or not tune_cpu_allocator():
                break
        print(f'malloc: {allocator}')
        for threads in args.threads:
            torch.set_num_threads(threads)
            ours = SAC(cfg)
            naive = NaiveSAC(cfg)
            ours_ms, naive_ms = _time_pair(
                ours.update, naive.update, batches, args.steps, args.repeats
            )
            ours_med, naive_med = statistics.median(ours_ms), statistics.median(naive_ms)
            print(
                f'  threads={threads}: robot_learning.SAC {ours_med:6.2f} ms '
                f'[{min(ours_ms):5.2f}]   '
                f'naive reference {naive_med:6.2f} ms [{min(naive_ms):5.2f}]   '
                f'speed-up x{naive_med / ours_med:.2f} [best/best '
                f'x{min(naive_ms) / min(ours_ms):.2f}]'
            )
            assert math.isfinite(ours_med)
            if args.ensemble > 2:
                _ensemble(cfg, args.ensemble, batches, max(10, args.steps // 3), args.repeats)
            if not args.skip_sb3:
                _sb3_reference(args.sb3_steps, args.repeats)


if __name__ == '__main__':
    main()
