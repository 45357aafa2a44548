# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 robot_learning maintainers
"""Behaviour cloning (MLP or camera encoder, language-conditioned).

``configuration_bc`` holds :class:`BCConfig` (no torch), ``modeling_bc`` the network and
the deployable :class:`BCPolicy`, ``training_bc`` the :class:`BCTrainer`.
"""

from .configuration_bc import BCConfig, HEADS, NET_PREFIX
from .modeling_bc import BCNet, BCPolicy, frame_features, history_indices
from .training_bc import BCBatch, BCTrainer, random_shift

__all__ = [
    'BCBatch',
    'BCConfig',
    'BCNet',
    'BCPolicy',
    'BCTrainer',
    'HEADS',
    'NET_PREFIX',
    'frame_features',
    'history_indices',
    'random_shift',
]
