# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 robot_learning maintainers
"""Contrastive encoder pretraining configuration (no torch), apart from the model.

The encoder's shape fields default to :class:`~robot_learning.algos.bc.BCConfig`'s, so a
pretrained encoder drops into the camera BC policy (``BCConfig.encoder_init``).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from robot_learning.algos.bc.configuration_bc import BCConfig
from robot_learning.common.pretrained_encoder import ALGORITHM as _ALGORITHM
from robot_learning.common.pretrained_encoder import ENCODER_PREFIX as _PREFIX
from robot_learning.errors import ConfigError

__all__ = ['ALGORITHM', 'ContrastiveConfig', 'ENCODER_PREFIX', 'METHODS']

# The sidecar ``algorithm`` of an encoder checkpoint and the key prefix of its weights.
ALGORITHM, ENCODER_PREFIX = _ALGORITHM, _PREFIX
METHODS = ('simclr', 'tcn')
_BC = BCConfig()


@dataclass
class ContrastiveConfig:
    """Self-supervised image-encoder pretraining on unlabelled recorded frames.

    Attributes:
        method: ``simclr``: the two views of a pair are two augmentations of the same
            frame (SimCLR, Chen et al. 2020, "A Simple Framework for Contrastive Learning
            of Visual Representations"); ``tcn``: the second view is a frame of the same
            episode at most ``positive_window`` steps away (single-view time-contrastive
            networks, Sermanet et al. 2018, sec. 3.1), both augmented.
        positive_window: ``tcn``: largest step distance of a positive (>= 1).
        temperature: NT-Xent temperature tau (SimCLR eq. 1; 0.1-0.5 in its Table 5).
        projection_dim: output width of the projection head g (SimCLR sec. 2.1: a
            one-hidden-layer MLP; the loss is taken after it, the encoder kept before).
        use_image: always true (the dataset must decode the camera).
        image_width, image_height, history, conv_channels, conv_strides, image_features:
            the encoder's shape; must equal the BC config it initialises (BC defaults).
        drq_pad: random-shift padding in pixels (DrQ, the BC augmentation).
        color_jitter: brightness/contrast jitter amplitude (SimCLR's colour distortion,
            here without hue changes: the pillar colours carry the instruction).
        mirror: flip half of the views left-right (the BC augmentation).
        lr, weight_decay: AdamW. batch_size: pairs per update (2 x views).
        steps: default number of updates (``robot-learning train --steps`` overrides).
        seed: initialisation and augmentation seed.
    """

    method: str = 'simclr'
    positive_window: int = 3
    temperature: float = 0.2
    projection_dim: int = 128
    use_image: bool = True
    image_width: int = _BC.image_width
    image_height: int = _BC.image_height
    history: tuple = _BC.history
    conv_channels: tuple = _BC.conv_channels
    conv_strides: tuple = _BC.conv_strides
    image_features: int = _BC.image_features
    drq_pad: int = 4
    color_jitter: float = 0.3
    mirror: bool = True
    lr: float = 1e-3
    weight_decay: float = 1e-4
    batch_size: int = 128
    steps: int = 1000
    seed: int = 0

    def __post_init__(self):
        for name in ('history', 'conv_channels', 'conv_strides'):
            setattr(self, name, tuple(int(x) for x in getattr(self, name)))
        if self.method not in METHODS:
            raise ConfigError(f'contrastive method must be one of {METHODS}, got {self.method!r}')
        if not self.use_image:
            raise ConfigError('contrastive pretraining learns an image encoder: use_image=true')
        if self.positive_window < 1 or not 0 < self.temperature <= 10:
            raise ConfigError('contrastive positive_window must be >= 1, temperature in (0, 10]')
        if self.batch_size < 2 or self.lr <= 0 or self.drq_pad < 0 or self.projection_dim < 1:
            raise ConfigError(
                'contrastive batch_size must be >= 2 (the negatives), lr > 0, drq_pad >= 0'
            )
        if len(self.conv_channels) != len(self.conv_strides) or not self.conv_channels:
            raise ConfigError('conv_channels and conv_strides need the same, non-zero length')

    def to_dict(self) -> dict:
        """Return the fields as JSON-ready values (tuples as lists)."""
        return {
            k: (list(v) if isinstance(v, tuple) else v)
            for k, v in dataclasses.asdict(self).items()
        }

    def encoder_shape(self) -> dict:
        """Return the fields a BC config must share to take this encoder."""
        return {
            'image_width': self.image_width,
            'image_height': self.image_height,
            'history': list(self.history),
            'conv_channels': list(self.conv_channels),
            'conv_strides': list(self.conv_strides),
            'image_features': self.image_features,
        }
