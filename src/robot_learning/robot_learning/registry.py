# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 robot_learning maintainers
"""The one table of learning algorithms: name -> config, trainer, policy, description.

``robot-learning train --algo NAME`` (:mod:`robot_learning.train`) builds the config and
trainer of ``NAME``; :func:`robot_learning.policy.load_policy` picks the policy class by
the ``algorithm`` field of a checkpoint's sidecar. Classes are named by dotted path
(``module:Class``) and imported on first use, so reading the table imports no torch and
no algorithm module (which also keeps ``policy`` from importing the algorithms that
import it).

Adding an algorithm: a package under ``robot_learning/algos/`` with a config dataclass, a
:class:`robot_learning.types.Trainer` and (when its checkpoints are not plain actors) a
:class:`robot_learning.types.Policy` class with ``from_tensors(tensors, metadata,
source)``; then one row in :data:`ALGORITHMS`.
"""

from __future__ import annotations

from dataclasses import dataclass
import importlib
from typing import Any

from robot_learning.errors import ConfigError

__all__ = ['ALGORITHMS', 'Algorithm', 'DEFAULT_POLICY', 'get', 'names', 'policy_class']

#: The policy class of checkpoints whose algorithm is not in the table (e.g. a plain
#: squashed-Gaussian actor written by another tool with ``policy_metadata``).
DEFAULT_POLICY = 'robot_learning.policy:ActorPolicy'


def _resolve(path: str) -> Any:
    module, _, name = path.partition(':')
    return getattr(importlib.import_module(module), name)


@dataclass(frozen=True)
class Algorithm:
    """One row of the registry; the ``*_path`` fields are ``'package.module:Class'``."""

    name: str
    config_path: str
    trainer_path: str
    policy_path: str
    description: str

    @property
    def config_class(self) -> type:
        """Return the config dataclass (imports its module)."""
        return _resolve(self.config_path)

    @property
    def trainer_class(self) -> type:
        """Return the :class:`~robot_learning.types.Trainer` class (imports its module)."""
        return _resolve(self.trainer_path)

    @property
    def policy_class(self) -> type:
        """Return the :class:`~robot_learning.types.Policy` class its checkpoints load as."""
        return _resolve(self.policy_path)


ALGORITHMS: dict[str, Algorithm] = {
    a.name: a
    for a in (
        Algorithm(
            'bc',
            'robot_learning.algos.bc.configuration_bc:BCConfig',
            'robot_learning.algos.bc.training_bc:BCTrainer',
            'robot_learning.algos.bc.modeling_bc:BCPolicy',
            'behaviour cloning',
        ),
        Algorithm(
            'act',
            'robot_learning.algos.act.configuration_act:ACTConfig',
            'robot_learning.algos.act.modeling_act:ACTTrainer',
            'robot_learning.algos.act.modeling_act:ACTPolicy',
            'action-chunking transformer (ACT)',
        ),
        Algorithm(
            'iql',
            'robot_learning.algos.offline_rl:IQLConfig',
            'robot_learning.algos.offline_rl:IQLTrainer',
            DEFAULT_POLICY,
            'offline RL (IQL)',
        ),
        Algorithm(
            'sac',
            'robot_learning.algos.offline_rl:SACPretrainConfig',
            'robot_learning.algos.offline_rl:SACPretrainer',
            DEFAULT_POLICY,
            'SAC pretraining',
        ),
        Algorithm(
            'reward_classifier',
            'robot_learning.algos.reward_classifier.configuration_reward_classifier:'
            'RewardClassifierConfig',
            'robot_learning.algos.reward_classifier.training_reward_classifier:'
            'RewardClassifierTrainer',
            # Its checkpoints are no policy: load_policy refuses them in one line.
            'robot_learning.algos.reward_classifier.modeling_reward_classifier:'
            'ClassifierNotPolicy',
            'success classifier (learned reward)',
        ),
        Algorithm(
            'contrastive',
            'robot_learning.algos.contrastive.configuration_contrastive:ContrastiveConfig',
            'robot_learning.algos.contrastive.modeling_contrastive:ContrastiveTrainer',
            # An image encoder for BC (BCConfig.encoder_init), not a policy.
            'robot_learning.algos.contrastive.modeling_contrastive:EncoderNotPolicy',
            'contrastive image-encoder pretraining (SimCLR / TCN)',
        ),
    )
}


def names() -> tuple[str, ...]:
    """Return the registered algorithm names, in table order."""
    return tuple(ALGORITHMS)


def get(name: str) -> Algorithm:
    """Return the row of ``name``.

    Raises:
        ConfigError: an unknown name (the message lists the known ones).
    """
    try:
        return ALGORITHMS[name]
    except KeyError:
        raise ConfigError(
            f'unknown algorithm {name!r}: expected one of {", ".join(ALGORITHMS)}'
        ) from None


def policy_class(algorithm: str) -> type:
    """Return the policy class of a sidecar's ``algorithm`` (:data:`DEFAULT_POLICY` if unknown)."""
    row = ALGORITHMS.get(algorithm)
    return row.policy_class if row is not None else _resolve(DEFAULT_POLICY)
