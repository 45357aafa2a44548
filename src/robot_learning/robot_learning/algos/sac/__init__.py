# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 robot_learning maintainers
"""Soft Actor-Critic: options, the update, and the checkpoint layout.

``configuration_sac`` holds :class:`SACConfig` and :class:`OnlineConfig` (checked, defaults
cited), ``modeling_sac`` the update (:class:`SAC`), ``checkpoint_sac`` the one checkpoint
layout (``save_sac_state`` / ``load_sac_state``) and ``online`` the ROS-free
:class:`~robot_learning.algos.sac.online.OnlineLearner` that the ``sac_learner`` node
drives. :class:`Batch`, the record the buffers hand to the update, lives in
:mod:`robot_learning.types` (re-exported here).
"""

from .checkpoint_sac import (
    ACTOR_PREFIX,
    BUFFER_PREFIX,
    latest_learner_state,
    load_actor_weights,
    load_sac_state,
    read_checkpoint,
    SAC_PREFIX,
    save_sac_state,
)
from .configuration_sac import config_from_dict, OnlineConfig, SACConfig
from .modeling_sac import Batch, polyak_update, SAC, tune_cpu_allocator
from .online import OnlineLearner

__all__ = [
    'ACTOR_PREFIX',
    'BUFFER_PREFIX',
    'Batch',
    'OnlineConfig',
    'OnlineLearner',
    'SAC',
    'SACConfig',
    'SAC_PREFIX',
    'config_from_dict',
    'latest_learner_state',
    'load_actor_weights',
    'load_sac_state',
    'polyak_update',
    'read_checkpoint',
    'save_sac_state',
    'tune_cpu_allocator',
]
