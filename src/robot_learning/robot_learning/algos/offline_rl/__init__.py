# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 robot_learning maintainers
"""Offline RL from bags: Implicit Q-Learning and SAC pretraining (plain or Cal-QL).

Both trainers follow the offline-trainer protocol (:class:`robot_learning.types.Trainer`:
``__init__(data, cfg, obs_cfg, act_cfg, train_indices, device)``, ``sample``, ``update``,
``evaluate``, ``save``, ``load``) that ``robot-learning train`` drives, on the
low-dimensional observation vector. ``configuration_offline_rl`` holds their options,
``data_offline_rl`` the dataset side (and the Monte-Carlo returns-to-go), ``modeling_offline_rl``
IQL, ``calql`` the Cal-QL critic term and ``pretraining_sac`` SAC pretraining (in the SAC
checkpoint layout of :mod:`robot_learning.algos.sac.checkpoint_sac`).
"""

from .calql import CalQLSAC
from .configuration_offline_rl import ACTION_CLIP, IQLConfig, SACPretrainConfig
from .modeling_offline_rl import expectile_loss, IQLTrainer, squashed_gaussian_log_prob
from .pretraining_sac import SACPretrainer

__all__ = [
    'ACTION_CLIP',
    'CalQLSAC',
    'IQLConfig',
    'IQLTrainer',
    'SACPretrainConfig',
    'SACPretrainer',
    'expectile_loss',
    'squashed_gaussian_log_prob',
]
