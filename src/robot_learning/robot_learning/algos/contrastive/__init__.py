# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 robot_learning maintainers
"""Self-supervised pretraining of the camera encoder (SimCLR / time-contrastive).

``configuration_contrastive`` holds :class:`ContrastiveConfig` (no torch),
``modeling_contrastive`` the network, the NT-Xent loss, :class:`ContrastiveTrainer` and
:func:`load_encoder`. Pretrain: ``robot-learning train --algo contrastive --bags DIR
--outcomes all --out RUN``; then BC: ``--set encoder_init=RUN/checkpoints/last``.
"""

from .configuration_contrastive import ALGORITHM, ContrastiveConfig, ENCODER_PREFIX, METHODS

__all__ = ['ALGORITHM', 'ContrastiveConfig', 'ENCODER_PREFIX', 'METHODS']
