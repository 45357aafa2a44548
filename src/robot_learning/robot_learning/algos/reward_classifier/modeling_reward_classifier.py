# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 robot_learning maintainers
"""Success classifier: the network, the inference wrapper and :func:`load_classifier`.

Camera (+ LiDAR sectors) + instruction -> P(success), the learned reward of HIL-SERL
(Luo et al. 2024, sec. III-A) and of SERL (Luo et al. 2024, "SERL: A Software Suite for
Sample-Efficient Robotic Reinforcement Learning", sec. IV-C: a binary classifier on the
camera image replaces a hand-written reward). Network (:class:`RewardClassifierNet`)::

    instruction id -> learned embedding e (text_dim)
    image (B, 3, H, W) -> [conv 3x3 -> FiLM(e) -> ReLU] per layer -> flatten -> Linear -> ReLU
    sectors / range_max (B, S) -> Linear -> ReLU
    [image features, sector features, e] -> MLP (dropout) -> logit

FiLM (Perez et al. 2018, "FiLM: Visual Reasoning with a General Conditioning Layer",
eq. 1: ``gamma * F + beta``) lets the instruction pick the colour the conv layers look
for, so "is the robot at *this* pillar" is one question per instruction.
``gamma = 1 + delta`` with ``delta, beta`` from a zero-initialised Linear, as
:mod:`robot_learning.algos.bc.modeling_bc` does.

The instruction vocabulary is closed (the instructions of the training bags): success is
conditional on the instruction, and a classifier asked about a task it never saw has no
answer, so :meth:`RewardClassifier.predict` refuses unknown ones.

Nothing here imports rclpy.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
from robot_learning.common.checkpoint import load_checkpoint, load_prefixed
from robot_learning.common.features import check_camera_image
from robot_learning.common.networks import FilmConvImage
from robot_learning.errors import CheckpointError, ConfigError, MessageError
import torch
from torch import nn
import torch.nn.functional as F

from .configuration_reward_classifier import ALGORITHM, NET_PREFIX, RewardClassifierConfig

__all__ = [
    'ClassifierNotPolicy',
    'RewardClassifier',
    'RewardClassifierNet',
    'load_classifier',
    'normalize_sectors',
]


def normalize_sectors(sectors: np.ndarray, range_max: float) -> np.ndarray:
    """Return LiDAR sectors (m) as float32 in [0, 1]: ``sectors / range_max``, NaN -> 1."""
    s = np.asarray(sectors, np.float32)
    return np.clip(np.nan_to_num(s, nan=range_max, posinf=range_max) / range_max, 0.0, 1.0)


def image_batch(images: np.ndarray) -> torch.Tensor:
    """uint8 (B, H, W, 3) RGB -> float32 (B, 3, H, W) in [-0.5, 0.5]."""
    x = torch.from_numpy(np.ascontiguousarray(images))
    return x.permute(0, 3, 1, 2).float().div_(255.0).sub_(0.5)


class RewardClassifierNet(FilmConvImage, nn.Module):
    """The classifier network (module docstring); ``forward`` returns logits (B,).

    Args:
        cfg: model config.
        num_sectors: LiDAR sectors per scan (0 when ``cfg.use_sectors`` is off).
        num_instructions: size of the instruction vocabulary (>= 1).
    """

    def __init__(self, cfg: RewardClassifierConfig, num_sectors: int, num_instructions: int):
        super().__init__()
        self.cfg = cfg
        self.embed = nn.Embedding(num_instructions, cfg.text_dim)
        trunk_in = cfg.text_dim
        if cfg.use_image:
            trunk_in += self.build_image_encoder(
                3, cfg.conv_channels, cfg.conv_strides, (cfg.image_height, cfg.image_width),
                cfg.image_features, cfg.text_dim if cfg.film else 0,
            )
        self.num_sectors = num_sectors if cfg.use_sectors else 0
        if self.num_sectors:
            self.sector_fc = nn.Linear(self.num_sectors, cfg.sector_hidden)
            trunk_in += cfg.sector_hidden
        layers: list[nn.Module] = []
        for size in cfg.hidden:
            layers += [nn.Linear(trunk_in, size), nn.ReLU(), nn.Dropout(cfg.dropout)]
            trunk_in = size
        layers.append(nn.Linear(trunk_in, 1))
        self.trunk = nn.Sequential(*layers)

    def forward(
        self, image: torch.Tensor | None, sectors: torch.Tensor | None, instruction: torch.Tensor
    ) -> torch.Tensor:
        """Return success logits (B,).

        Args:
            image: float (B, 3, H, W) in [-0.5, 0.5], or None without camera input.
            sectors: float (B, S) in [0, 1] (:func:`normalize_sectors`), or None.
            instruction: int64 (B,) indices into the vocabulary.
        """
        e = self.embed(instruction)
        feats = [e]
        if self.cfg.use_image:
            feats.append(self.encode_image(image, e))
        if self.num_sectors:
            feats.append(F.relu(self.sector_fc(sectors)))
        return self.trunk(torch.cat(feats, dim=1)).squeeze(1)


class RewardClassifier:
    """A trained success classifier for inference (what ``task_node`` calls every step).

    Attributes:
        image_width, image_height: pixels the camera frames must have (camera_ingest
            ``width``/``height``).
        num_sectors: LiDAR sectors per scan (lidar_ingest ``num_sectors``).
        instructions: tuple of str, the instruction vocabulary.
        threshold: float in (0, 1): ``predict(...) >= threshold`` means success; chosen on
            the validation episodes (the most recall at precision >= ``target_precision``).
        uses_image: whether :meth:`predict` reads the image.
        metadata: the checkpoint sidecar.

    Build with :func:`load_classifier` (or :meth:`from_tensors`); no code runs on load.
    """

    def __init__(self, net: RewardClassifierNet, metadata: Mapping):
        self.net = net.eval()
        self.cfg: RewardClassifierConfig = net.cfg
        self.metadata = dict(metadata)
        self.image_width = int(self.cfg.image_width)
        self.image_height = int(self.cfg.image_height)
        self.num_sectors = int(metadata['num_sectors'])
        self.instructions = tuple(str(t) for t in metadata['instructions'])
        self.threshold = float(metadata['threshold'])
        self.uses_image = bool(self.cfg.use_image)
        self.range_max = float(metadata['range_max'])
        self._index = {t: i for i, t in enumerate(self.instructions)}

    @classmethod
    def from_tensors(
        cls, tensors: Mapping[str, torch.Tensor], metadata: Mapping, source: str = 'weights'
    ) -> RewardClassifier:
        """Build from checkpoint tensors and sidecar.

        Raises:
            CheckpointError: not a classifier checkpoint, or weights that do not fit.
        """
        if metadata.get('algorithm') != ALGORITHM:
            raise CheckpointError(
                f'{source}: algorithm is {metadata.get("algorithm")!r}, not a reward classifier'
            )
        for key in ('classifier_config', 'num_sectors', 'instructions', 'threshold', 'range_max'):
            if key not in metadata:
                raise CheckpointError(f'{source}: sidecar lacks {key!r}')
        try:
            cfg = RewardClassifierConfig.from_dict(metadata['classifier_config'])
        except (ConfigError, TypeError) as exc:
            raise CheckpointError(f'{source}: bad classifier_config: {exc}') from None
        threshold = metadata['threshold']
        if not isinstance(threshold, (int, float)) or not 0.0 < threshold < 1.0:
            raise CheckpointError(f'{source}: threshold {threshold!r} is not in (0, 1)')
        if not metadata['instructions']:
            raise CheckpointError(f'{source}: empty instruction vocabulary')
        net = RewardClassifierNet(cfg, int(metadata['num_sectors']), len(metadata['instructions']))
        load_prefixed(net, tensors, NET_PREFIX, f'{source}: weights do not fit the sidecar')
        return cls(net, metadata)

    def instruction_index(self, instruction: str) -> int:
        """Return the vocabulary index of ``instruction``.

        Raises:
            MessageError: an instruction outside the vocabulary.
        """
        idx = self._index.get(str(instruction).strip())
        if idx is None:
            raise MessageError(
                f'instruction {instruction!r} is not in the classifier vocabulary '
                f'{list(self.instructions)}: retrain with bags of that task'
            )
        return idx

    def _check(self, image, sectors) -> tuple[np.ndarray | None, np.ndarray]:
        img = None
        if self.uses_image:
            img = check_camera_image(
                image, self.image_width, self.image_height, 'the reward classifier'
            )
        s = np.asarray(sectors, np.float32)
        if s.shape != (self.num_sectors,):
            raise MessageError(
                f'scan has shape {s.shape}, the classifier needs ({self.num_sectors},) sectors: '
                f'set lidar_ingest num_sectors={self.num_sectors}'
            )
        return img, s

    @torch.inference_mode()
    def predict_batch(
        self, images: np.ndarray | None, sectors: np.ndarray, instructions: Sequence[int]
    ) -> np.ndarray:
        """Return P(success) of a batch, float32 (B,), without shape checks.

        Args:
            images: uint8 (B, H, W, 3) RGB or None when not :attr:`uses_image`.
            sectors: float32 (B, num_sectors) m.
            instructions: int (B,) vocabulary indices.
        """
        img = image_batch(images) if self.uses_image else None
        sec = torch.from_numpy(normalize_sectors(sectors, self.range_max))
        ins = torch.as_tensor(np.asarray(instructions, np.int64))
        return torch.sigmoid(self.net(img, sec, ins)).numpy().astype(np.float32)

    def predict(self, image: np.ndarray | None, sectors: np.ndarray, instruction: str) -> float:
        """Return P(success) in [0, 1] for one synchronized observation.

        Args:
            image: uint8 (image_height, image_width, 3) RGB (``observation/image``);
                ignored (may be None) when not :attr:`uses_image`.
            sectors: float32 (num_sectors,) m (``observation/scan``).
            instruction: the instruction text; must be one of :attr:`instructions`.

        Raises:
            MessageError: wrong image size or dtype, wrong sector count, or an
                instruction outside the vocabulary (never resized or guessed silently).
        """
        idx = self.instruction_index(instruction)
        img, s = self._check(image, sectors)
        return float(self.predict_batch(None if img is None else img[None], s[None], [idx])[0])

    def is_success(self, image: np.ndarray | None, sectors: np.ndarray, instruction: str) -> bool:
        """Return ``predict(...) >= threshold`` (same arguments and errors)."""
        return self.predict(image, sectors, instruction) >= self.threshold


def load_classifier(path: str | Path) -> RewardClassifier:
    """Load a checkpoint written by ``robot-learning train --algo reward_classifier``.

    Args:
        path: checkpoint directory (``RUN/checkpoints/best``).

    Raises:
        CheckpointError: a missing/corrupt checkpoint, or one of another algorithm
            (one line).
    """
    tensors, meta = load_checkpoint(path)
    return RewardClassifier.from_tensors(tensors, meta, str(path))


class ClassifierNotPolicy:
    """The registry's policy class for classifier checkpoints: loading one as a policy fails."""

    not_a_policy = True  # load_policy skips the spec check and lets this refuse

    @classmethod
    def from_tensors(cls, tensors: Mapping, metadata: Mapping, source: str = 'weights'):
        """Refuse with one line.

        Raises:
            CheckpointError: always: a classifier gives P(success), not actions.
        """
        raise CheckpointError(
            f'{source}: a reward classifier, not a policy (load it with '
            'robot_learning.algos.reward_classifier.load_classifier, e.g. in task_node)'
        )
