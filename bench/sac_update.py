#!/usr/bin/env python3
"""Milliseconds per SAC gradient step: ``robot_learning.sac.SAC`` against a plain reference.

The reference (``NaiveSAC`` below) is SAC written the straightforward way, as in CleanRL
``sac_continuous_action.py`` / SB3 ``SAC.train``: two separate critic MLPs and two target
MLPs evaluated one after the other, actor with separate mean/log_std heads, default
(for-loop) Adam, one optimiser per loss, full backward through the critic for the actor
loss, and a Python loop for the Polyak update. Same network sizes, same LayerNorm setting,
same batch.

Usage::

    python bench/sac_update.py [--obs-dim 17] [--action-dim 6] [--batch 256]
        [--hidden 256 256] [--no-layer-norm] [--steps 50] [--repeats 5] [--threads 1 2]
        [--skip-tuned]

Prints, per thread count (1 and 2), the median over ``repeats`` blocks of ``steps``
updates (and the best block), for both implementations and their ratio. Blocks of the
two alternate so that both see the same machine load (on a shared machine, the best
block is the better estimate of the unloaded cost). Then the same again after
``tune_cpu_allocator()`` (glibc ``mallopt``; process-wide, hence measured second).
Never part of the test run.
"""

from __future__ import annotations

import argparse
import math
import platform
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / 'src' / 'robot_learning'))

from robot_learning.networks import mlp as _mlp  # noqa: E402  (same layers; the reference differs in how it runs them)
from robot_learning.sac import SAC, Batch, SACConfig, tune_cpu_allocator  # noqa: E402


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
        self.q_optimizer = torch.optim.Adam(list(self.qf1.parameters()) + list(self.qf2.parameters()), lr=cfg.critic_lr)
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
        return {'critic_loss': critic_loss.item(), 'actor_loss': actor_loss.item(), 'alpha_loss': alpha_loss.item()}


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


def _time_pair(ours, naive, batches: list[Batch], steps: int, repeats: int) -> tuple[list[float], list[float]]:
    """Alternate blocks of the two implementations, so that both see the same machine
    load (other processes, frequency changes); returns ms per update of every block."""
    for i in range(20):  # warm-up: allocator, MKL/oneDNN kernel selection
        ours(batches[i % len(batches)])
        naive(batches[i % len(batches)])
    ours_ms, naive_ms = [], []
    for _ in range(repeats):
        ours_ms.append(_block(ours, batches, steps))
        naive_ms.append(_block(naive, batches, steps))
    return ours_ms, naive_ms


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
    parser.add_argument('--skip-tuned', action='store_true', help='do not measure after tune_cpu_allocator()')
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
        f'SAC update, obs {cfg.obs_dim}, action {cfg.action_dim}, hidden {cfg.hidden}, batch {cfg.batch_size}, '
        f'critic LayerNorm {cfg.critic_layer_norm}; '
        f'torch {torch.__version__}, {platform.processor() or platform.machine()}'
    )
    print(f'ms per update: median of {args.repeats} blocks of {args.steps} updates (best block in brackets)')
    for allocator in ('glibc default', 'tune_cpu_allocator()'):
        if allocator != 'glibc default':
            if args.skip_tuned or not tune_cpu_allocator():
                break
        print(f'malloc: {allocator}')
        for threads in args.threads:
            torch.set_num_threads(threads)
            ours = SAC(cfg)
            naive = NaiveSAC(cfg)
            ours_ms, naive_ms = _time_pair(ours.update, naive.update, batches, args.steps, args.repeats)
            ours_med, naive_med = statistics.median(ours_ms), statistics.median(naive_ms)
            print(
                f'  threads={threads}: robot_learning.SAC {ours_med:6.2f} ms [{min(ours_ms):5.2f}]   '
                f'naive reference {naive_med:6.2f} ms [{min(naive_ms):5.2f}]   '
                f'speed-up x{naive_med / ours_med:.2f} [best/best x{min(naive_ms) / min(ours_ms):.2f}]'
            )
            assert math.isfinite(ours_med)

if __name__ == '__main__':
    main()
