# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 robot_learning maintainers
"""The sac_learner's ``init_from``.

It starts from a pretrained or its own checkpoint, and refuses one of another spec.
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest
from rclpy.parameter import Parameter
from robot_learning.algos.offline_rl import (
    IQLConfig,
    IQLTrainer,
    SACPretrainConfig,
    SACPretrainer,
)
from robot_learning.common.checkpoint import bytes_to_weights, load_checkpoint
from robot_learning.common.features import ActionConfig, ObservationConfig
from robot_learning.errors import CheckpointError
from robot_learning.policy import ACTOR_PREFIX
from robot_learning_nodes.common import LATCHED_QOS
from robot_learning_nodes.sac_learner import SacLearner
from std_msgs.msg import UInt8MultiArray
import torch

HIDDEN = (32, 32)


def _dataset(obs_cfg: ObservationConfig, n: int = 64, seed: int = 0) -> SimpleNamespace:
    rng = np.random.default_rng(seed)
    obs = rng.uniform(-1, 1, (n + 1, obs_cfg.dim)).astype(np.float32)
    transitions = {
        'obs': np.arange(n, dtype=np.int64),
        'next_obs': np.arange(1, n + 1, dtype=np.int64),
        'action': rng.uniform(-1, 1, (n, 2)).astype(np.float32),
        'reward': rng.standard_normal(n).astype(np.float32),
        'terminated': np.zeros(n, bool),
        'truncated': np.zeros(n, bool),
        'intervention': np.zeros(n, bool),
        'episode': np.zeros(n, np.int32),
    }
    return SimpleNamespace(frames={'observation': obs}, transitions=transitions, instructions=[''])


@pytest.fixture(scope='module')
def pretrained(tmp_path_factory):
    """Write an offline-SAC checkpoint on the learner's default observation spec."""
    obs_cfg = ObservationConfig()
    data = _dataset(obs_cfg)
    idx = np.arange(64, dtype=np.int64)
    trainer = SACPretrainer(
        data, SACPretrainConfig(hidden=HIDDEN, batch_size=16, seed=3), obs_cfg, ActionConfig(), idx
    )
    rng = np.random.default_rng(0)
    for _ in range(5):
        trainer.update(trainer.sample(idx, 16, rng))
    return trainer.save(tmp_path_factory.mktemp('pre') / 'sac', {})


def _learner(ros, tmp_path, name: str, **params) -> SacLearner:
    values = {
        'run_dir': str(tmp_path / name),
        'sac.hidden': list(HIDDEN),
        'warmup_transitions': 10**6,
        **params,
    }
    return SacLearner(
        namespace=ros.ns, parameter_overrides=[Parameter(k, value=v) for k, v in values.items()]
    )


def _first_weights(ros) -> dict[str, torch.Tensor]:
    got = ros.collect(UInt8MultiArray, 'policy/weights', LATCHED_QOS)
    ros.spin_until(lambda: got, 10.0, 'policy/weights')
    tensors, meta = bytes_to_weights(bytes(got[0].data))
    assert meta['version'] == 1
    return tensors


def _same(a: dict[str, torch.Tensor], b: dict[str, torch.Tensor]) -> bool:
    return a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)


def test_learner_continues_from_a_pretrained_checkpoint(ros, tmp_path, pretrained):
    node = ros.add(_learner(ros, tmp_path, 'run', init_from=str(pretrained)))
    tensors, meta = load_checkpoint(pretrained)
    actor = {k: v for k, v in tensors.items() if k.startswith(ACTOR_PREFIX)}
    assert _same(_first_weights(ros), actor)  # what the policy node receives
    state = node.learner.sac.state_dict()  # and the whole SAC state underneath
    for key in (
        'critic.q1.0.weight',
        'critic_target.q2.0.bias',
        'log_alpha',
        'optim.critic.state.0.exp_avg',
    ):
        assert torch.equal(state[key], tensors['sac.' + key]), key
    assert node.learner.sac.num_updates == meta['updates'] == 5


def test_learner_continues_from_its_own_checkpoint(ros, tmp_path):
    first = ros.add(_learner(ros, tmp_path, 'a', **{'sac.seed': 5}))
    path = first.learner.save('latest')
    want = {ACTOR_PREFIX + k: v for k, v in first.learner.sac.actor_state().items()}
    second = ros.add(
        _learner(ros, tmp_path, 'b', init_from=str(path))
    )  # sac.seed 0: other fresh weights
    assert _same({ACTOR_PREFIX + k: v for k, v in second.learner.sac.actor_state().items()}, want)
    assert _same(
        {k: v for k, v in second.learner.sac.state_dict().items() if k.startswith('critic')},
        {k: v for k, v in first.learner.sac.state_dict().items() if k.startswith('critic')},
    )


def test_learner_refuses_another_spec_or_a_checkpoint_without_sac_state(ros, tmp_path, pretrained):
    full, fewer = ObservationConfig().dim, ObservationConfig(num_sectors=12).dim
    with pytest.raises(
        CheckpointError, match=f'checkpoint obs_dim is {full}, this policy needs {fewer}'
    ):
        _learner(ros, tmp_path, 'x', init_from=str(pretrained), **{'observation.num_sectors': 12})
    with pytest.raises(
        CheckpointError, match=r'checkpoint action.linear is \[-0.3, 0.6\], this policy needs'
    ):
        _learner(ros, tmp_path, 'x', init_from=str(pretrained), **{'action.linear': [-0.2, 0.5]})
    with pytest.raises(CheckpointError, match=r'has sac.hidden \[32, 32\], this learner \[16\]'):
        _learner(ros, tmp_path, 'x', init_from=str(pretrained), **{'sac.hidden': [16]})
    obs_cfg = ObservationConfig()
    iql = IQLTrainer(
        _dataset(obs_cfg), IQLConfig(hidden=HIDDEN), obs_cfg, ActionConfig(), np.arange(64)
    )
    with pytest.raises(CheckpointError, match="holds no SAC state \\(algorithm 'iql'\\)"):
        _learner(ros, tmp_path, 'x', init_from=str(iql.save(tmp_path / 'iql', {})))
    with pytest.raises(CheckpointError, match='does not exist'):
        _learner(ros, tmp_path, 'x', init_from=str(tmp_path / 'nowhere'))
