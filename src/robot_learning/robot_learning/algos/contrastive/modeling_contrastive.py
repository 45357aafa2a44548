# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 robot_learning maintainers
"""Contrastive pretraining of the camera encoder on unlabelled frames (SimCLR / TCN).

:class:`ContrastiveNet` is the BC image encoder (:class:`FilmConvImage` without FiLM: the
FiLM layers of BC start as the identity, so the weights drop in) plus SimCLR's projection
head. :class:`ContrastiveTrainer` is a :class:`robot_learning.types.Trainer`; its
checkpoint holds ``encoder.convs.*`` / ``encoder.img_fc.*`` that
:func:`load_encoder` copies into a BC network (``BCConfig.encoder_init``). Actions,
rewards and outcomes are never read: every frame of every episode is data
(``robot-learning train --algo contrastive --outcomes all``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Mapping, NamedTuple

import numpy as np
from robot_learning.algos.bc.modeling_bc import history_indices, image_tensor
from robot_learning.algos.bc.training_bc import random_shift
from robot_learning.common.checkpoint import save_checkpoint
from robot_learning.common.features import dataset_images
from robot_learning.common.networks import FilmConvImage
from robot_learning.common.pretrained_encoder import load_encoder  # noqa: F401 - re-exported
from robot_learning.errors import CheckpointError
import torch
from torch import nn
import torch.nn.functional as F

from .configuration_contrastive import ALGORITHM, ContrastiveConfig, ENCODER_PREFIX

__all__ = [
    'ContrastiveBatch',
    'ContrastiveNet',
    'ContrastiveTrainer',
    'EncoderNotPolicy',
    'load_encoder',
    'nt_xent',
]


def nt_xent(z1: torch.Tensor, z2: torch.Tensor, temperature: float) -> tuple[torch.Tensor, float]:
    """NT-Xent loss of SimCLR (Chen et al. 2020, eq. 1, averaged over the 2B anchors).

    Args:
        z1, z2: float (B, D) projections of the two views; row i of z1 and of z2 are a
            positive pair, every other row of either is a negative.
        temperature: tau > 0.

    Returns:
        (loss scalar tensor, top-1 accuracy: share of anchors whose most similar other
        row is their positive).
    """
    b = z1.shape[0]
    z = F.normalize(torch.cat([z1, z2]), dim=1)
    sim = z @ z.t() / temperature
    sim.fill_diagonal_(float('-inf'))  # a view is not its own negative
    target = torch.cat([torch.arange(b, 2 * b), torch.arange(0, b)]).to(z.device)
    loss = F.cross_entropy(sim, target)
    acc = (sim.argmax(1) == target).float().mean().item()
    return loss, acc


class ContrastiveNet(FilmConvImage, nn.Module):
    """Image encoder (the BC conv stack) and projection head.

    ``encode``: uint8-derived float (B, 3T, H, W) in [-0.5, 0.5] -> (B, image_features);
    ``forward``: -> (B, projection_dim), the head of SimCLR sec. 2.1.
    """

    def __init__(self, cfg: ContrastiveConfig):
        nn.Module.__init__(self)
        feat = self.build_image_encoder(
            3 * len(cfg.history), cfg.conv_channels, cfg.conv_strides,
            (cfg.image_height, cfg.image_width), cfg.image_features,
        )
        self.head = nn.Sequential(
            nn.Linear(feat, feat), nn.ReLU(), nn.Linear(feat, cfg.projection_dim)
        )

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        return self.encode_image(x, None)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.encode(x))


class ContrastiveBatch(NamedTuple):
    """uint8 (B, T, H, W, 3) stacked frames of the two views (augmented in ``update``)."""

    view1: np.ndarray
    view2: np.ndarray


class ContrastiveTrainer:
    """SimCLR / TCN pretraining on a bag dataset's frames (a Trainer; no actions read).

    Args:
        data: dataset with ``frames['image']`` and ``frames['prev']``, ``transitions``.
        cfg: the method and encoder shape. obs_cfg, act_cfg: kept in the sidecar.
        train_indices: int64 transition indices; their observation frames are the data.
        device: torch device.

    Raises:
        ConfigError: the dataset has no images (pretraining needs the camera), or they
            have another size than the config's.
    """

    def __init__(self, data, cfg: ContrastiveConfig, obs_cfg, act_cfg, train_indices,
                 device: str = 'cpu'):
        self.cfg, self.obs_cfg, self.act_cfg = cfg, obs_cfg, act_cfg
        self.device = torch.device(device)
        frames = data.frames
        self.images = dataset_images(
            frames, cfg.image_width, cfg.image_height,
            'contrastive pretraining needs camera images and these bags gave none: '
            'record the camera (topics.image in --dataset-config for other bags)',
            'the encoder',
        )
        self.hist = history_indices(frames['prev'], cfg.history)
        self.obs_idx = np.asarray(data.transitions['obs'], np.int64)
        episode = np.asarray(frames['episode'], np.int64)
        # Frame f's episode range, for the time-contrastive positives.
        starts = np.r_[0, np.flatnonzero(np.diff(episode)) + 1]
        stops = np.r_[starts[1:], len(episode)]
        run = np.repeat(np.arange(len(starts)), stops - starts)
        self.ep_start, self.ep_stop = starts[run], stops[run]
        torch.manual_seed(cfg.seed)
        self.net = ContrastiveNet(cfg).to(self.device)
        self.opt = torch.optim.AdamW(self.net.parameters(), lr=cfg.lr,
                                     weight_decay=cfg.weight_decay)
        self._gen = torch.Generator().manual_seed(cfg.seed)
        self.updates = 0

    def sample(self, indices, batch_size: int, rng: np.random.Generator) -> ContrastiveBatch:
        """Pairs of frames: the same one twice (simclr) or one within the window (tcn)."""
        rows = np.asarray(indices, np.int64)[rng.integers(0, len(indices), batch_size)]
        f1 = self.obs_idx[rows]
        if self.cfg.method == 'tcn':
            w = self.cfg.positive_window
            off = rng.integers(-w, w + 1, batch_size)
            f2 = np.clip(f1 + off, self.ep_start[f1], self.ep_stop[f1] - 1)
        else:
            f2 = f1
        return ContrastiveBatch(self.images[self.hist[f1]], self.images[self.hist[f2]])

    def _augment(self, images: np.ndarray, gen: torch.Generator) -> torch.Tensor:
        x = random_shift(image_tensor(images), self.cfg.drq_pad, gen)
        b = x.shape[0]
        if self.cfg.color_jitter > 0:
            amp = self.cfg.color_jitter
            x = x * (1.0 + amp * (2 * torch.rand(b, 1, 1, 1, generator=gen) - 1))
            x = x + 0.5 * amp * (2 * torch.rand(b, 1, 1, 1, generator=gen) - 1)
        if self.cfg.mirror:
            flip = torch.rand(b, generator=gen) < 0.5
            x = torch.where(flip.view(-1, 1, 1, 1), x.flip(-1), x)
        return x.to(self.device)

    def update(self, batch: ContrastiveBatch) -> dict[str, float]:
        """One AdamW step on NT-Xent; returns loss, top-1 pair accuracy (``acc``)."""
        self.net.train()
        z1 = self.net(self._augment(batch.view1, self._gen))
        z2 = self.net(self._augment(batch.view2, self._gen))
        loss, acc = nt_xent(z1, z2, self.cfg.temperature)
        self.opt.zero_grad(set_to_none=True)
        loss.backward()
        self.opt.step()
        self.updates += 1
        return {'loss': loss.item(), 'acc': acc}

    @torch.no_grad()
    def evaluate(self, batch: ContrastiveBatch) -> dict[str, float]:
        """NT-Xent and pair accuracy on held-out pairs, with fixed augmentations."""
        self.net.eval()
        gen = torch.Generator().manual_seed(0)
        z1 = self.net(self._augment(batch.view1, gen))
        z2 = self.net(self._augment(batch.view2, gen))
        loss, acc = nt_xent(z1, z2, self.cfg.temperature)
        return {'val_loss': float(loss), 'val_acc': acc}

    def save(self, path: Path, extra_metadata: Mapping | None = None) -> Path:
        """Write the encoder (``encoder.*``, no projection head) and its shape."""
        tensors = {
            ENCODER_PREFIX + k: v for k, v in self.net.state_dict().items()
            if not k.startswith('head.')
        }
        meta = {
            'algorithm': ALGORITHM,
            'contrastive_config': self.cfg.to_dict(),
            'encoder': self.cfg.encoder_shape(),
            'observation': self.obs_cfg.to_dict(),
            'updates': self.updates,
            **(extra_metadata or {}),
        }
        return save_checkpoint(path, tensors, meta)

    def load(self, path) -> None:
        """Continue from an encoder checkpoint (``--init-from``).

        Raises:
            CheckpointError: not a contrastive checkpoint, or another encoder shape.
        """
        load_encoder(self.net, path, self.cfg.encoder_shape())


class EncoderNotPolicy:
    """The registry's policy class for encoder checkpoints: loading one as a policy fails."""

    not_a_policy = True  # load_policy skips the spec check and lets this refuse

    @classmethod
    def from_tensors(cls, tensors: Mapping, metadata: Mapping, source: str = 'weights'):
        """Refuse with one line.

        Raises:
            CheckpointError: always: an encoder gives features, not actions.
        """
        raise CheckpointError(
            f'{source}: a pretrained image encoder, not a policy (train BC on it with '
            f'--set encoder_init={source})'
        )
