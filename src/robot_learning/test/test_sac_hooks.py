# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 robot_learning maintainers
"""The SAC hooks offline-to-online training builds on: critic-only updates, critic penalty."""

from __future__ import annotations

import numpy as np
from robot_learning.algos.sac import Batch, SAC, SACConfig
import torch

torch.set_num_threads(1)


def _config(**overrides) -> SACConfig:
    fields = {'obs_dim': 5, 'action_dim': 2, 'hidden': (32, 32), 'batch_size': 16}
    fields.update(overrides)
    return SACConfig(**fields)


def _batch(cfg: SACConfig, seed: int = 0) -> Batch:
    rng = np.random.default_rng(seed)
    rows = cfg.batch_size * cfg.utd_ratio
    return Batch(
        rng.standard_normal((rows, cfg.obs_dim), dtype=np.float32),
        rng.uniform(-1, 1, (rows, cfg.action_dim)).astype(np.float32),
        rng.standard_normal(rows, dtype=np.float32),
        rng.standard_normal((rows, cfg.obs_dim), dtype=np.float32),
        (rng.random(rows) < 0.1).astype(np.float32),
    )


def _flat(module: torch.nn.Module) -> torch.Tensor:
    return torch.cat([p.detach().reshape(-1).clone() for p in module.parameters()])


def test_critic_only_update_leaves_actor_and_alpha():
    cfg = _config(utd_ratio=2)
    sac = SAC(cfg)
    actor, critic = _flat(sac.actor), _flat(sac.critic)
    target, log_alpha = _flat(sac.critic_target), sac.log_alpha.detach().clone()

    metrics = sac.update(_batch(cfg), update_actor=False)

    assert torch.equal(_flat(sac.actor), actor)
    assert torch.equal(sac.log_alpha.detach(), log_alpha)
    assert not torch.equal(_flat(sac.critic), critic)
    assert not torch.equal(_flat(sac.critic_target), target)
    assert not sac.actor_optimizer.state_dict()['state']  # Adam never stepped
    assert (sac.num_updates, sac.critic_updates, sac.actor_updates) == (1, 2, 0)
    assert 'critic_loss' in metrics and 'actor_loss' not in metrics
    assert 'alpha_loss' not in metrics and 'critic_penalty' not in metrics

    # The next full update steps the actor again.
    metrics = sac.update(_batch(cfg, seed=1))
    assert not torch.equal(_flat(sac.actor), actor)
    assert (sac.num_updates, sac.critic_updates, sac.actor_updates) == (2, 4, 1)
    assert 'actor_loss' in metrics


def test_critic_only_then_full_equals_plain_critic_path():
    # The critic step of a critic-only update is the same step as in a full update.
    cfg = _config()
    a, b = SAC(cfg), SAC(cfg)
    batch = _batch(cfg)
    a.update(batch, update_actor=False)
    b.update(batch)
    assert torch.equal(_flat(a.critic), _flat(b.critic))


class _Penalised(SAC):
    """SAC with a penalty that pushes every Q towards -10 (a stand-in for Cal-QL's)."""

    calls = 0

    def critic_penalty(self, obs, act, q, target):
        assert q.shape == (self.config.num_critics, obs.shape[0]) and q.requires_grad
        assert target.shape == (obs.shape[0],) and not target.requires_grad
        assert act.shape == (obs.shape[0], self.config.action_dim)
        self.calls += 1
        return 5.0 * (q + 10.0).square().mean()


def test_subclass_penalty_changes_critic_gradient_and_is_reported():
    cfg = _config(utd_ratio=3)
    plain, penalised = SAC(cfg), _Penalised(cfg)
    assert torch.equal(_flat(plain.critic), _flat(penalised.critic))
    batch = _batch(cfg)
    m_plain = plain.update(batch)
    m_pen = penalised.update(batch)
    assert penalised.calls == 3  # once per critic step
    assert 'critic_penalty' not in m_plain
    assert m_pen['critic_penalty'] > 0.0
    assert m_pen['critic_loss'] > m_pen['critic_penalty']
    assert not torch.allclose(plain._critic_grad, penalised._critic_grad)
    # The penalty drags Q down much faster than the TD loss alone.
    for _ in range(20):
        plain.update(batch)
        penalised.update(batch, update_actor=False)
    obs, act = torch.from_numpy(batch.observations), torch.from_numpy(batch.actions)
    with torch.no_grad():
        q_plain = plain.critic.q_values(obs, act).mean()
        q_pen = penalised.critic.q_values(obs, act).mean()
    assert float(q_pen) < float(q_plain) - 0.5
