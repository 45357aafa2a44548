# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 robot_learning maintainers
"""The algorithm registry and the Policy/Trainer protocols (no rclpy)."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
from robot_learning import policy as policy_module
from robot_learning import registry
from robot_learning.common.checkpoint import save_checkpoint
from robot_learning.common.features import (
    ActionConfig,
    ObservationConfig,
    RawObservation,
    VectorObservation,
)
from robot_learning.common.networks import SquashedGaussianActor
from robot_learning.errors import CheckpointError, ConfigError
from robot_learning.policy import ACTOR_PREFIX, ActorPolicy, load_policy, policy_metadata
from robot_learning.types import Policy, Trainer


def test_every_row_resolves_to_a_config_a_trainer_and_a_policy():
    assert registry.names() == ('bc', 'act', 'iql', 'sac', 'reward_classifier', 'contrastive')
    for name in registry.names():
        algo = registry.get(name)
        cfg = algo.config_class()
        assert hasattr(cfg, 'batch_size') and algo.description
        for method in ('sample', 'update', 'evaluate', 'save', 'load'):
            assert callable(getattr(algo.trainer_class, method, None)), (name, method)
        assert callable(getattr(algo.policy_class, 'from_tensors', None)), name
    with pytest.raises(ConfigError, match="unknown algorithm 'ppo'.*bc, act, iql, sac"):
        registry.get('ppo')
    assert registry.policy_class('something_else') is ActorPolicy


def test_reading_the_registry_imports_no_torch_and_no_algorithm():
    code = (
        'import sys, robot_learning.registry, robot_learning.types, robot_learning.cli\n'
        'heavy = [m for m in sys.modules\n'
        '         if m == "torch" or m.startswith("robot_learning.algos.")]\n'
        'print(heavy)\n'
    )
    out = subprocess.run(
        [sys.executable, '-c', code], capture_output=True, text=True, timeout=120, check=True
    )
    assert out.stdout.strip() == '[]', out.stdout


def _actor_checkpoint(path, algorithm='sac'):
    obs = ObservationConfig(num_sectors=8)
    actor = SquashedGaussianActor(obs.dim, 2, (16, 16))
    return save_checkpoint(
        path,
        {ACTOR_PREFIX + k: v for k, v in actor.state_dict().items()},
        policy_metadata(obs, ActionConfig(), (16, 16), algorithm),
    )


def test_actor_policy_acts_on_the_observation_record(tmp_path):
    pol = load_policy(_actor_checkpoint(tmp_path / 'ckpt'))
    assert isinstance(pol, ActorPolicy) and isinstance(pol, Policy)
    raw = RawObservation(
        0, np.full(8, 2.0, np.float32), np.zeros((3, 2), np.float32), (0.1, 0.0), 'go'
    )
    a = pol.act(raw)
    assert a.dtype == np.float32 and a.shape == (2,) and np.all(np.abs(a) <= 1)
    np.testing.assert_array_equal(a, pol.act_vector(raw.encode(pol.obs_cfg)))
    assert pol.act(raw._replace(image=np.zeros((4, 4, 3), np.uint8))).shape == (2,)
    # The old class name still works.
    assert policy_module.Policy is ActorPolicy


def test_load_policy_picks_the_class_through_the_registry(tmp_path, monkeypatch):
    class Echo:
        needs_image, image_size = False, None

        @classmethod
        def from_tensors(cls, tensors, metadata, source='weights'):
            obj = cls()
            obj.metadata, obj.source = metadata, source
            return obj

        def act(self, observation, deterministic=True):
            return np.zeros(2, np.float32)

    row = registry.Algorithm('echo', '', '', f'{__name__}:_ECHO', 'test algorithm')
    monkeypatch.setitem(registry.ALGORITHMS, 'echo', row)
    monkeypatch.setitem(globals(), '_ECHO', Echo)
    pol = load_policy(_actor_checkpoint(tmp_path / 'ckpt', algorithm='echo'))
    assert isinstance(pol, Echo) and pol.source == str(tmp_path / 'ckpt')


def test_a_policy_class_that_rejects_the_tensors_gives_one_line(tmp_path):
    path = _actor_checkpoint(tmp_path / 'ckpt', algorithm='bc')  # an actor, labelled bc
    with pytest.raises(CheckpointError) as err:
        load_policy(path)
    assert '\n' not in str(err.value) and 'ckpt' in str(err.value)


def test_joint_observations_take_the_same_act(tmp_path):
    from robot_learning.common.features import JointActionConfig, VectorObservationConfig

    obs, act = VectorObservationConfig(dim=3), JointActionConfig((-1.0, -2.0), (1.0, 2.0))
    actor = SquashedGaussianActor(3, 2, (8,))
    path = save_checkpoint(
        tmp_path / 'joint',
        {ACTOR_PREFIX + k: v for k, v in actor.state_dict().items()},
        policy_metadata(obs, act, (8,), 'sac'),
    )
    pol = load_policy(path)
    assert pol.act(VectorObservation(0, np.array([0.1, 0.2, 0.3]))).shape == (2,)


def test_trainers_satisfy_the_protocol():
    from robot_learning.algos.bc import BCTrainer

    for name in registry.names():
        assert issubclass(registry.get(name).trainer_class, Trainer)
    assert issubclass(BCTrainer, Trainer)
