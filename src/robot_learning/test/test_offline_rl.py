# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 robot_learning maintainers
"""Behaviour of offline RL (IQL and offline SAC pretraining), no rclpy.

The toy is a 1-D "go to the target": the position x in [-1, 1] is observation feature 0,
the target is x = 0, action 0 moves the robot by 0.25 * a0 and the reward is the
progress towards the target (+1 on reaching it, which terminates). The behaviour policy
is of mixed quality: 30 % of its actions head to the target, 70 % away from it.
"""

from __future__ import annotations

import json
from types import SimpleNamespace

import numpy as np
import pytest
from robot_learning.algos.offline_rl import (
    expectile_loss,
    IQLConfig,
    IQLTrainer,
    SACPretrainConfig,
    SACPretrainer,
    squashed_gaussian_log_prob,
)
from robot_learning.algos.sac import SAC, SACConfig
from robot_learning.common.checkpoint import load_checkpoint
from robot_learning.common.features import ActionConfig, ObservationConfig
from robot_learning.common.networks import squashed_gaussian_sample
from robot_learning.data.bagdataset import TRANSITION_KEYS
from robot_learning.errors import CheckpointError, ConfigError
from robot_learning.policy import Policy
import torch
import torch.distributed as dist

torch.set_num_threads(1)

OBS = ObservationConfig(num_sectors=1, colors=('red',))  # 13 features
ACT = ActionConfig()


def toy_dataset(
    episodes: int = 150,
    steps: int = 8,
    p_good: float = 0.3,
    seed: int = 0,
    obs_cfg: ObservationConfig = OBS,
) -> SimpleNamespace:
    """Frames/transitions in the bag-dataset layout (trainer_api contract)."""
    rng = np.random.default_rng(seed)
    xs: list[float] = []
    frame_episode: list[int] = []
    prev: list[int] = []
    rows: dict[str, list] = {k: [] for k in TRANSITION_KEYS}
    for ep in range(episodes):
        x = float(rng.uniform(-1, 1))
        xs.append(x), frame_episode.append(ep), prev.append(len(xs) - 1)
        for t in range(steps):
            side = 1.0 if x >= 0 else -1.0
            good = rng.random() < p_good
            a0 = -side * rng.uniform(0.6, 1.0) if good else side * rng.uniform(0.2, 1.0)
            nx = float(np.clip(x + 0.25 * a0, -1, 1))
            done = abs(nx) < 0.1
            i = len(xs) - 1
            xs.append(nx), frame_episode.append(ep), prev.append(i)
            for key, value in (
                ('obs', i),
                ('next_obs', i + 1),
                ('action', [a0, rng.uniform(-1, 1)]),
                ('reward', abs(x) - abs(nx) + float(done)),
                ('terminated', done),
                ('truncated', t == steps - 1 and not done),
                ('intervention', False),
                ('episode', ep),
            ):
                rows[key].append(value)
            x = nx
            if done:
                break
    obs = np.zeros((len(xs), obs_cfg.dim), np.float32)
    obs[:, 0] = xs
    n = len(xs)
    frames = {
        'observation': obs,
        'episode': np.array(frame_episode, np.int32),
        'prev': np.array(prev, np.int64),
        'velocity': np.zeros((n, 2), np.float32),
        'instruction': np.zeros(n, np.int32),
    }
    dtypes = {
        'obs': np.int64,
        'next_obs': np.int64,
        'action': np.float32,
        'reward': np.float32,
        'terminated': bool,
        'truncated': bool,
        'intervention': bool,
        'episode': np.int32,
    }
    transitions = {k: np.array(v, dtypes[k]) for k, v in rows.items()}
    return SimpleNamespace(
        frames=frames, transitions=transitions, instructions=['go to the red pillar']
    )


@pytest.fixture(scope='module')
def data():
    return toy_dataset()


def _split(data, val_every: int = 5):
    idx = np.arange(len(data.transitions['obs']), dtype=np.int64)
    return idx[idx % val_every != 0], idx[idx % val_every == 0]


def _test_observations() -> tuple[np.ndarray, np.ndarray]:
    xs = np.concatenate([np.linspace(-0.9, -0.3, 7), np.linspace(0.3, 0.9, 7)])
    obs = np.zeros((xs.size, OBS.dim), np.float32)
    obs[:, 0] = xs
    return xs, obs


def _train(trainer, indices, steps: int, batch: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    stats = {}
    for _ in range(steps):
        stats = trainer.update(trainer.sample(indices, batch, rng))
    return stats


def _small_iql(**overrides) -> IQLConfig:
    fields: dict = {
        'hidden': (32, 32),
        'batch_size': 128,
        'actor_lr': 1e-3,
        'critic_lr': 1e-3,
        'value_lr': 1e-3,
    }
    fields.update(overrides)
    return IQLConfig(**fields)


# ------------------------------------------------------------------------ losses


def test_log_prob_of_given_actions_matches_the_samplers_density():
    gen = torch.Generator().manual_seed(0)
    mean = torch.randn(256, 2, generator=gen)
    log_std = torch.empty(256, 2).uniform_(-2.0, 0.5, generator=gen)
    eps = torch.randn(256, 2, generator=gen)
    action, log_prob = squashed_gaussian_sample(mean, log_std, eps)
    torch.testing.assert_close(
        squashed_gaussian_log_prob(mean, log_std, action), log_prob, atol=2e-3, rtol=1e-4
    )
    # Actions exactly on the limits (saturated teleop) stay finite thanks to the clip.
    edge = squashed_gaussian_log_prob(
        mean[:2], log_std[:2], torch.tensor([[1.0, -1.0], [-1.0, 1.0]])
    )
    assert torch.isfinite(edge).all()


def test_expectile_loss_minimiser_is_the_expectile():
    q = torch.tensor([0.0, 1.0])  # two equally likely Q values of the dataset actions
    v = torch.linspace(-0.5, 1.5, 2001)
    for tau in (0.5, 0.9):
        loss = expectile_loss(q[None, :] - v[:, None], tau).mean(1)
        # tau-expectile of {0, 1}: tau * (1 - v) = (1 - tau) * v  ->  v = tau
        assert float(v[loss.argmin()]) == pytest.approx(tau, abs=1e-3)


# ------------------------------------------------------------------------ IQL


def test_iql_prefers_the_rewarded_action_where_behaviour_cloning_does_not(data):
    train, _ = _split(data, val_every=10**9)
    xs, obs = _test_observations()
    iql = IQLTrainer(data, _small_iql(), OBS, ACT, train)
    stats = _train(iql, train, 400, 128)
    bc = IQLTrainer(
        data, _small_iql(beta=0.0), OBS, ACT, train
    )  # beta 0: every weight 1 = plain BC
    _train(bc, train, 400, 128)
    toward_iql = -np.sign(xs) * iql.act(obs)[:, 0]  # > 0: heads for the target
    toward_bc = -np.sign(xs) * bc.act(obs)[:, 0]
    assert (toward_iql > 0.3).all(), toward_iql
    assert toward_bc.mean() < 0.0, toward_bc  # BC follows the 70 % that walk away
    assert 0.0 < stats['weight_mean'] < 1.0 and stats['lr'] == pytest.approx(1e-3)


def test_iql_checkpoint_acts_in_policy_and_evaluate_changes_nothing(data, tmp_path):
    train, val = _split(data)
    trainer = IQLTrainer(data, _small_iql(actor_lr_decay_steps=50), OBS, ACT, train)
    stats = _train(trainer, train, 60, 64)
    assert stats['lr'] == pytest.approx(0.0, abs=1e-9)  # cosine decay reached 0 after 50 steps
    batch = trainer.sample(val, 256, np.random.default_rng(1))
    before = {k: v.clone() for k, v in trainer.actor.state_dict().items()}
    first, second = trainer.evaluate(batch), trainer.evaluate(batch)
    assert first == second and np.isfinite(first['val_loss']) and first['val_loss'] >= 0
    assert {'val_nll', 'val_value_loss'} <= set(first)
    assert all(torch.equal(v, trainer.actor.state_dict()[k]) for k, v in before.items())

    path = trainer.save(tmp_path / 'iql', {'epoch': 3})
    policy = Policy.from_checkpoint(path, expected={'obs_dim': OBS.dim, 'action_dim': 2})
    _, obs = _test_observations()
    np.testing.assert_allclose(
        np.stack([policy.act_vector(o) for o in obs]), trainer.act(obs), atol=1e-6
    )
    meta = json.loads((path / 'checkpoint.json').read_text())
    assert (
        meta['algorithm'] == 'iql'
        and meta['epoch'] == 3
        and meta['iql_config']['expectile'] == 0.9
    )
    assert meta['dataset']['train_transitions'] == train.size
    assert IQLConfig.from_dict(meta['iql_config']) == trainer.cfg

    # train --init-from: a fresh trainer continues from every network of the checkpoint.
    resumed = IQLTrainer(data, _small_iql(seed=7), OBS, ACT, train)
    resumed.load(path)
    for name in ('actor', 'critic', 'critic_target', 'value'):
        want, got = getattr(trainer, name).state_dict(), getattr(resumed, name).state_dict()
        assert all(torch.equal(want[k], got[k]) for k in want), name
    other = ObservationConfig(num_sectors=2, colors=('red',))
    with pytest.raises(
        CheckpointError, match=f'checkpoint obs_dim is {OBS.dim}, this policy needs {other.dim}'
    ):
        IQLTrainer(
            toy_dataset(episodes=3, obs_cfg=other), _small_iql(), other, ACT, np.arange(3)
        ).load(path)


# ------------------------------------------------------------------------ SAC pretraining


def test_sac_pretrainer_checkpoint_restores_the_full_sac_state(data, tmp_path):
    train, val = _split(data)
    cfg = SACPretrainConfig(hidden=(32, 32), batch_size=64)
    trainer = SACPretrainer(data, cfg, OBS, ACT, train)
    val_batch = trainer.sample(val, 256, np.random.default_rng(2))
    start = trainer.evaluate(val_batch)['val_loss']
    stats = _train(trainer, train, 300, 64)
    assert {'loss', 'lr', 'critic_loss', 'actor_loss', 'alpha'} <= set(stats)
    end = trainer.evaluate(val_batch)
    assert end == trainer.evaluate(val_batch)  # deterministic next-action noise
    assert end['val_loss'] < start  # the critic learnt the held-out TD targets

    path = trainer.save(tmp_path / 'sac', {})
    tensors, meta = load_checkpoint(path)
    assert (
        meta['algorithm'] == 'sac' and meta['updates'] == 300 and meta['pretrained'] == 'offline'
    )
    fresh = SAC(SACConfig(**meta['sac_config']))
    fresh.load_state_dict({k[4:]: v for k, v in tensors.items() if k.startswith('sac.')})
    want, got = trainer.sac.state_dict(), fresh.state_dict()
    assert want.keys() == got.keys()
    assert all(torch.equal(want[k], got[k]) for k in want), [
        k for k in want if not torch.equal(want[k], got[k])
    ]
    policy = Policy.from_checkpoint(path, expected={'obs_dim': OBS.dim})
    _, obs = _test_observations()
    np.testing.assert_allclose(
        np.stack([policy.act_vector(o) for o in obs]),
        fresh.act(obs, deterministic=True),
        atol=1e-6,
    )
    # Both continue identically: same batch -> same update; so does a trainer that loads it.
    resumed = SACPretrainer(
        data, SACPretrainConfig(hidden=(32, 32), batch_size=64, seed=9), OBS, ACT, train
    )
    resumed.load(path)
    batch = trainer.sample(train, 64, np.random.default_rng(3))
    assert trainer.sac.update(batch) == fresh.update(batch) == resumed.sac.update(batch)


def test_sac_pretrainer_takes_a_sac_config_and_samples_utd_rows(data):
    train, _ = _split(data)
    cfg = SACConfig(obs_dim=OBS.dim, action_dim=2, hidden=(16,), batch_size=8, utd_ratio=2)
    trainer = SACPretrainer(data, cfg, OBS, ACT, train)
    batch = trainer.sample(train, 8, np.random.default_rng(0))
    assert batch.observations.shape == (16, OBS.dim) and batch.terminated.dtype == np.float32
    trainer.update(batch)
    assert trainer.sac.critic_updates == 2
    with pytest.raises(ConfigError, match='obs_dim/action_dim'):
        SACPretrainer(data, SACConfig(obs_dim=5, action_dim=2), OBS, ACT, train)


# ------------------------------------------------------------------------ errors, DDP


def test_bad_data_and_config_raise_one_line_config_errors(data):
    train, _ = _split(data)
    with pytest.raises(
        ConfigError, match=rf'observation has shape .*\(N, {ObservationConfig().dim}\)'
    ):
        IQLTrainer(data, _small_iql(), ObservationConfig(), ACT, train)
    with pytest.raises(ConfigError, match='train_indices'):
        SACPretrainer(data, SACPretrainConfig(hidden=(8,)), OBS, ACT, np.array([], np.int64))
    with pytest.raises(ConfigError, match='train_indices reach outside'):
        IQLTrainer(data, _small_iql(), OBS, ACT, np.array([10**7]))
    with pytest.raises(ConfigError, match=r'IQLConfig.expectile must be in \(0.0, 1.0\)'):
        IQLConfig(expectile=1.0)
    with pytest.raises(ConfigError, match='gamma'):
        SACPretrainConfig(gamma=1.5)
    with pytest.raises(ConfigError, match="unknown IQLConfig field 'temperature'"):
        IQLConfig.from_dict({'temperature': 3.0})
    broken = SimpleNamespace(
        frames=data.frames,
        transitions={**data.transitions, 'action': data.transitions['action'][:, :1]},
    )
    with pytest.raises(ConfigError, match='actions have shape'):
        IQLTrainer(broken, _small_iql(), OBS, ACT, train)


def test_trainers_run_under_a_one_process_group(data, tmp_path):
    """The DDP / gradient all-reduce code path in a world of one (gloo, CPU)."""
    train, _ = _split(data)
    dist.init_process_group('gloo', init_method=f'file://{tmp_path / "pg"}', rank=0, world_size=1)
    try:
        iql = IQLTrainer(data, _small_iql(hidden=(16,)), OBS, ACT, train)
        assert isinstance(iql._actor_train, torch.nn.parallel.DistributedDataParallel)
        sac = SACPretrainer(data, SACPretrainConfig(hidden=(16,), batch_size=32), OBS, ACT, train)
        rng = np.random.default_rng(0)
        for trainer in (iql, sac):
            before = (
                {k: v.clone() for k, v in trainer.actor.state_dict().items()}
                if trainer is iql
                else trainer.sac.actor_state()
            )
            stats = trainer.update(trainer.sample(train, 32, rng))
            after = trainer.actor.state_dict() if trainer is iql else trainer.sac.actor_state()
            assert np.isfinite(stats['loss']) and any(
                not torch.equal(before[k], after[k]) for k in before
            )
        # Saved state is the unwrapped actor: it loads into a plain Policy.
        Policy.from_checkpoint(iql.save(tmp_path / 'ddp', {}))
    finally:
        dist.destroy_process_group()
