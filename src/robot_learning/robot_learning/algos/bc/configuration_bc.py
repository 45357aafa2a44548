# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 robot_learning maintainers
"""Behaviour-cloning configuration, apart from the model (as LeRobot's ``configuration_*.py``).

:class:`BCConfig` imports no torch, so the registry and the CLI read it cheaply.

The recipe's measured choices are explained in :mod:`robot_learning.algos.bc.modeling_bc`.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, Mapping

from robot_learning.errors import ConfigError

__all__ = ['BCConfig', 'HEADS', 'NET_PREFIX']

#: Key prefix of the network weights in a BC checkpoint.
NET_PREFIX = 'bc.'
HEADS = ('discrete', 'mse')


@dataclass
class BCConfig:
    """Behaviour-cloning model and optimisation settings.

    Attributes:
        use_image: camera input (the dataset needs ``frames['image']``).
        image_width, image_height: pixels; must equal the dataset's images (and the
            camera_ingest ``width``/``height`` at deploy time).
        history: frame offsets into the past fed to the network, 0 = current frame;
            e.g. ``(0, 2, 4)`` = now, 0.2 s and 0.4 s ago at 10 Hz. At an episode start
            missing past frames repeat the first one (``frames['prev']``).
        use_sectors: LiDAR sectors as input.
        use_velocity: odometry (v, w) as input. Off by default: it tells which way the
            robot already turns, but the clone then copies it (see module docs).
        use_detections: per-colour pillar detections as input (low-dimensional variant;
            privileged in the sim, never for the camera policy).
        conv_channels, conv_strides: 3x3 conv layers of the image encoder.
        film: FiLM every conv layer with the instruction embedding.
        image_features: width of the Linear after the flattened conv maps.
        text_dim: instruction embedding width.
        max_tokens: instruction length in tokens (longer ones are truncated).
        text_encoder_path: local sentence-encoder directory ('' = learned word
            embeddings over the training vocabulary); see :class:`BCPolicy`.
        lowdim_hidden: MLP on the normalized LiDAR/velocity/detection features.
        hidden: trunk MLP after concatenation.
        dropout: dropout in the trunk (training only).
        head: 'discrete' (per-dimension bins, cross-entropy) or 'mse' (tanh, MSE).
        bins: classes per action dimension for ``head='discrete'``.
        lr, weight_decay: AdamW (Loshchilov & Hutter 2019).
        batch_size: rows per update.
        drq_pad: random-shift padding in pixels (0 = off).
        color_jitter: per-sample brightness/contrast jitter amplitude (0 = off).
        color_permute: relabel the pillar colours of each low-dimensional training sample
            by a random permutation, in the detection blocks and the instruction words
            alike (a symmetry of the task: "go to the red pillar" with red and green
            swapped is "go to the green pillar"). Forces the network to pick the detection
            the instruction names instead of memorising layouts. With images it needs
            ``image_color_permute`` (else it is not applied).
        image_color_permute: also permute the RGB channels of the images with the colour
            words; exact only for pillars in the primary colours (red, green, blue, as in
            the built-in sim; walls and boxes change tint), other colours raise
            ConfigError. Off: measured 0.66 vs 0.74 success without it (bench/bc_world.py).
        mirror: reflect half of the training samples left-right (image flipped
            horizontally, LiDAR sectors mirrored, lateral detection and yaw rate and the
            turn command negated): the robot and task are left-right symmetric, so this
            doubles the data (needs sectors that cover a symmetric field of view).
        lowdim_noise: std of Gaussian noise added to the normalized low-dim features in
            training (input-noise regularisation, Bishop 1995; 0 = off).
        grad_clip: gradient norm clip (0 = off).
        encoder_init: a contrastive encoder checkpoint (``robot-learning train --algo
            contrastive``) whose conv and ``img_fc`` weights start the image encoder
            (then fine-tuned); '' = random initialisation. Its shape fields must match.
        dann_weight: domain-adversarial adaptation (DANN, Ganin & Lempitsky, "Unsupervised
            Domain Adaptation by Backpropagation", ICML 2015): the largest weight lambda of
            the reversed domain-classifier gradient on the image features, reached after
            ``dann_ramp_steps`` on the paper's schedule ``2 / (1 + exp(-10 p)) - 1``
            (sec. 5); 0 = off. Needs unlabelled target-domain bags (``robot-learning
            train --target-bags``, which sets 0.1 when this is 0).
        dann_hidden: width of the domain classifier's hidden layer (the paper's 1024 for
            larger features; one layer of 128 here).
        dann_ramp_steps: updates over which lambda ramps up.
        seed: initialisation and augmentation seed.
    """

    use_image: bool = True
    image_width: int = 64
    image_height: int = 48
    history: tuple = (0, 2, 4)
    use_sectors: bool = True
    use_velocity: bool = False
    use_detections: bool = False
    conv_channels: tuple = (32, 32, 64, 64)
    conv_strides: tuple = (2, 2, 2, 1)
    film: bool = True
    image_features: int = 256
    text_dim: int = 64
    max_tokens: int = 8
    text_encoder_path: str = ''
    lowdim_hidden: tuple = (128,)
    hidden: tuple = (256, 256)
    dropout: float = 0.1
    head: str = 'discrete'
    bins: int = 21
    lr: float = 3e-4
    weight_decay: float = 1e-4
    batch_size: int = 64
    drq_pad: int = 4
    color_jitter: float = 0.0
    color_permute: bool = True
    image_color_permute: bool = False
    mirror: bool = True
    lowdim_noise: float = 0.2
    grad_clip: float = 1.0
    encoder_init: str = ''
    dann_weight: float = 0.0
    dann_hidden: int = 128
    dann_ramp_steps: int = 2000
    seed: int = 0

    def __post_init__(self):
        for name in ('history', 'conv_channels', 'conv_strides', 'lowdim_hidden', 'hidden'):
            setattr(self, name, tuple(int(x) for x in getattr(self, name)))
        if (
            not self.history
            or self.history[0] != 0
            or any(h < 0 for h in self.history)
            or len(set(self.history)) != len(self.history)
        ):
            raise ConfigError(
                f'history must start with 0 and hold distinct offsets >= 0, ' f'got {self.history}'
            )
        if self.head not in HEADS:
            raise ConfigError(f'head must be one of {HEADS}, got {self.head!r}')
        if self.head == 'discrete' and self.bins < 3:
            raise ConfigError(f'bins must be >= 3, got {self.bins}')
        if len(self.conv_channels) != len(self.conv_strides) or not self.conv_channels:
            raise ConfigError('conv_channels and conv_strides need the same, non-zero length')
        if self.use_image and (self.image_width < 8 or self.image_height < 8):
            raise ConfigError(
                f'image size {self.image_width}x{self.image_height} too small (>= 8)'
            )
        if not (self.use_image or self.use_sectors or self.use_velocity or self.use_detections):
            raise ConfigError(
                'BCConfig uses no input: enable image, sectors, velocity or detections'
            )
        if self.encoder_init and not self.use_image:
            raise ConfigError(
                'encoder_init pretrains the image encoder, and use_image is false: '
                'drop encoder_init or use the camera'
            )
        if self.dann_weight < 0 or self.dann_hidden < 1 or self.dann_ramp_steps < 1:
            raise ConfigError('dann_weight must be >= 0, dann_hidden and dann_ramp_steps >= 1')
        if self.dann_weight > 0 and not self.use_image:
            raise ConfigError(
                'DANN (dann_weight > 0) adapts the image encoder, and use_image is false: '
                'use the camera inputs or set dann_weight=0'
            )
        if self.lr <= 0 or self.batch_size < 1 or self.drq_pad < 0 or not 0 <= self.dropout < 1:
            raise ConfigError('lr and batch_size must be positive, drq_pad >= 0, 0 <= dropout < 1')

    @classmethod
    def lowdim(cls, **overrides: Any) -> BCConfig:
        """Return the low-dimensional recipe (LiDAR + detections + instruction, no image).

        MSE head (the discretized head over-fits these features: 0.2-0.26 vs 0.6-0.7 success
        in bench/bc_world.py), current frame only (a history lets the clone copy the
        previous command, as velocity does), Gaussian input noise.
        """
        base = {
            'use_image': False,
            'use_detections': True,
            'use_velocity': False,
            'history': (0,),
            'head': 'mse',
            'lowdim_noise': 0.2,
        }
        return cls(**{**base, **overrides})

    def to_dict(self) -> dict:
        return {
            k: (list(v) if isinstance(v, tuple) else v)
            for k, v in dataclasses.asdict(self).items()
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> BCConfig:
        names = {f.name for f in dataclasses.fields(cls)}
        unknown = set(d) - names
        if unknown:
            raise ConfigError(f'unknown BCConfig fields {sorted(unknown)}')
        return cls(**dict(d))
