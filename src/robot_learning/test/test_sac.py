# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 robot_learning maintainers
"""Behaviour of the networks and the SAC update (no rclpy)."""

from __future__ import annotations

import math
from pathlib import Path
import subprocess
import sys

import numpy as np
import pytest
from robot_learning.algos.sac import (
    Batch,
    load_actor_weights,
    polyak_update,
    SAC,
    SACConfig,
)
from robot_learning.common.networks import (
    LOG_STD_MAX,
    LOG_STD_MIN,
    mlp,
    mlp_forward,
    squashed_gaussian_sample,
    SquashedGaussianActor,
    tanh_log_det_jacobian,
    TwinQCritic,
)
from robot_learning.errors import CheckpointError, ConfigError
import torch
from torch.distributions import Normal, TanhTransform, TransformedDistribution

torch.set_num_threads(1)


def _random_batch(cfg: SACConfig, rows: int, seed: int = 0) -> Batch:
    rng = np.random.default_rng(seed)
    return Batch(
        rng.standard_normal((rows, cfg.obs_dim), dtype=np.float32),
        rng.uniform(-1, 1, (rows, cfg.action_dim)).astype(np.float32),
        rng.standard_normal(rows, dtype=np.float32),
        rng.standard_normal((rows, cfg.obs_dim), dtype=np.float32),
        (rng.random(rows) < 0.1).astype(np.float32),
    )


def _small(**overrides) -> SACConfig:
    fields = {'obs_dim': 5, 'action_dim': 2, 'hidden': (32, 32), 'batch_size': 16}
    fields.update(overrides)
    return SACConfig(**fields)


# ---------------------------------------------------------------- networks


@pytest.mark.parametrize('dtype', [torch.float32, torch.float64])
def test_log_prob_matches_torch_tanh_transformed_normal(dtype):
    gen = torch.Generator().manual_seed(0)
    mean = torch.randn(512, 3, generator=gen, dtype=dtype) * 2.0
    log_std = torch.empty(512, 3, dtype=dtype).uniform_(LOG_STD_MIN, LOG_STD_MAX, generator=gen)
    eps = torch.randn(512, 3, generator=gen, dtype=dtype)
    action, log_prob = squashed_gaussian_sample(mean, log_std, eps)

    # Reference on the very same samples: feed u through the TanhTransform (cache_size=1)
    # so that log_prob(a) inverts through the cache instead of atanh (exact even when
    # tanh saturates to +-1).
    tanh = TanhTransform(cache_size=1)
    reference_dist = TransformedDistribution(Normal(mean, log_std.exp()), [tanh])
    u = mean + log_std.exp() * eps
    a_ref = tanh(u)
    reference = reference_dist.log_prob(a_ref).sum(-1)

    tol = 1e-4 if dtype == torch.float32 else 1e-10
    torch.testing.assert_close(action, a_ref, rtol=tol, atol=tol)  # u may differ by FMA rounding
    assert action.abs().max() <= 1.0
    torch.testing.assert_close(log_prob, reference, rtol=tol, atol=tol)


def test_tanh_log_det_jacobian_stable_form():
    u = torch.linspace(-5, 5, 101, dtype=torch.float64)
    torch.testing.assert_close(tanh_log_det_jacobian(u), torch.log1p(-torch.tanh(u) ** 2))
    big = torch.tensor([30.0, -30.0])  # 1 - tanh^2 underflows in float32; the stable form does not
    assert torch.isfinite(tanh_log_det_jacobian(big)).all()


def test_actor_sample_shapes_bounds_and_consistency():
    torch.manual_seed(0)
    actor = SquashedGaussianActor(7, 3, hidden=(16, 16))
    obs = torch.randn(64, 7) * 100.0  # large inputs: log_std hits the clamp
    mean, log_std = actor(obs)
    assert mean.shape == log_std.shape == (64, 3)
    assert log_std.min() >= LOG_STD_MIN and log_std.max() <= LOG_STD_MAX

    action, log_prob, det = actor.sample(obs, torch.Generator().manual_seed(3))
    assert action.shape == (64, 3) and log_prob.shape == (64,) and det.shape == (64, 3)
    assert action.dtype == log_prob.dtype == torch.float32
    assert action.abs().max() <= 1.0
    torch.testing.assert_close(det, torch.tanh(mean))
    eps = torch.randn(64, 3, generator=torch.Generator().manual_seed(3))
    expected_action, expected_log_prob = squashed_gaussian_sample(mean, log_std, eps)
    torch.testing.assert_close(action, expected_action)
    torch.testing.assert_close(log_prob, expected_log_prob)

    # reparameterised: gradients reach the actor's parameters through action and log_prob
    (action.sum() + log_prob.sum()).backward()
    assert all(p.grad is not None and torch.isfinite(p.grad).all() for p in actor.parameters())


@pytest.mark.parametrize('layer_norm', [False, True])
def test_twin_critic_matches_plain_module_calls_including_gradients(layer_norm):
    torch.manual_seed(0)
    critic = TwinQCritic(4, 2, hidden=(8, 6), layer_norm=layer_norm)
    with torch.no_grad():  # random LayerNorm affine so that it matters
        for p in critic.parameters():
            p.add_(torch.randn_like(p) * 0.1)
    assert len([m for m in critic.q1 if isinstance(m, torch.nn.LayerNorm)]) == (
        2 if layer_norm else 0
    )
    obs = torch.randn(10, 4)
    act = (torch.rand(10, 2) * 2 - 1).requires_grad_(True)
    obs_before = obs.clone()

    q1, q2 = critic(obs, act)  # functional fast path (mlp_forward, in-place ReLU)
    assert q1.shape == q2.shape == (10,)
    assert not torch.allclose(q1, q2)
    torch.testing.assert_close(critic.q_values(obs, act), torch.stack([q1, q2]))
    grads_fast = torch.autograd.grad((q1 * 2 + q2).sum(), [act, *critic.parameters()])

    x = torch.cat([obs, act], -1)
    r1, r2 = critic.q1(x).squeeze(-1), critic.q2(x).squeeze(-1)  # plain nn.Sequential calls
    grads_ref = torch.autograd.grad((r1 * 2 + r2).sum(), [act, *critic.parameters()])
    torch.testing.assert_close(q1, r1)
    torch.testing.assert_close(q2, r2)
    for fast, ref in zip(grads_fast, grads_ref, strict=True):
        torch.testing.assert_close(fast, ref)
    assert torch.equal(obs, obs_before)  # inputs are never modified in place


def test_mlp_forward_leaves_input_alone_and_matches_module():
    net = mlp(3, (5,), 2)
    x = torch.randn(4, 3)
    net_relu_first = torch.nn.Sequential(torch.nn.ReLU(), *net)
    before = x.clone()
    torch.testing.assert_close(mlp_forward(net_relu_first, x), net_relu_first(x))
    assert torch.equal(x, before)


def test_networks_reject_bad_sizes():
    with pytest.raises(ConfigError, match='obs_dim'):
        SquashedGaussianActor(0, 2)
    with pytest.raises(ConfigError, match='hidden'):
        mlp(3, (16, -1), 2)
    with pytest.raises(ConfigError, match='action_dim'):
        TwinQCritic(3, True)


# ---------------------------------------------------------------- polyak


def test_polyak_update_tau_one_zero_half():
    torch.manual_seed(0)
    source = [torch.randn(3, 4), torch.randn(5)]
    target = [torch.randn(3, 4), torch.randn(5)]
    before = [t.clone() for t in target]

    polyak_update(source, target, 0.0)
    assert all(torch.equal(t, b) for t, b in zip(target, before, strict=True))

    polyak_update(source, target, 0.5)
    for t, s, b in zip(target, source, before, strict=True):
        torch.testing.assert_close(t, (s + b) / 2)

    polyak_update(source, target, 1.0)
    assert all(torch.equal(t, s) for t, s in zip(target, source, strict=True))

    with pytest.raises(ValueError):
        polyak_update(source, target[:1], 0.5)


def test_polyak_update_on_parameters_without_grad_tracking():
    a, b = torch.nn.Linear(3, 2), torch.nn.Linear(3, 2)
    polyak_update(
        a.parameters(), b.parameters(), 0.25
    )  # in place on leaf params: no autograd error
    assert not any(p.grad_fn is not None for p in b.parameters())


# ---------------------------------------------------------------- config


def test_config_defaults_and_round_trip():
    cfg = SACConfig(obs_dim=10, action_dim=3)
    assert cfg.target_entropy == -3.0
    assert (cfg.gamma, cfg.tau, cfg.batch_size, cfg.hidden) == (0.99, 0.005, 256, (256, 256))
    again = SACConfig.from_dict(cfg.to_dict())
    assert again == cfg
    assert SACConfig(obs_dim=2, action_dim=1, hidden=[64, 64]).hidden == (64, 64)


@pytest.mark.parametrize(
    'overrides, word',
    [
        ({'obs_dim': 0}, 'obs_dim'),
        ({'action_dim': 2.5}, 'action_dim'),
        ({'gamma': 1.0}, 'gamma'),
        ({'tau': 0.0}, 'tau'),
        ({'actor_lr': -1e-3}, 'actor_lr'),
        ({'critic_lr': float('nan')}, 'critic_lr'),
        ({'init_alpha': 0.0}, 'init_alpha'),
        ({'batch_size': 0}, 'batch_size'),
        ({'utd_ratio': 0}, 'utd_ratio'),
        ({'actor_update_every': True}, 'actor_update_every'),
        ({'hidden': ()}, 'hidden'),
        ({'hidden': (64, 0)}, 'hidden'),
        ({'seed': -1}, 'seed'),
        ({'device': 'nonsense'}, 'device'),
        ({'critic_layer_norm': 'yes'}, 'critic_layer_norm'),
    ],
)
def test_config_validation_one_line(overrides, word):
    fields = {'obs_dim': 4, 'action_dim': 2}
    fields.update(overrides)
    with pytest.raises(ConfigError) as info:
        SACConfig(**fields)
    message = str(info.value)
    assert word in message and '\n' not in message


def test_config_from_dict_unknown_key():
    with pytest.raises(ConfigError, match='unknown SACConfig field'):
        SACConfig.from_dict({'obs_dim': 3, 'action_dim': 1, 'learning_rate': 1.0})


# ---------------------------------------------------------------- SAC


def test_update_metrics_and_counters_numpy_and_torch_agree():
    cfg = _small()
    batch = _random_batch(cfg, cfg.batch_size)
    a, b = SAC(cfg), SAC(cfg)
    m_numpy = a.update(batch)
    m_torch = b.update(Batch(*(torch.from_numpy(x) for x in batch)))
    assert m_numpy == m_torch
    for key in (
        'critic_loss',
        'actor_loss',
        'alpha',
        'alpha_loss',
        'q_mean',
        'target_q_mean',
        'entropy',
        'log_prob',
    ):
        assert isinstance(m_numpy[key], float) and math.isfinite(m_numpy[key]), key
    assert m_numpy['alpha'] == pytest.approx(1.0)
    assert (a.num_updates, a.critic_updates, a.actor_updates) == (1, 1, 1)
    # (B, 1) rewards/terminated are accepted as (B,)
    b2 = batch._replace(rewards=batch.rewards[:, None], terminated=batch.terminated[:, None])
    assert math.isfinite(SAC(cfg).update(b2)['critic_loss'])


def test_update_rejects_wrong_shapes():
    cfg = _small()
    sac = SAC(cfg)
    batch = _random_batch(cfg, 16)
    with pytest.raises(ConfigError, match='observations'):
        sac.update(batch._replace(observations=batch.observations[:, :3]))
    with pytest.raises(ConfigError, match='actions'):
        sac.update(batch._replace(actions=batch.actions[:8]))
    with pytest.raises(ConfigError, match='rewards'):
        sac.update(batch._replace(rewards=np.zeros((16, 2), np.float32)))


def _alpha_after_updates(target_entropy: float, steps: int = 3) -> tuple[float, float]:
    cfg = _small(target_entropy=target_entropy, alpha_lr=1e-2)
    sac = SAC(cfg)
    batch = _random_batch(cfg, cfg.batch_size)
    start = sac.alpha
    entropy = None
    for _ in range(steps):
        entropy = sac.update(batch)['entropy']
    return sac.alpha - start, entropy


def test_temperature_rises_when_entropy_below_target_and_falls_above():
    # A squashed Gaussian in 2-D has entropy <= 2 log 2 ~ 1.39 nats.
    delta, entropy = _alpha_after_updates(target_entropy=5.0)
    assert entropy < 5.0 and delta > 0.0
    delta, entropy = _alpha_after_updates(target_entropy=-20.0)
    assert entropy > -20.0 and delta < 0.0


def test_sac_learns_one_step_bandit():
    """Reward -(a - 0.5)^2, every step terminal: the deterministic action goes to 0.5."""
    cfg = SACConfig(
        obs_dim=1,
        action_dim=1,
        hidden=(64, 64),
        batch_size=128,
        init_alpha=0.05,
        actor_lr=1e-3,
        critic_lr=1e-3,
        seed=0,
    )
    sac = SAC(cfg)
    rng = np.random.default_rng(0)
    obs = np.ones((cfg.batch_size, 1), np.float32)
    done = np.ones(cfg.batch_size, np.float32)
    for _ in range(300):
        actions = rng.uniform(-1, 1, (cfg.batch_size, 1)).astype(np.float32)
        sac.update(Batch(obs, actions, -((actions[:, 0] - 0.5) ** 2), obs, done))
    action = sac.act(np.ones(1, np.float32), deterministic=True)
    assert action.shape == (1,)
    assert abs(float(action[0]) - 0.5) < 0.05
    # stochastic actions concentrate around it too
    samples = sac.act(np.ones((500, 1)), deterministic=False)
    assert abs(float(np.median(samples)) - 0.5) < 0.1


def test_bootstrap_uses_terminated_only():
    """With terminated=1 the target is the reward; with 0 it adds gamma * soft value."""
    cfg = _small(gamma=0.9)
    batch = _random_batch(cfg, 16)
    ended = SAC(cfg).update(batch._replace(terminated=np.ones(16, np.float32)))
    assert ended['target_q_mean'] == pytest.approx(float(batch.rewards.mean()), rel=1e-5, abs=1e-6)
    running = SAC(cfg).update(batch._replace(terminated=np.zeros(16, np.float32)))
    assert running['target_q_mean'] != pytest.approx(ended['target_q_mean'])


def test_act_shapes_and_determinism():
    cfg = _small()
    sac = SAC(cfg)
    one = sac.act(np.zeros(5), deterministic=True)
    many = sac.act(np.zeros((4, 5)), deterministic=True)
    assert one.shape == (2,) and many.shape == (4, 2)
    assert one.dtype == many.dtype == np.float32
    np.testing.assert_allclose(
        many[0], one, rtol=1e-5, atol=1e-6
    )  # batched matmul may round differently
    stochastic = sac.act(np.zeros((100, 5)), deterministic=False)
    assert np.abs(stochastic).max() <= 1.0 and stochastic.std() > 0
    with pytest.raises(ConfigError, match='observation has shape'):
        sac.act(np.zeros(4))


def test_utd_ratio_and_delayed_actor():
    cfg = _small(utd_ratio=4, actor_update_every=2)
    sac = SAC(cfg)
    batch = _random_batch(cfg, cfg.batch_size * 4)
    first = sac.update(batch)
    second = sac.update(batch)
    assert 'actor_loss' in first and 'actor_loss' not in second
    assert (sac.num_updates, sac.critic_updates, sac.actor_updates) == (2, 8, 1)
    assert sac.rows_per_update == 64
    with pytest.raises(ConfigError, match='multiple of utd_ratio'):
        sac.update(_random_batch(cfg, 30))


def test_actor_loss_does_not_touch_critic_gradients_or_weights():
    cfg = _small(actor_update_every=2)
    batch = _random_batch(cfg, 16)
    with_actor, without_actor = SAC(cfg), SAC(cfg)
    without_actor.num_updates = 1  # 1 % 2 != 0: this call skips the actor step
    with_actor.update(batch)
    without_actor.update(batch)
    assert with_actor.actor_updates == 1 and without_actor.actor_updates == 0
    for a, b in zip(
        with_actor.critic.parameters(), without_actor.critic.parameters(), strict=True
    ):
        assert torch.equal(a.grad, b.grad) and torch.equal(a, b)
    for a, b in zip(with_actor.actor.parameters(), without_actor.actor.parameters(), strict=True):
        assert not torch.equal(a, b)  # ... while the actor did move
    assert all(not p.requires_grad for p in with_actor.critic_target.parameters())


def test_state_dict_round_trip_resumes_bit_identically(tmp_path: Path):
    from robot_learning.common.checkpoint import load_checkpoint, save_checkpoint

    cfg = _small()
    a = SAC(cfg)
    for seed in range(3):
        a.update(_random_batch(cfg, 16, seed))
    state = a.state_dict()
    assert all(isinstance(v, torch.Tensor) for v in state.values())
    assert any(k.startswith('optim.critic.state.') for k in state)
    assert any(k.startswith('optim.actor.state.') for k in state)
    save_checkpoint(tmp_path / 'ckpt', state, {'algorithm': 'sac', 'config': cfg.to_dict()})
    tensors, metadata = load_checkpoint(tmp_path / 'ckpt')

    b = SAC(SACConfig.from_dict(metadata['config']))
    b.load_state_dict(tensors)
    assert (b.num_updates, b.critic_updates, b.actor_updates) == (3, 3, 3)
    batch = _random_batch(cfg, 16, 99)
    assert a.update(batch) == b.update(batch)
    state_a, state_b = a.state_dict(), b.state_dict()
    assert state_a.keys() == state_b.keys()
    for key, value in state_a.items():
        assert torch.equal(value, state_b[key]), key
    np.testing.assert_array_equal(a.act(np.ones((3, 5))), b.act(np.ones((3, 5))))


def test_load_state_dict_rejects_other_config():
    state = SAC(_small()).state_dict()
    other = SAC(_small(hidden=(16, 16)))
    with pytest.raises(CheckpointError, match='shape') as info:
        other.load_state_dict(state)
    assert '\n' not in str(info.value)
    del state['log_alpha']
    with pytest.raises(CheckpointError, match='log_alpha'):
        SAC(_small()).load_state_dict(state)


def test_actor_state_round_trip_and_mismatch():
    cfg = _small()
    a, b = SAC(cfg), SAC(_small(seed=1))
    a.update(_random_batch(cfg, 16))
    weights = a.actor_state()
    assert set(weights) == set(a.actor.state_dict())
    assert all(v.device.type == 'cpu' for v in weights.values())
    b.load_actor_state(weights)
    obs = np.random.default_rng(0).standard_normal((6, 5))
    np.testing.assert_array_equal(a.act(obs, deterministic=True), b.act(obs, deterministic=True))
    # a bare actor (what a policy node builds) takes the same weights
    actor = SquashedGaussianActor(5, 2, hidden=(32, 32))
    load_actor_weights(actor, weights)
    with pytest.raises(CheckpointError, match='shape'):
        SAC(_small(obs_dim=6)).load_actor_state(weights)
    with pytest.raises(CheckpointError, match='unexpected'):
        b.load_actor_state({**weights, 'extra': torch.zeros(1)})


def test_core_does_not_import_rclpy():
    code = (
        'import sys; import robot_learning.algos.sac.modeling_sac, robot_learning.data.buffers, '
        'robot_learning.algos.sac.online, robot_learning.algos.offline_rl, '
        'robot_learning.common.checkpoint, '
        'robot_learning.common.networks; assert "rclpy" not in sys.modules'
    )
    root = Path(__file__).resolve().parents[1]
    subprocess.run(
        [sys.executable, '-c', code], check=True, cwd=root, env={'PYTHONPATH': str(root)}
    )
