# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 robot_learning maintainers
"""SAC options of the core (no rclpy).

REDQ critic ensemble, n-step targets, the variable-length Batch, demo_ratio and seeding.
"""

from __future__ import annotations

import copy
import math

import numpy as np
import pytest
from robot_learning.algos.sac import Batch, SAC, SACConfig
from robot_learning.common import networks
from robot_learning.common.networks import QEnsemble, TwinQCritic
from robot_learning.data.buffers import ReplayBuffer
from robot_learning.errors import CheckpointError, ConfigError
import torch

torch.set_num_threads(1)


def _small(**overrides) -> SACConfig:
    fields = {'obs_dim': 5, 'action_dim': 2, 'hidden': (32, 32), 'batch_size': 16}
    fields.update(overrides)
    return SACConfig(**fields)


def _batch(cfg: SACConfig, rows: int, seed: int = 0, n_steps: np.ndarray | None = None) -> Batch:
    rng = np.random.default_rng(seed)
    return Batch(
        rng.standard_normal((rows, cfg.obs_dim), dtype=np.float32),
        rng.uniform(-1, 1, (rows, cfg.action_dim)).astype(np.float32),
        rng.standard_normal(rows, dtype=np.float32),
        rng.standard_normal((rows, cfg.obs_dim), dtype=np.float32),
        (rng.random(rows) < 0.2).astype(np.float32),
        n_steps,
    )


@pytest.fixture
def batched_ensembles(monkeypatch):
    """Ensembles of 3+ members built by SAC run batched for the duration of a test."""
    monkeypatch.setattr(networks, 'BATCHED_MIN_MEMBERS', 3)


# ---------------------------------------------------------------- config


def test_new_fields_defaults_round_trip_and_validation():
    cfg = SACConfig(obs_dim=3, action_dim=1)
    # defaults chosen by bench/sac_options.py: REDQ off, 3-step returns and critic LayerNorm on
    assert (cfg.num_critics, cfg.num_target_critics, cfg.n_step, cfg.demo_ratio) == (2, 2, 3, 0.5)
    assert cfg.critic_layer_norm is True
    redq = SACConfig(
        obs_dim=3, action_dim=1, num_critics=10, num_target_critics=2, n_step=3, demo_ratio=0.25
    )
    assert SACConfig.from_dict(redq.to_dict()) == redq
    for overrides, word in [
        ({'num_critics': 0}, 'num_critics'),
        ({'num_critics': 2.0}, 'num_critics'),
        ({'num_target_critics': 0}, 'num_target_critics'),
        ({'num_target_critics': 3}, 'num_target_critics'),
        ({'num_critics': 10, 'num_target_critics': 11}, 'num_critics=10'),
        ({'n_step': 0}, 'n_step'),
        ({'demo_ratio': 1.5}, 'demo_ratio'),
        ({'demo_ratio': float('nan')}, 'demo_ratio'),
        ({'demo_ratio': 'half'}, 'demo_ratio'),
    ]:
        with pytest.raises(ConfigError) as info:
            SACConfig(obs_dim=3, action_dim=1, **overrides)
        assert word in str(info.value) and '\n' not in str(info.value), overrides


# ---------------------------------------------------------------- Batch


def test_batch_is_five_fields_unless_n_steps_given():
    five = Batch(1, 2, 3, 4, 5)
    assert len(five) == 5 and five.n_steps is None and tuple(five) == (1, 2, 3, 4, 5)
    _obs, _act, _rew, _nobs, _term = five  # five-field code keeps unpacking
    six = Batch(1, 2, 3, 4, 5, 6)
    assert len(six) == 6 and six.n_steps == 6 and six.terminated == 5
    assert Batch(1, 2, 3, 4, 5, n_steps=None) == five
    assert six._replace(n_steps=None) == five and five._replace(n_steps=7) == Batch(
        1, 2, 3, 4, 5, 7
    )
    assert five._replace(rewards=9).rewards == 9
    assert Batch._fields[-1] == 'n_steps' and six._asdict()['n_steps'] == 6
    assert Batch._make([1, 2, 3, 4, 5, 6]) == six
    assert isinstance(six, tuple) and isinstance(six._replace(actions=0), Batch)
    for value in (five, six):
        assert copy.deepcopy(value) == value and type(copy.deepcopy(value)) is Batch
    with pytest.raises(ValueError, match='no field'):
        five._replace(dones=1)
    with pytest.raises(TypeError):
        Batch(1, 2, 3, 4)


# ---------------------------------------------------------------- QEnsemble


def test_twin_critic_is_a_two_member_ensemble_with_todays_keys():
    twin = TwinQCritic(3, 1, (8, 8), layer_norm=False)
    assert isinstance(twin, QEnsemble) and twin.num_q == 2 and not twin.batched
    assert list(twin.state_dict()) == [
        f'q{i}.{j}.{w}' for i in (1, 2) for j in (0, 2, 4) for w in ('weight', 'bias')
    ]
    sac = SAC(_small())
    assert type(sac.critic) is TwinQCritic
    assert not any(
        key.startswith('rng.subset') or key == 'optim.critic.batched' for key in sac.state_dict()
    )


@pytest.mark.parametrize('layer_norm', [False, True])
def test_batched_ensemble_equals_loop_ensemble(layer_norm):
    torch.manual_seed(0)
    loop = QEnsemble(4, 2, (8, 6), layer_norm, num_q=5, batched=False)
    torch.manual_seed(0)
    batched = QEnsemble(4, 2, (8, 6), layer_norm, num_q=5, batched=True)
    assert loop.state_dict().keys() == batched.state_dict().keys()
    for key, value in loop.state_dict().items():  # same init, member by member
        assert torch.equal(value, batched.state_dict()[key]), key
    with torch.no_grad():  # random LayerNorm affines so that they matter
        for p in loop.parameters():
            p.add_(torch.randn_like(p) * 0.1)
    batched.load_state_dict(loop.state_dict())
    obs, act = torch.randn(10, 4), (torch.rand(10, 2) * 2 - 1).requires_grad_(True)
    q_loop, q_batched = loop.q_values(obs, act), batched.q_values(obs, act)
    assert q_loop.shape == (5, 10)
    torch.testing.assert_close(q_batched, q_loop)
    torch.testing.assert_close(torch.stack(batched(obs, act)), torch.stack(loop(obs, act)))
    weights = torch.arange(1.0, 6.0)[:, None]
    grad_loop = torch.autograd.grad((q_loop * weights).sum(), [act, *loop.parameters()])
    grad_batched = torch.autograd.grad((q_batched * weights).sum(), [act, *batched.parameters()])
    torch.testing.assert_close(grad_batched[0], grad_loop[0])
    # parameter gradients, member by member (stacked.w<layer>[i] is q<i+1>.<layer>.weight)
    loop_grads = dict(zip([n for n, _ in loop.named_parameters()], grad_loop[1:], strict=True))
    for (name, _), grad in zip(batched.named_parameters(), grad_batched[1:], strict=True):
        kind, layer = name.split('.')[1][0], name.split('.')[1][1:]
        for i in range(5):
            torch.testing.assert_close(
                grad[i], loop_grads[f'q{i + 1}.{layer}.{"weight" if kind == "w" else "bias"}']
            )
    for members in ([3, 1], torch.tensor([4, 0])):
        torch.testing.assert_close(
            batched.q_values(obs, act, members), loop.q_values(obs, act, members)
        )
        torch.testing.assert_close(
            loop.q_values(obs, act, members), q_loop[torch.as_tensor(members)]
        )
    assert batched.q_values(obs, act, [0, 1, 2, 3, 4]).shape == (5, 10)


def test_ensemble_rejects_bad_sizes():
    with pytest.raises(ConfigError, match='num_q'):
        QEnsemble(3, 1, num_q=0)


# ---------------------------------------------------------------- REDQ in SAC


def _replay_update(sac: SAC, batch: Batch) -> tuple[dict[str, float], float, float]:
    """Run ``sac.update(batch)`` and recompute its TD target mean and actor loss.

    The recomputation uses copies of the pre-update actor/target critic and generator
    states (one minibatch).
    """
    cfg = sac.config
    actor, target = copy.deepcopy(sac.actor), copy.deepcopy(sac.critic_target)
    update_gen = torch.Generator().set_state(sac._generator.get_state())
    subset_gen = torch.Generator().set_state(sac._subset_generator.get_state())
    metrics = sac.update(batch)
    obs, _, rew, nobs, term = (torch.as_tensor(x) for x in batch[:5])
    discount = (
        cfg.gamma ** torch.as_tensor(batch.n_steps) if batch.n_steps is not None else cfg.gamma
    )
    alpha = metrics['alpha']
    with torch.no_grad():
        next_action, next_log_prob, _ = actor.sample(nobs, update_gen)
        if cfg.num_target_critics < cfg.num_critics:
            members = torch.randperm(cfg.num_critics, generator=subset_gen)[
                : cfg.num_target_critics
            ]
            next_q = target.q_values(nobs, next_action)[members].amin(0)
        else:
            next_q = target.q_values(nobs, next_action).amin(0)
        y = rew + discount * (1 - term) * (next_q - alpha * next_log_prob)
        action, log_prob, _ = actor.sample(obs, update_gen)
        q = sac.critic.q_values(obs, action)  # the actor loss uses the critic after its step
        q_pi = q.amin(0) if cfg.num_critics <= 2 else q.mean(0)
        actor_loss = (alpha * log_prob - q_pi).mean()
    return metrics, float(y.mean()), float(actor_loss)


@pytest.mark.parametrize('num_critics, num_target', [(2, 2), (2, 1), (5, 2), (5, 5), (10, 2)])
def test_target_subset_and_actor_aggregate_follow_redq(num_critics, num_target):
    cfg = _small(num_critics=num_critics, num_target_critics=num_target, seed=4)
    sac = SAC(cfg)
    for seed in range(3):
        metrics, target_mean, actor_loss = _replay_update(sac, _batch(cfg, 16, seed))
        assert metrics['target_q_mean'] == pytest.approx(target_mean, rel=1e-5, abs=1e-5)
        assert metrics['actor_loss'] == pytest.approx(actor_loss, rel=1e-5, abs=1e-5)
    assert metrics['q_std'] > 0.0
    assert (
        len(list(sac.critic.parameters())) == len(list(sac.critic.q1.parameters())) * num_critics
    )


def test_redq_subsets_vary_between_steps():
    cfg = _small(num_critics=10, num_target_critics=2)
    sac = SAC(cfg)
    gen = torch.Generator().manual_seed(cfg.seed + 2)
    draws = {tuple(sorted(torch.randperm(10, generator=gen)[:2].tolist())) for _ in range(20)}
    assert len(draws) > 5  # the stream SAC draws from is not stuck on one pair
    before = sac._subset_generator.get_state().clone()
    sac.update(_batch(cfg, 32))
    assert not torch.equal(before, sac._subset_generator.get_state())


def test_redq_with_utd_and_n_steps_runs():
    cfg = _small(num_critics=10, num_target_critics=2, utd_ratio=3, n_step=3)
    sac = SAC(cfg)
    n_steps = np.random.default_rng(0).integers(1, 4, 48).astype(np.float32)
    metrics = sac.update(_batch(cfg, 48, n_steps=n_steps))
    assert all(math.isfinite(v) for v in metrics.values())
    assert (sac.critic_updates, sac.actor_updates) == (3, 1)


def test_batched_sac_matches_loop_sac(batched_ensembles):
    cfg = _small(num_critics=4, num_target_critics=2, critic_layer_norm=True)
    batched = SAC(cfg)
    assert batched.critic.batched and batched.critic_target.batched
    networks.BATCHED_MIN_MEMBERS = None
    loop = SAC(cfg)
    assert not loop.critic.batched
    for seed in range(3):
        a, b = loop.update(_batch(cfg, 16, seed)), batched.update(_batch(cfg, 16, seed))
        for key in a:
            assert a[key] == pytest.approx(b[key], rel=1e-4, abs=1e-5), key
    state_loop, state_batched = loop.state_dict(), batched.state_dict()
    network_keys = [k for k in state_loop if k.startswith(('actor.', 'critic.', 'critic_target.'))]
    assert network_keys == [
        k for k in state_batched if k.startswith(('actor.', 'critic.', 'critic_target.'))
    ]
    for key in network_keys:
        torch.testing.assert_close(state_loop[key], state_batched[key], rtol=1e-4, atol=1e-5)
    assert 'optim.critic.batched' in state_batched and 'optim.critic.batched' not in state_loop
    # weights move between implementations; a flat Adam state laid out the other way does not
    with pytest.raises(CheckpointError, match='batched') as info:
        loop.load_state_dict(state_batched)
    assert '\n' not in str(info.value)
    weights_only = {k: v for k, v in state_batched.items() if not k.startswith('optim.')}
    loop.load_state_dict(weights_only)
    for key in network_keys:
        assert torch.equal(loop.state_dict()[key], state_batched[key])


# ---------------------------------------------------------------- n-step targets


def test_unit_n_steps_equal_no_n_steps_bit_for_bit():
    cfg = _small()
    a, b = SAC(cfg), SAC(cfg)
    for seed in range(3):
        plain = _batch(cfg, 16, seed)
        assert a.update(plain) == b.update(plain._replace(n_steps=np.ones(16, np.float32)))
    for x, y in zip(a.state_dict().values(), b.state_dict().values(), strict=True):
        assert torch.equal(x, y)


def test_n_step_target_discounts_by_gamma_to_the_k():
    cfg = _small(gamma=0.9, n_step=3)
    for n in (1.0, 2.0, 3.0):
        sac = SAC(cfg)
        batch = _batch(cfg, 16, n_steps=np.full(16, n, np.float32))._replace(
            terminated=np.zeros(16, np.float32)
        )
        metrics, target_mean, _ = _replay_update(sac, batch)
        assert metrics['target_q_mean'] == pytest.approx(target_mean, rel=1e-5, abs=1e-5)
    # terminated rows ignore n_steps: the target is the (n-step) reward
    ended = _batch(cfg, 16, n_steps=np.full(16, 3.0, np.float32))._replace(
        terminated=np.ones(16, np.float32)
    )
    assert SAC(cfg).update(ended)['target_q_mean'] == pytest.approx(
        float(ended.rewards.mean()), rel=1e-5, abs=1e-6
    )
    with pytest.raises(ConfigError, match='n_steps'):
        SAC(cfg).update(ended._replace(n_steps=np.ones(8, np.float32)))
    # (B, 1) is accepted like rewards/terminated
    assert math.isfinite(
        SAC(cfg).update(ended._replace(n_steps=np.ones((16, 1), np.float32)))['critic_loss']
    )


# ---------------------------------------------------------------- seeding and state


@pytest.mark.parametrize(
    'overrides', [{}, {'num_critics': 10, 'num_target_critics': 2, 'n_step': 3}]
)
def test_same_seed_is_bit_identical_and_other_seed_differs(overrides):
    def train(seed: int) -> SAC:
        cfg = _small(seed=seed, **overrides)
        sac = SAC(cfg)
        buffer = ReplayBuffer(cfg.obs_dim, cfg.action_dim, 200, seed=cfg.seed)
        data = _batch(cfg, 100, seed=123)  # the same data for every seed
        buffer.add_many(*data[:5], n_steps=np.full(100, cfg.n_step, np.float32))
        for _ in range(6):
            sac.update(buffer.sample(cfg.batch_size))
        sac.act(np.zeros(cfg.obs_dim))
        return sac

    a, b, c = train(7), train(7), train(8)
    state_a, state_b, state_c = a.state_dict(), b.state_dict(), c.state_dict()
    for key, value in state_a.items():
        assert torch.equal(value, state_b[key]), key
    differs = [
        k
        for k in state_a
        if k.startswith(('actor.', 'critic.')) and not torch.equal(state_a[k], state_c[k])
    ]
    assert len(differs) == len([k for k in state_a if k.startswith(('actor.', 'critic.'))])
    obs = np.ones((4, 5), np.float32)
    np.testing.assert_array_equal(a.act(obs), b.act(obs))


def test_redq_state_dict_round_trip_resumes_bit_identically(tmp_path):
    from robot_learning.common.checkpoint import load_checkpoint, save_checkpoint

    cfg = _small(num_critics=10, num_target_critics=2, n_step=2)
    a = SAC(cfg)
    for seed in range(3):
        a.update(_batch(cfg, 16, seed))
    state = a.state_dict()
    assert (
        'critic.q10.4.bias' in state
        and 'critic_target.q10.0.weight' in state
        and 'rng.subset' in state
    )
    save_checkpoint(tmp_path / 'ckpt', state, {'algorithm': 'sac', 'config': cfg.to_dict()})
    tensors, metadata = load_checkpoint(tmp_path / 'ckpt')
    b = SAC(SACConfig.from_dict(metadata['config']))
    b.load_state_dict(tensors)
    batch = _batch(cfg, 16, 99, n_steps=np.full(16, 2.0, np.float32))
    assert a.update(batch) == b.update(batch)
    state_a, state_b = a.state_dict(), b.state_dict()
    assert state_a.keys() == state_b.keys()
    for key, value in state_a.items():
        assert torch.equal(value, state_b[key]), key


def test_checkpoint_of_other_ensemble_size_is_refused_in_one_line():
    ten = SAC(_small(num_critics=10, num_target_critics=2)).state_dict()
    two = SAC(_small()).state_dict()
    with pytest.raises(CheckpointError, match='num_critics') as info:
        SAC(_small()).load_state_dict(ten)
    assert '\n' not in str(info.value)
    with pytest.raises(CheckpointError, match='num_critics') as info:
        SAC(_small(num_critics=10, num_target_critics=2)).load_state_dict(two)
    assert '\n' not in str(info.value)
