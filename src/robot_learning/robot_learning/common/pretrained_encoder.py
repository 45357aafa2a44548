# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 robot_learning maintainers
"""Loading a pretrained (contrastive) image encoder into a network.

``BCTrainer`` (``BCConfig.encoder_init``) and the contrastive trainer
(``robot_learning/algos/contrastive``) both use :func:`load_encoder`; it lives below the
algorithms so that behaviour cloning never imports the contrastive package, which builds
on behaviour cloning's augmentations.
"""

from __future__ import annotations

from typing import Mapping

from robot_learning.common.checkpoint import load_checkpoint
from robot_learning.errors import CheckpointError
from torch import nn

__all__ = ['ALGORITHM', 'ENCODER_PREFIX', 'load_encoder']

#: The sidecar ``algorithm`` of an encoder checkpoint.
ALGORITHM = 'contrastive'
#: Prefix of the encoder tensors in it (the network's ``convs.*`` and ``img_fc.*``).
ENCODER_PREFIX = 'encoder.'


def load_encoder(net: nn.Module, path, shape: Mapping) -> None:
    """Copy a contrastive checkpoint's encoder into ``net``'s ``convs`` and ``img_fc``.

    Args:
        net: a :class:`FilmConvImage` module (BC network or :class:`ContrastiveNet`).
        path: the checkpoint directory.
        shape: the encoder fields of the caller's config (:meth:`encoder_shape` keys).

    Raises:
        CheckpointError: missing/unreadable checkpoint, another algorithm, or another
            encoder shape (the message names the field).
    """
    tensors, meta = load_checkpoint(path)
    got = meta.get('algorithm')
    if got != ALGORITHM:
        raise CheckpointError(
            f'{path}: encoder_init needs a contrastive checkpoint '
            f'(robot-learning train --algo contrastive), got {got!r}'
        )
    theirs = meta.get('encoder', {})
    for key, mine in shape.items():
        if theirs.get(key) != mine:
            raise CheckpointError(
                f'{path}: its encoder has {key} {theirs.get(key)}, this config {mine}: '
                f'pretrain with the same {key}'
            )
    own = net.state_dict()
    for name, value in tensors.items():
        key = name[len(ENCODER_PREFIX):]
        if not name.startswith(ENCODER_PREFIX) or key not in own or own[key].shape != value.shape:
            raise CheckpointError(f'{path}: encoder tensor {name} does not fit this network')
        own[key] = value
    net.load_state_dict(own)
