# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 robot_learning maintainers
"""OnlineLearner without ROS: UTD gate, n-step per robot, resume, best checkpoint."""

from __future__ import annotations

import json
from types import SimpleNamespace

import numpy as np
import pytest
from robot_learning.algos.sac import (
    latest_learner_state,
    load_sac_state,
    OnlineConfig,
    read_checkpoint,
    SACConfig,
    save_sac_state,
)
from robot_learning.algos.sac.online import OnlineLearner
from robot_learning.common.checkpoint import bytes_to_weights, load_checkpoint, METADATA_FILE
from robot_learning.common.features import JointActionConfig, VectorObservationConfig
from robot_learning.errors import CheckpointError, ConfigError
import torch

OBS = VectorObservationConfig(dim=3, names=('a', 'b', 'c'))
ACT = JointActionConfig(low=(-2.0,), high=(2.0,), names=('hinge',))


def _sac_cfg(**kw) -> SACConfig:
    values = {'hidden': (16, 16), 'batch_size': 8, 'n_step': 1, **kw}
    return SACConfig(obs_dim=OBS.dim, action_dim=ACT.dim, **values)


def _learner(run_dir, sac=None, init_from='', **cfg) -> OnlineLearner:
    values = {'warmup_transitions': 4, 'checkpoint_every': 0, **cfg}
    return OnlineLearner(
        sac or _sac_cfg(), OBS, ACT, run_dir, OnlineConfig(**values), init_from=init_from
    )


def _feed(learner, robot: str, steps: int, start: int = 0, reward=None, terminate=False):
    """Add ``steps`` consecutive transitions of ``robot``, stamps start..start+steps."""
    rng = np.random.default_rng(start)
    for k in range(steps):
        r = float(reward(k)) if reward else -float(k)
        assert learner.add(
            robot,
            rng.uniform(-1, 1, 3).astype(np.float32),
            rng.uniform(-1, 1, 1).astype(np.float32),
            r,
            rng.uniform(-1, 1, 3).astype(np.float32),
            terminate and k == steps - 1,
            False,
            start + k + 1,
            start + k,
        )


def _episode(outcome: str, n: int = 0):
    return SimpleNamespace(
        episode=n, instruction='', outcome=outcome, episode_return=1.0, length=5, end_stamp=0
    )


def test_utd_gate_one_update_per_transition_after_warmup_up_to_the_cap(tmp_path):
    learner = _learner(tmp_path, warmup_transitions=4, max_env_steps=6)
    _feed(learner, 'r', 3)
    assert not learner.ready() and learner.update() is None  # warm-up
    _feed(learner, 'r', 2, start=3)
    assert learner.transitions == 5
    for _ in range(5):
        stats = learner.update()
        assert stats is not None and np.isfinite(stats['critic_loss'])
    assert learner.updates == 5 and learner.update() is None  # one per transition
    _feed(learner, 'r', 3, start=5)
    while learner.update() is not None:
        pass
    assert learner.updates == 6  # max_env_steps
    assert learner.sac.critic_updates == 6 * learner.sac_cfg.utd_ratio
    learner.cfg.max_env_steps = 0  # live change, as the node's parameter
    assert learner.update() is not None and learner.updates == 7


def test_nonfinite_transitions_are_dropped(tmp_path):
    learner = _learner(tmp_path)
    ok = learner.add('r', np.zeros(3), np.zeros(1), float('nan'), np.zeros(3), False, False, 1, 0)
    bad_obs = np.array([0.0, np.inf, 0.0])
    ok2 = learner.add('r', bad_obs, np.zeros(1), 0.0, np.zeros(3), False, False, 1, 0)
    assert not ok and not ok2 and learner.transitions == 0 and len(learner.online) == 0


def test_n_step_returns_stay_within_each_robot(tmp_path):
    learner = _learner(tmp_path, sac=_sac_cfg(n_step=3, gamma=0.5))
    rng = np.random.default_rng(0)
    # Interleaved steps of two robots with the same stamps; robot a earns 1, b 100 per step.
    for k in range(4):
        for robot, scale in (('a', 1.0), ('b', 100.0)):
            last = k == 3
            learner.add(
                robot, rng.random(3), rng.random(1), scale, rng.random(3), last, False, k + 1, k
            )
    rewards = learner.online.rewards[: len(learner.online)].tolist()
    n_steps = learner.online.n_steps[: len(learner.online)].tolist()
    assert len(rewards) == 8
    by_robot = {'a': [], 'b': []}
    for r, n in zip(rewards, n_steps):
        by_robot['a' if r < 10 else 'b'].append((r, n))
    full = 1 + 0.5 + 0.25  # three steps of reward 1, discounted by 0.5
    assert sorted(by_robot['a']) == sorted([(full, 3), (full, 3), (1.5, 2), (1.0, 1)])
    assert sorted(by_robot['b']) == sorted([(100 * r, n) for r, n in by_robot['a']])
    assert learner.robots['a'].transitions == learner.robots['b'].transitions == 4


def test_a_gap_in_a_robots_stamps_ends_its_n_step_returns(tmp_path):
    learner = _learner(tmp_path, sac=_sac_cfg(n_step=3, gamma=0.5))
    _feed(learner, 'r', 2, start=0, reward=lambda k: 1.0)  # stamps 1, 2
    assert len(learner.online) == 0
    _feed(learner, 'r', 1, start=5, reward=lambda k: 1.0)  # prev_stamp 5 != 2: a lost step
    assert learner.online.n_steps[:2].tolist() == [2, 1]  # flushed, never spliced over
    assert learner.online.rewards[:2].tolist() == [1.5, 1.0]


def test_resume_restores_counters_buffers_networks_and_the_best_window(tmp_path):
    first = _learner(tmp_path, best_window=3)
    _feed(first, 'r1', 6)
    _feed(first, 'r2', 4, start=100)
    while first.update() is not None:
        pass
    first.weights_blob()
    for outcome in ('success', 'failure'):
        first.on_episode('r1', _episode(outcome))
    path = first.save('latest')
    first.close()
    assert latest_learner_state(tmp_path) == path

    second = _learner(tmp_path, best_window=3)
    assert second.resumed_from == path
    assert (second.transitions, second.updates, second.version) == (10, 10, 1)
    assert {k: r.transitions for k, r in second.robots.items()} == {}  # made on first use
    assert second.robot('r1').transitions == 6 and second.robot('r2').transitions == 4
    assert len(second.online) == 10
    assert np.array_equal(second.online.observations[:10], first.online.observations[:10])
    assert list(second.recent) == [True, False] and len(second.rows) == 2
    assert second.sac.num_updates == 10
    mine, theirs = second.sac.state_dict(), first.sac.state_dict()
    assert all(torch.equal(mine[k], theirs[k]) for k in theirs)
    assert second.update() is None  # 10 updates for 10 transitions: the gate holds
    # The same next step on the same batch: networks, Adam moments and RNG states came back
    # (replay sampling starts again from the seed: its generator is not saved).
    batch = first.online.sample(8, np.random.default_rng(1))
    assert second.sac.update(batch) == first.sac.update(batch)
    fresh = _learner(tmp_path / 'other')
    assert fresh.resumed_from is None and fresh.transitions == 0
    off = OnlineLearner(_sac_cfg(), OBS, ACT, tmp_path, OnlineConfig(), resume=False)
    assert off.resumed_from is None and off.updates == 0


def test_resume_refuses_another_spec_or_network(tmp_path):
    _learner(tmp_path).save('latest')
    wide = VectorObservationConfig(dim=4)
    with pytest.raises(CheckpointError, match='obs_dim is 3, this policy needs 4'):
        OnlineLearner(SACConfig(obs_dim=4, action_dim=1, hidden=(16, 16)), wide, ACT, tmp_path)
    with pytest.raises(CheckpointError, match=r'has sac.hidden \[16, 16\], this learner \[8\]'):
        _learner(tmp_path, sac=_sac_cfg(hidden=(8,)))


def test_best_checkpoint_follows_the_rolling_success_rate(tmp_path):
    learner = _learner(tmp_path, best_window=2)
    best = tmp_path / 'checkpoints' / 'best'

    def best_rate():
        return json.loads((best / METADATA_FILE).read_text())['best_training_success']

    learner.on_episode('r', _episode('failure'))
    assert not best.exists()  # the window is not full yet
    learner.on_episode('r', _episode('success'))
    assert best_rate() == 0.5
    learner.on_episode('r', _episode('failure'))  # window [s, f]: 0.5, not better
    learner.on_episode('r', _episode('failure'))  # 0.0
    assert best_rate() == 0.5
    _feed(learner, 'r', 4)
    learner.update()  # the weights change; the next best holds the new ones
    learner.on_episode('r', _episode('success'))
    learner.on_episode('r', _episode('success'))
    assert best_rate() == 1.0 and learner.best_success == 1.0
    tensors, meta = load_checkpoint(best)
    assert not meta.get('learner_state') and not any(k.startswith('buffer.') for k in tensors)
    actor = learner.sac.actor_state()
    assert all(torch.equal(tensors['actor.' + k], v) for k, v in actor.items())
    rows = [json.loads(line) for line in (tmp_path / 'episodes.jsonl').read_text().splitlines()]
    assert [r['success'] for r in rows] == [False, True, False, False, True, True]


def test_load_sac_state_keeps_the_loaders_learning_rates(tmp_path):
    learner = _learner(tmp_path, sac=_sac_cfg(critic_lr=1e-3, seed=4))
    _feed(learner, 'r', 4)
    learner.update()
    path = save_sac_state(tmp_path / 'ckpt', learner.sac, OBS, ACT, version=3)
    other = _learner(tmp_path / 'b', sac=_sac_cfg(critic_lr=3e-4))
    tensors, meta = read_checkpoint(path, OBS, ACT)
    assert meta['algorithm'] == 'sac' and meta['version'] == 3
    assert meta['sac_config']['critic_lr'] == 1e-3 and meta['sac_config']['device'] == 'cpu'
    load_sac_state(other.sac, tensors, meta, f'init_from {path}')
    assert other.sac.critic_optimizer.param_groups[0]['lr'] == 3e-4
    state = other.sac.state_dict()
    key = 'optim.critic.state.0.exp_avg'
    assert torch.equal(state[key], tensors['sac.' + key])
    started = _learner(tmp_path / 'c', init_from=str(path))
    assert started.sac.num_updates == 1 and started.transitions == 0  # networks, no counters


def test_demo_bags_need_the_navigation_spec(tmp_path):
    with pytest.raises(ConfigError, match='only navigation demos'):
        OnlineLearner(_sac_cfg(), OBS, ACT, tmp_path, demo_bags=['somewhere'])


def test_periodic_checkpoint_progress_per_robot_and_weight_versions(tmp_path):
    learner = _learner(tmp_path, warmup_transitions=2, checkpoint_every=3)
    _feed(learner, 'a', 3)
    _feed(learner, 'b', 1, start=50)
    for _ in range(2):
        learner.update()
        assert learner.checkpoint_if_due() is None
    learner.update()
    path = learner.checkpoint_if_due()
    meta = json.loads((path / METADATA_FILE).read_text())
    assert meta['learner_state'] and (meta['env_steps'], meta['updates']) == (4, 3)
    assert meta['robot_transitions'] == {'a': 3, 'b': 1}
    # learner/progress: each robot's share of the transitions trained through (3 of 4).
    assert (learner.trained_through('a'), learner.trained_through('b')) == (2, 0)
    learner.update()
    assert (learner.trained_through('a'), learner.trained_through('b')) == (3, 1)
    tensors, blob_meta = bytes_to_weights(learner.weights_blob())
    assert blob_meta['version'] == 1 and blob_meta['updates'] == 4 and 'sent_unix' in blob_meta
    assert set(tensors) == {'actor.' + k for k in learner.sac.actor_state()}
    assert bytes_to_weights(learner.weights_blob())[1]['version'] == 2


def test_sparse_rewards_relabel_demos_with_the_task_reward():
    from robot_learning.algos.sac.online import sparse_rewards

    def t(terminated, outcome):
        return SimpleNamespace(terminated=terminated, info=SimpleNamespace(outcome=outcome))

    steps = [t(False, 'running'), t(True, 'success'), t(False, 'running'), t(True, 'failure'),
             t(False, 'timeout')]
    r = sparse_rewards(steps, -0.05, 10.0, -5.0)
    assert r.dtype == np.float32
    assert np.allclose(r, [-0.05, 9.95, -0.05, -5.05, -0.05])
