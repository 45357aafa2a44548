# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 robot_learning maintainers
"""Domain-adversarial adaptation of the BC image encoder (DANN).

Ganin & Lempitsky, "Unsupervised Domain Adaptation by Backpropagation", ICML 2015: a
domain classifier learns to tell the image features of the labelled source bags from
those of unlabelled target-domain bags (another robot, camera or room); between the
encoder and the classifier a gradient reversal layer (identity forward, ``-lambda``
times the gradient backward, sec. 3.2) makes the encoder learn features the classifier
cannot separate, while the behaviour-cloning loss keeps them useful for the task.
``lambda`` follows the paper's schedule ``lambda_p = 2 / (1 + exp(-10 p)) - 1`` (sec. 5,
p the training progress, here ``updates / dann_ramp_steps`` capped at 1) times
``BCConfig.dann_weight``.

Source and target rows go through the network in one forward pass (one backward, as
DistributedDataParallel expects); the target rows' actions are never used. The target
frames get the BC augmentations (DrQ shifts, mirror) but no colour relabelling. The
classifier lives in the trainer only: checkpoints and the deployed policy are plain BC.

Nothing here imports rclpy.
"""

from __future__ import annotations

import math

import numpy as np
from robot_learning.common.features import dataset_images
from robot_learning.common.networks import mlp
import torch
import torch.nn.functional as F

from .modeling_bc import frame_features, history_indices

__all__ = ['DomainAdversary', 'dann_lambda', 'reverse_gradient']


class _ReverseGradient(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, lam):
        ctx.lam = lam
        return x.view_as(x)

    @staticmethod
    def backward(ctx, grad):
        return -ctx.lam * grad, None


def reverse_gradient(x: torch.Tensor, lam: float) -> torch.Tensor:
    """Return ``x`` unchanged; its gradient comes back multiplied by ``-lam`` (sec. 3.2)."""
    return _ReverseGradient.apply(x, float(lam))


def dann_lambda(updates: int, ramp_steps: int, weight: float) -> float:
    """Return ``weight * (2 / (1 + exp(-10 p)) - 1)``, ``p = min(1, updates / ramp_steps)``."""
    p = min(1.0, updates / max(1, ramp_steps))
    return weight * (2.0 / (1.0 + math.exp(-10.0 * p)) - 1.0)


class DomainAdversary:
    """Target-domain frames of a :class:`~.training_bc.BCTrainer` and its domain classifier.

    Args:
        data: target-domain dataset (the trainer contract's ``frames``/``instructions``;
            their actions are unused).
        trainer: the BC trainer (its config, observation spec, vocabulary, device).

    Raises:
        ConfigError: the target frames have no camera images, or images of another size
            than the trainer's.
    """

    def __init__(self, data, trainer):
        cfg = trainer.cfg
        frames = data.frames
        self.cfg = cfg
        self.images = dataset_images(
            frames, cfg.image_width, cfg.image_height,
            'the --target-bags have no camera images: DANN adapts the image encoder, '
            'record the target domain with the camera', 'the BC encoder',
        )
        self.hist = history_indices(frames['prev'], cfg.history)
        self.feat = frame_features(
            frames['sectors'], frames['velocity'], frames.get('detections'),
            trainer.obs_cfg, cfg,
        )
        texts = list(data.instructions)
        if trainer.vocab is not None:
            table = trainer.vocab.encode_many(texts, cfg.max_tokens)
        else:
            from robot_learning.common.language import PretrainedTextEncoder

            table = PretrainedTextEncoder(cfg.text_encoder_path).encode(texts).astype(np.float32)
        self.text = table[np.asarray(frames['instruction'], np.int64)]
        self.classifier = mlp(cfg.image_features, (cfg.dann_hidden,), 1).to(trainer.device)
        self._rng = np.random.default_rng(cfg.seed + 7919)

    def __len__(self) -> int:
        return len(self.images)

    def sample(self, batch_size: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Return ``batch_size`` random target frames: images, low-dim rows, texts.

        uint8 (B, T, H, W, 3), float32 (B, T * F) raw features, token ids or embeddings
        (the :class:`~.training_bc.BCBatch` fields; the trainer adds zero actions).
        """
        rows = self._rng.integers(0, len(self.images), batch_size)
        h = self.hist[rows]
        return self.images[h], self.feat[h].reshape(batch_size, -1), self.text[rows]

    def loss(self, features: torch.Tensor, n_source: int, updates: int):
        """Domain loss of a pass whose first ``n_source`` feature rows are source ones.

        Args:
            features: float (B_source + B_target, image_features) image features.
            n_source: rows of the source domain (label 0); the rest are target (label 1).
            updates: updates so far (the lambda schedule).

        Returns:
            (loss tensor, {'domain_loss', 'domain_acc', 'dann_lambda'}).
        """
        lam = dann_lambda(updates, self.cfg.dann_ramp_steps, self.cfg.dann_weight)
        logits = self.classifier(reverse_gradient(features, lam)).squeeze(-1)
        labels = torch.zeros_like(logits)
        labels[n_source:] = 1.0
        loss = F.binary_cross_entropy_with_logits(logits, labels)
        acc = ((logits > 0).float() == labels).float().mean()
        return loss, {'domain_loss': loss.item(), 'domain_acc': acc.item(), 'dann_lambda': lam}
