# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 robot_learning maintainers
"""Success classifier (HIL-SERL / SERL style learned reward): camera + LiDAR + instruction.

``configuration_reward_classifier`` holds :class:`RewardClassifierConfig` (no torch),
``modeling_reward_classifier`` the network, the inference wrapper
:class:`RewardClassifier` and :func:`load_classifier`, ``training_reward_classifier``
the labels, the threshold choice and :class:`RewardClassifierTrainer`.

Train: ``robot-learning train --algo reward_classifier --bags DIR --out RUN
--val-fraction 0.25``; use: ``load_classifier('RUN/checkpoints/best').predict(image,
sectors, instruction)``.
"""

from .configuration_reward_classifier import ALGORITHM, NET_PREFIX, RewardClassifierConfig
from .modeling_reward_classifier import (
    ClassifierNotPolicy,
    load_classifier,
    RewardClassifier,
    RewardClassifierNet,
)
from .training_reward_classifier import (
    choose_threshold,
    ClassifierBatch,
    confusion,
    evaluation_rows,
    frame_labels,
    RewardClassifierTrainer,
    split_test,
)

__all__ = [
    'ALGORITHM',
    'ClassifierBatch',
    'ClassifierNotPolicy',
    'NET_PREFIX',
    'RewardClassifier',
    'RewardClassifierConfig',
    'RewardClassifierNet',
    'RewardClassifierTrainer',
    'choose_threshold',
    'confusion',
    'evaluation_rows',
    'frame_labels',
    'load_classifier',
    'split_test',
]
