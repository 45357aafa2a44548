# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 robot_learning maintainers
"""Success-classifier configuration, apart from the model (no torch imported).

The classifier and its recipe are described in
:mod:`robot_learning.algos.reward_classifier.modeling_reward_classifier`.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, Mapping

from robot_learning.errors import ConfigError

__all__ = ['ALGORITHM', 'NET_PREFIX', 'RewardClassifierConfig']

#: ``algorithm`` field of the checkpoint sidecar.
ALGORITHM = 'reward_classifier'
#: Key prefix of the network weights in a classifier checkpoint.
NET_PREFIX = 'clf.'


@dataclass
class RewardClassifierConfig:
    """Binary success classifier: labels, model, optimisation and threshold settings.

    Labels come from the episode outcomes in the bags (HIL-SERL, Luo et al. 2024,
    "Precise and Dexterous Robotic Manipulation via Human-in-the-Loop Reinforcement
    Learning", sec. III-A: a binary classifier trained on frames labelled success /
    failure from the demonstrations stands in for the reward).

    Attributes:
        use_image: camera input (``frames['image']``; its size is the camera_ingest
            ``width``/``height`` at run time).
        image_width, image_height: pixels; 64x48 as BC (:class:`BCConfig` defaults,
            which ``robot-learning demo`` trains with), so one camera_ingest feeds both.
        use_sectors: LiDAR sectors (m) as input.
        positive_frames: the last ``positive_frames`` frames of every successful episode
            are positives (the built-in world ends an episode as soon as the robot is
            within ``success_radius`` of the goal pillar, so its last frames are the
            "task done" frames; 5 frames = 0.5 s at 10 Hz).
        ambiguous_frames: frames just before the positives, left out of training and of
            every evaluation (threshold choice, metrics): the robot is already almost at
            the pillar there, and calling those frames failures would teach the network
            a boundary the camera cannot see. Frames of failed episodes are all negatives.
            3 (0.3 s), not 10: with 10 the classifier already fired at 0.8-1.0 m from the
            pillar in half of the placed poses of ``bench/reward_classifier.py``, with 3
            never beyond 0.8 m, at the same validation precision and recall.
        swap_fraction: share of every training batch that is instruction-swap negatives:
            a positive frame paired with another instruction of the vocabulary, labelled
            failure (success is conditional on the instruction; SAC's exploration reaches
            wrong pillars that expert demos never show). Evaluation adds one swap of
            every positive frame with every other instruction.
        positive_fraction: share of the (non-swap) batch drawn from the positives:
            balanced sampling against the class imbalance (a few positives per episode).
        target_precision: the threshold gives the most recall on the validation
            episodes at a precision of at least this (precision first: a false success
            ends an episode with a reward the learner cannot unlearn); see
            :func:`~robot_learning.algos.reward_classifier.choose_threshold`.
        test_fraction: share of the validation episodes (``--val-fraction``) held out
            as a test split, never sampled (neither training, nor model selection,
            nor threshold); its metrics go to ``metrics.json``.
        conv_channels, conv_strides: 3x3 conv layers of the image encoder.
        image_features: width of the Linear after the flattened conv maps.
        text_dim: width of the learned per-instruction embedding.
        sector_hidden: width of the LiDAR MLP.
        hidden: trunk MLP after concatenation.
        dropout: dropout in the trunk (training only).
        film: FiLM the conv layers with the instruction embedding (Perez et al. 2018).
        drq_pad: random-shift padding in pixels (DrQ; 0 = off). 12 px (a fifth of the
            64 px width): the demos approach every pillar head-on, and large shifts
            teach the pillar off-centre too; in ``bench/reward_classifier.py`` (pillar
            within +-0.6 rad, 0.4-0.6 m) the share called success went 0.50/0.37 (2 px)
            -> 0.72/0.58 (12 px) at the same validation precision.
        mirror: reflect half of the samples left-right (image and sectors): whether the
            robot is at the pillar does not depend on the side it sees it from.
        lr, weight_decay: AdamW.
        batch_size: rows per update.
        steps: default number of gradient steps (``--steps`` overrides); the validation
            loss of the 200 demo episodes is ~0 from step ~500 on.
        grad_clip: gradient norm clip (0 = off).
        seed: initialisation, sampling and augmentation seed.
    """

    use_image: bool = True
    image_width: int = 64
    image_height: int = 48
    use_sectors: bool = True
    positive_frames: int = 5
    ambiguous_frames: int = 3
    swap_fraction: float = 0.25
    positive_fraction: float = 0.5
    target_precision: float = 0.95
    test_fraction: float = 0.5
    conv_channels: tuple = (16, 32, 32)
    conv_strides: tuple = (2, 2, 2)
    image_features: int = 64
    text_dim: int = 16
    sector_hidden: int = 32
    hidden: tuple = (64,)
    dropout: float = 0.1
    film: bool = True
    drq_pad: int = 12
    mirror: bool = True
    lr: float = 1e-3
    weight_decay: float = 1e-4
    batch_size: int = 64
    steps: int = 1500
    grad_clip: float = 1.0
    seed: int = 0

    def __post_init__(self):
        for name in ('conv_channels', 'conv_strides', 'hidden'):
            setattr(self, name, tuple(int(x) for x in getattr(self, name)))
        if not (self.use_image or self.use_sectors):
            raise ConfigError('RewardClassifierConfig uses no input: enable image or sectors')
        if self.use_image and (self.image_width < 8 or self.image_height < 8):
            raise ConfigError(
                f'image size {self.image_width}x{self.image_height} too small (>= 8)'
            )
        if len(self.conv_channels) != len(self.conv_strides) or not self.conv_channels:
            raise ConfigError('conv_channels and conv_strides need the same, non-zero length')
        if self.positive_frames < 1 or self.ambiguous_frames < 0:
            raise ConfigError(
                f'positive_frames must be >= 1 and ambiguous_frames >= 0, got '
                f'{self.positive_frames} and {self.ambiguous_frames}'
            )
        for name in ('swap_fraction', 'test_fraction', 'dropout'):
            if not 0.0 <= getattr(self, name) < 1.0:
                raise ConfigError(f'{name} must be in [0, 1), got {getattr(self, name)}')
        for name in ('positive_fraction', 'target_precision'):
            if not 0.0 < getattr(self, name) < 1.0:
                raise ConfigError(f'{name} must be in (0, 1), got {getattr(self, name)}')
        if self.lr <= 0 or self.batch_size < 2 or self.steps < 1 or self.drq_pad < 0:
            raise ConfigError('lr must be positive, batch_size >= 2, steps >= 1, drq_pad >= 0')

    def to_dict(self) -> dict:
        """Return the fields as JSON-ready values (tuples as lists)."""
        return {
            k: (list(v) if isinstance(v, tuple) else v)
            for k, v in dataclasses.asdict(self).items()
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> RewardClassifierConfig:
        """Build from :meth:`to_dict` output.

        Raises:
            ConfigError: unknown fields or invalid values.
        """
        names = {f.name for f in dataclasses.fields(cls)}
        unknown = set(d) - names
        if unknown:
            raise ConfigError(f'unknown RewardClassifierConfig fields {sorted(unknown)}')
        return cls(**dict(d))
