# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 robot_learning maintainers
"""Action-chunking transformer (ACT, Zhao et al. 2023) on the behaviour-cloning inputs.

``configuration_act`` holds :class:`ACTConfig` (no torch), ``modeling_act`` the network,
the chunk trainer and the temporally ensembled policy. Train with ``robot-learning train
--algo act``; the checkpoint deploys through ``policy_node`` as a BC one does.
"""

from .configuration_act import ACTConfig

__all__ = ['ACTConfig']
