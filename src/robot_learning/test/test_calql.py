# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 robot_learning maintainers
"""Offline-to-online SAC: Cal-QL pretraining, returns-to-go, critic warm-up, refusals."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
from robot_learning import cli
from robot_learning.algos.offline_rl import SACPretrainConfig, SACPretrainer
from robot_learning.algos.offline_rl.calql import CalQLSAC, conservative_penalty
from robot_learning.algos.offline_rl.data_offline_rl import returns_to_go
from robot_learning.algos.sac import OnlineConfig, OnlineLearner, SACConfig
from robot_learning.common.checkpoint import load_checkpoint, policy_metadata, save_checkpoint
from robot_learning.common.features import ActionConfig, ObservationConfig
from robot_learning.errors import CheckpointError, ConfigError
from test_bagdataset import write_episode
import torch

OBS, ACT = ObservationConfig(), ActionConfig()
HIDDEN = (16, 16)


def test_returns_to_go_per_episode_terminated_and_truncated():
    # Episode 7: three steps ending in a termination; episode 3: two steps, truncated.
    rewards = np.array([1.0, 2.0, 4.0, -1.0, 3.0], np.float32)
    terminated = np.array([False, False, True, False, False])
    episodes = np.array([7, 7, 7, 3, 3])
    order = np.array([10, 11, 12, 20, 21])
    g = 0.5
    got = returns_to_go(rewards, terminated, episodes, order, g)
    tail = -1.0 / (1 - g)  # every unseen reward taken as the lowest one seen
    want = [1 + g * 2 + g * g * 4, 2 + g * 4, 4, -1 + g * (3 + g * tail), 3 + g * tail]
    np.testing.assert_allclose(got, want, rtol=1e-6)
    # Rows in any order give the same per-row returns; an explicit tail reward is used.
    perm = np.array([4, 2, 0, 3, 1])
    shuffled = returns_to_go(rewards[perm], terminated[perm], episodes[perm], order[perm], g)
    np.testing.assert_allclose(shuffled, got[perm], rtol=1e-6)
    zero_tail = returns_to_go(rewards, terminated, episodes, order, g, tail_reward=0.0)
    np.testing.assert_allclose(zero_tail[3:], [-1 + g * 3, 3], rtol=1e-6)
    with pytest.raises(ConfigError, match='gamma'):
        returns_to_go(rewards, terminated, episodes, order, 1.0)
    with pytest.raises(ConfigError, match='needs'):
        returns_to_go(rewards, terminated[:2], episodes, order, g)


def test_conservative_penalty_shape_sign_and_calibration():
    n_critics, n, b, d = 2, 3, 5, 2
    gen = torch.Generator().manual_seed(0)
    q_data = torch.randn(n_critics, b, generator=gen, requires_grad=True)
    q_rand = torch.randn(n_critics, n, b, generator=gen, requires_grad=True)
    q_pi = torch.randn(n_critics, n, b, generator=gen)
    q_next = torch.randn(n_critics, n, b, generator=gen)
    log_pi, log_next = -torch.ones(n, b), -torch.ones(n, b)
    args = (q_rand, q_pi, log_pi, q_next, log_next, d)
    penalty = conservative_penalty(q_data, *args, alpha=2.0)
    assert penalty.shape == ()
    penalty.backward()
    # Pushes Q down on the sampled actions and up on the data ([CQL] eq. 4).
    assert (q_rand.grad > 0).all() and (q_data.grad < 0).all()
    torch.testing.assert_close(q_data.grad, torch.full((n_critics, b), -2.0 / b))
    # A reference below every Q changes nothing; above them it raises the policy terms.
    low = conservative_penalty(q_data, *args, alpha=2.0, reference=torch.full((b,), -1e3))
    high = conservative_penalty(q_data, *args, alpha=2.0, reference=torch.full((b,), 1e3))
    torch.testing.assert_close(low, penalty)
    assert high > penalty + 100
    # With all sampled Q values equal to the data's, the term is the log of their count.
    flat = torch.zeros(n_critics, n, b)
    same = conservative_penalty(
        torch.zeros(n_critics, b), flat - d * np.log(2), flat, torch.zeros(n, b), flat,
        torch.zeros(n, b), d, alpha=1.0,
    )
    torch.testing.assert_close(same, torch.tensor(n_critics * np.log(3 * n), dtype=torch.float32))


def _dataset(n: int = 40, seed: int = 0) -> SimpleNamespace:
    rng = np.random.default_rng(seed)
    obs = rng.uniform(-1, 1, (n + 1, OBS.dim)).astype(np.float32)
    terminated = np.zeros(n, bool)
    terminated[n // 2 - 1] = True  # episode 0 ends in a termination, episode 1 is cut short
    transitions = {
        'obs': np.arange(n, dtype=np.int64),
        'next_obs': np.arange(1, n + 1, dtype=np.int64),
        'action': rng.uniform(-1, 1, (n, 2)).astype(np.float32),
        'reward': rng.standard_normal(n).astype(np.float32),
        'terminated': terminated,
        'truncated': np.zeros(n, bool),
        'intervention': np.zeros(n, bool),
        'episode': (np.arange(n) >= n // 2).astype(np.int32),
    }
    return SimpleNamespace(frames={'observation': obs}, transitions=transitions)


def test_calql_pretrainer_updates_with_the_penalty_and_saves_a_sac_state(tmp_path):
    cfg = SACPretrainConfig(hidden=HIDDEN, batch_size=8, calql=True, cql_num_actions=2, seed=1)
    idx = np.arange(40)
    trainer = SACPretrainer(_dataset(), cfg, OBS, ACT, idx)
    assert isinstance(trainer.sac, CalQLSAC)
    data = trainer.data
    np.testing.assert_allclose(
        trainer.mc_returns,
        returns_to_go(data.rewards, data.terminated, data.episodes, data.obs_index, cfg.gamma),
    )
    rng = np.random.default_rng(0)
    stats = trainer.update(trainer.sample(idx, 8, rng))
    assert stats['critic_penalty'] != 0.0 and 0.0 <= stats['calibration_rate'] <= 1.0
    assert stats['critic_loss'] == stats['loss']
    assert 'val_mc_return_mean' in trainer.evaluate(trainer.sample(idx, 8, rng))
    with pytest.raises(ConfigError, match='mc_returns'):
        trainer.sac.update(trainer.sample(idx, 8, rng).batch)
    path = trainer.save(tmp_path / 'calql', {})
    tensors, meta = load_checkpoint(path)
    assert meta['algorithm'] == 'sac' and meta['calql']['num_actions'] == 2
    assert 'calql' not in meta['sac_config']  # the online learner's SACConfig reads it
    # Plain SAC (the online learner's) loads the state: the penalty lives in the class only.
    learner = OnlineLearner(
        SACConfig(obs_dim=OBS.dim, action_dim=2, hidden=HIDDEN, batch_size=8, n_step=1),
        OBS, ACT, tmp_path / 'run', OnlineConfig(checkpoint_every=0), init_from=str(path),
    )
    assert type(learner.sac).__name__ == 'SAC' and learner.sac.num_updates == 1
    for key, value in learner.sac.actor_state().items():
        assert torch.equal(value, tensors['actor.' + key])
    learner.close()


def test_calql_options_are_checked():
    with pytest.raises(ConfigError, match='cql_alpha'):
        SACPretrainConfig(cql_alpha=0.0)
    with pytest.raises(ConfigError, match='cql_num_actions'):
        SACPretrainConfig(cql_num_actions=0)
    with pytest.raises(ConfigError, match='calql must be true or false'):
        SACPretrainConfig(calql='yes')
    with pytest.raises(ConfigError, match='critic_warmup_updates'):
        OnlineConfig(critic_warmup_updates=-1)


def _sac_cfg() -> SACConfig:
    return SACConfig(obs_dim=OBS.dim, action_dim=2, hidden=HIDDEN, batch_size=8, n_step=1)


def _feed(learner: OnlineLearner, steps: int) -> None:
    rng = np.random.default_rng(1)
    for k in range(steps):
        learner.add(
            'r',
            rng.uniform(-1, 1, OBS.dim).astype(np.float32),
            rng.uniform(-1, 1, 2).astype(np.float32),
            float(rng.standard_normal()),
            rng.uniform(-1, 1, OBS.dim).astype(np.float32),
            False,
            False,
            k + 1,
            k,
        )


def _actor(learner: OnlineLearner) -> dict[str, torch.Tensor]:
    return learner.sac.actor_state()


def test_critic_warmup_keeps_the_actor_for_k_updates_after_init_from(tmp_path):
    source = OnlineLearner(_sac_cfg(), OBS, ACT, tmp_path / 'a', OnlineConfig(checkpoint_every=0))
    path = source.save('latest')
    cfg = OnlineConfig(warmup_transitions=1, checkpoint_every=0, critic_warmup_updates=3)
    learner = OnlineLearner(_sac_cfg(), OBS, ACT, tmp_path / 'b', cfg, init_from=str(path))
    _feed(learner, 10)
    before = _actor(learner)
    critic = learner.sac.critic.q1[0].weight.detach().clone()
    for _ in range(3):
        stats = learner.update()
        assert 'actor_loss' not in stats
    assert all(torch.equal(v, before[k]) for k, v in _actor(learner).items())
    assert not torch.equal(learner.sac.critic.q1[0].weight, critic)  # the critics learned
    assert learner.sac.actor_updates == 0
    assert 'actor_loss' in learner.update()  # update 4: the actor moves
    assert not all(torch.equal(v, before[k]) for k, v in _actor(learner).items())
    # Without init_from there is nothing to warm up: the actor trains from the first update.
    fresh = OnlineLearner(_sac_cfg(), OBS, ACT, tmp_path / 'c', cfg)
    _feed(fresh, 2)
    assert 'actor_loss' in fresh.update()
    for each in (source, learner, fresh):
        each.close()


def _foreign_checkpoint(path: Path, algorithm: str, obs_cfg=OBS) -> Path:
    meta = policy_metadata(obs_cfg, ACT, HIDDEN, algorithm)
    return save_checkpoint(path, {'actor.x': torch.zeros(2)}, meta)


@pytest.mark.parametrize('algorithm', ['bc', 'reward_classifier'])
def test_init_from_refuses_another_algorithm_in_one_line(tmp_path, algorithm):
    path = _foreign_checkpoint(tmp_path / algorithm, algorithm)
    with pytest.raises(CheckpointError, match=f"holds no SAC state \\(algorithm '{algorithm}'\\)"):
        OnlineLearner(_sac_cfg(), OBS, ACT, tmp_path / 'run', init_from=str(path))
    # The algorithm is named first even when the spec differs too (a camera BC checkpoint).
    other = _foreign_checkpoint(tmp_path / 'o', algorithm, ObservationConfig(num_sectors=12))
    with pytest.raises(CheckpointError, match=f"algorithm '{algorithm}'") as info:
        OnlineLearner(_sac_cfg(), OBS, ACT, tmp_path / 'run', init_from=str(other))
    assert '\n' not in str(info.value)


def test_init_from_refuses_another_observation_spec(tmp_path):
    small = ObservationConfig(num_sectors=12)
    source = OnlineLearner(
        SACConfig(obs_dim=small.dim, action_dim=2, hidden=HIDDEN, batch_size=8),
        small, ACT, tmp_path / 'a', OnlineConfig(checkpoint_every=0),
    )
    path = source.save('latest')
    with pytest.raises(CheckpointError, match='checkpoint obs_dim is') as info:
        OnlineLearner(_sac_cfg(), OBS, ACT, tmp_path / 'b', init_from=str(path))
    assert '\n' not in str(info.value)
    source.close()


def test_train_cli_calql_writes_a_checkpoint_the_online_learner_starts_from(tmp_path):
    bags = tmp_path / 'demos'
    for i in range(3):
        write_episode(bags / f'episode_{i:04d}', n=12, seed=i, instruction='go to the red pillar')
    out = tmp_path / 'run'
    args = ['train', '--algo', 'sac', '--bags', str(bags), '--out', str(out), '--no-progress']
    args += ['--cache-dir', str(tmp_path / 'cache'), '--steps', '10', '--batch-size', '16']
    args += ['--set', 'calql=true', '--set', 'cql_num_actions=2', '--set', 'hidden=[16,16]']
    assert cli.main(args) == 0
    last = out / 'checkpoints' / 'last'
    assert load_checkpoint(last)[1]['calql']['calibration'] is True
    cfg = OnlineConfig(checkpoint_every=0, critic_warmup_updates=5)
    learner = OnlineLearner(
        SACConfig(obs_dim=OBS.dim, action_dim=2, hidden=(16, 16), batch_size=16, n_step=1),
        OBS, ACT, tmp_path / 'learner', cfg, init_from=str(last), demo_bags=[str(bags)],
    )
    assert learner.sac.num_updates == 10 and len(learner.demo) > 0
    assert (learner.updates, learner.critic_warmup_until) == (0, 5)  # the learner's count
    learner.close()


def test_bc_weight_adds_an_actor_step_toward_the_data_actions():
    cfg = SACPretrainConfig(hidden=HIDDEN, batch_size=8, bc_weight=10.0, seed=2)
    idx = np.arange(40)
    trainer = SACPretrainer(_dataset(), cfg, OBS, ACT, idx)
    batch = trainer.sample(idx, 8, np.random.default_rng(0))
    first = trainer.update(batch)
    assert 'critic_penalty' not in first and trainer.mc_returns is None  # plain SAC critic
    for _ in range(30):
        last = trainer.update(batch)
    assert last['bc_loss'] < first['bc_loss']
    assert trainer.sac.actor_updates == 31  # the BC step is not counted as a SAC step
