# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 robot_learning maintainers
"""Language-conditioned behaviour cloning: trainer (offline-trainer protocol) and policy.

Network (:class:`BCNet`), camera variant::

    instruction tokens -> mean of learned word embeddings -> MLP -> e (text_dim)
    images of the history, stacked on channels (B, 3T, H, W)
        -> [conv 3x3 -> FiLM(e) -> ReLU] per layer -> flatten -> Linear -> ReLU
    LiDAR sectors (+ odometry velocity if enabled) of the history (normalized) -> MLP
    [image features, low-dim features, e] -> MLP (dropout) -> action head

Low-dimensional variant (:meth:`BCConfig.lowdim`): no image; the per-colour pillar
detections join the LiDAR features.

Measured in the built-in sim (bench/bc_world.py, 50 expert episodes; numbers in that
file's docstring): the levers that matter are the augmentations that
encode the task's symmetries (left-right mirror, colour relabelling), DrQ shifts for the
camera, the discretized head for the camera, and NOT feeding odometry velocity or a
low-dim history: the expert's command is smooth, so the current velocity predicts it
almost perfectly and the clone copies it ("copycat"/causal confusion, de Haan, Jayaraman,
Levine, "Causal Confusion in Imitation Learning", NeurIPS 2019) and stalls closed-loop.

Sources:

* FiLM, feature-wise affine modulation of conv feature maps by the instruction:
  Perez, Strub, de Vries, Dumoulin, Courville, "FiLM: Visual Reasoning with a General
  Conditioning Layer", AAAI 2018 (eq. 1-2: ``gamma * F + beta``). Language conditions
  vision from the first conv layer on, as in RT-1 (Brohan et al. 2022, sec. 4.1,
  FiLM-conditioned EfficientNet). ``gamma = 1 + delta`` with ``delta, beta`` from a
  zero-initialised Linear, so training starts from the unconditioned network.
* Random-shift augmentation (pad 4 by edge replication, random crop back): DrQ,
  Kostrikov, Yarats, Fergus, "Image Augmentation Is All You Need", ICLR 2021, sec. 3.1.
  The same shift is used for every frame of one sample's history.
* Discretized action head (``head='discrete'``): each action dimension is split into
  ``bins`` classes trained with cross-entropy, as RT-1 (sec. 4.1, 256 bins per
  dimension) does; it keeps both modes when the expert may turn either way, where MSE
  regresses to their mean. Targets are "two-hot" (the probability mass split between the
  two bins around the action, as in MuZero's value head, Schrittwieser et al. 2020,
  appendix F), so the expected value of the target distribution is exactly the action.
  Deterministic decoding takes the most likely bin and the probability-weighted mean of
  it and its two neighbours (the mode, at sub-bin resolution).
* Symmetry augmentations (``mirror``, ``color_permute``): the task is invariant under a
  left-right reflection and under renaming the pillar colours consistently in the
  observation and the instruction; training on transformed copies is data augmentation
  by known invariances (e.g. Simard et al. 1992 "Tangent Prop"; van der Pol et al. 2020
  "MDP Homomorphic Networks" for the RL view).

Nothing here imports rclpy.
"""

from __future__ import annotations

import collections
from collections.abc import Mapping, Sequence
import dataclasses
from dataclasses import dataclass
import itertools
import math
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
from robot_learning.common.checkpoint import load_checkpoint, save_checkpoint
from robot_learning.common.features import (
    ActionConfig,
    ObservationConfig,
    RawObservation,
    tokenize,
)
from robot_learning.common.language import PretrainedTextEncoder, Vocabulary
from robot_learning.common.networks import mlp
from robot_learning.errors import CheckpointError, ConfigError, MessageError
from robot_learning.policy import policy_metadata
import torch
from torch import nn
import torch.nn.functional as F

__all__ = [
    'BCBatch',
    'BCConfig',
    'BCNet',
    'BCPolicy',
    'BCTrainer',
    'frame_features',
    'history_indices',
    'random_shift',
]

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


class BCBatch(NamedTuple):
    """One batch, numpy (augmentation happens in ``update``)."""

    image: np.ndarray | None  # uint8 (B, T, H, W, 3), T = len(history); None if unused
    lowdim: np.ndarray  # float32 (B, T * F) raw (un-normalized) features
    text: np.ndarray  # int64 (B, max_tokens) ids, or float32 (B, D) embeddings
    action: np.ndarray  # float32 (B, 2) in [-1, 1]
    instruction: np.ndarray | None = None  # int64 (B,) index into data.instructions


# ----------------------------------------------------------------------------- features


def frame_features(
    sectors: np.ndarray,
    velocity: np.ndarray,
    detections: np.ndarray | None,
    obs_cfg: ObservationConfig,
    cfg: BCConfig,
) -> np.ndarray:
    """Low-dimensional features of frames, float32 (N, F).

    Per frame: ``sectors / range_max`` clipped to [0, 1] (S), ``[v / max_linear,
    w / max_angular]`` clipped to [-1, 1] (2), and per colour ``[min(d /
    detection_range, 1), cos(bearing), sin(bearing), present]`` (4C, the layout of
    ``features.encode_observation``) -- each block only if enabled in ``cfg``.

    Args:
        sectors: float (N, S) m. velocity: float (N, 2) (m/s, rad/s).
        detections: float (N, C, 2) robot-frame (x, y) m, NaN when absent.

    Raises:
        MessageError: wrong number of sectors or detections.
    """
    parts = []
    n = len(sectors)
    if cfg.use_sectors:
        s = np.asarray(sectors, np.float32).reshape(n, -1)
        if s.shape[1] != obs_cfg.num_sectors:
            raise MessageError(
                f'scan has {s.shape[1]} sectors, the policy needs '
                f'{obs_cfg.num_sectors}: set lidar_ingest num_sectors'
            )
        parts.append(np.clip(np.nan_to_num(s, nan=obs_cfg.range_max) / obs_cfg.range_max, 0, 1))
    if cfg.use_velocity:
        v = np.nan_to_num(np.asarray(velocity, np.float32).reshape(n, 2))
        parts.append(
            np.clip(v / np.array([obs_cfg.max_linear, obs_cfg.max_angular], np.float32), -1, 1)
        )
    if cfg.use_detections:
        det = np.asarray(detections, np.float32).reshape(n, -1, 2)
        if det.shape[1] != len(obs_cfg.colors):
            raise MessageError(
                f'detections has {det.shape[1]} poses, expected '
                f'{len(obs_cfg.colors)} (one per colour in {list(obs_cfg.colors)})'
            )
        present = np.isfinite(det).all(axis=2)
        x, y = np.where(present, det[..., 0], 0.0), np.where(present, det[..., 1], 0.0)
        dist = np.hypot(x, y)
        safe = np.maximum(dist, 1e-6)
        block = np.stack(
            [
                np.where(present, np.minimum(dist / obs_cfg.detection_range, 1), 1),
                np.where(present, x / safe, 0),
                np.where(present, y / safe, 0),
                present,
            ],
            axis=2,
        )
        parts.append(block.reshape(n, -1))
    return (np.concatenate(parts, axis=1) if parts else np.zeros((n, 0))).astype(np.float32)


def history_indices(prev: np.ndarray, offsets: Sequence[int]) -> np.ndarray:
    """Frame index ``offsets[j]`` steps back along ``prev`` for every frame.

    Args:
        prev: int64 (N,) previous frame of the same episode (itself for a first frame).
        offsets: e.g. (0, 2, 4).

    Returns:
        int64 (N, len(offsets)); a chain that reaches an episode's first frame stays there.
    """
    prev = np.asarray(prev, np.int64)
    cur = np.arange(len(prev), dtype=np.int64)
    out = np.empty((len(prev), len(offsets)), np.int64)
    for step in range(max(offsets) + 1):
        for j, off in enumerate(offsets):
            if off == step:
                out[:, j] = cur
        cur = prev[cur]
    return out


def random_shift(
    img: torch.Tensor, pad: int, generator: torch.Generator | None = None
) -> torch.Tensor:
    """Shift images at random as DrQ does (Kostrikov et al. 2021, sec. 3.1).

    Replicate-pad by ``pad`` pixels, crop back to the input size at a random integer offset
    per sample.

    Args:
        img: float (B, C, H, W).
        pad: padding in pixels (0: no shift).
        generator: random generator of the offsets (None: torch's global one).

    Returns:
        float (B, C, H, W).
    """
    if pad <= 0:
        return img
    b, c, h, w = img.shape
    padded = F.pad(img, (pad, pad, pad, pad), mode='replicate')
    sy = torch.randint(0, 2 * pad + 1, (b, 1), generator=generator)
    sx = torch.randint(0, 2 * pad + 1, (b, 1), generator=generator)
    rows = (sy + torch.arange(h)).view(b, 1, h, 1).expand(b, c, h, w)
    cols = (sx + torch.arange(w)).view(b, 1, 1, w).expand(b, c, h, w)
    flat = padded.flatten(2)  # (B, C, (H+2p)(W+2p))
    return flat.gather(2, (rows * (w + 2 * pad) + cols).flatten(2)).view(b, c, h, w)


# ----------------------------------------------------------------------------- network


class BCNet(nn.Module):
    """Policy network (module docstring).

    Forward returns head outputs: (B, 2 * bins) logits for 'discrete', (B, 2) tanh actions for
    'mse'.

    Args:
        cfg: model config. lowdim_dim: F * len(history). vocab_size: token count (learned
            embeddings) or 0 when ``text_in`` is a fixed sentence-embedding width.
    """

    def __init__(self, cfg: BCConfig, lowdim_dim: int, vocab_size: int, text_in: int = 0):
        super().__init__()
        self.cfg = cfg
        self.action_dim = 2
        if vocab_size > 0:
            self.embed = nn.Embedding(vocab_size, cfg.text_dim, padding_idx=0)
            self.text_mlp = mlp(cfg.text_dim, (cfg.text_dim,), cfg.text_dim)
        else:
            self.embed = None
            self.text_mlp = mlp(text_in, (cfg.text_dim,), cfg.text_dim)
        trunk_in = cfg.text_dim
        if cfg.use_image:
            chans = [3 * len(cfg.history)] + list(cfg.conv_channels)
            self.convs = nn.ModuleList(
                nn.Conv2d(a, b, 3, stride=s, padding=1)
                for a, b, s in zip(chans[:-1], chans[1:], cfg.conv_strides)
            )
            self.films = (
                nn.ModuleList(nn.Linear(cfg.text_dim, 2 * c) for c in cfg.conv_channels)
                if cfg.film
                else None
            )
            if self.films is not None:
                for lin in self.films:  # start as the identity modulation
                    nn.init.zeros_(lin.weight)
                    nn.init.zeros_(lin.bias)
            h, w = cfg.image_height, cfg.image_width
            for s in cfg.conv_strides:
                h, w = (h - 1) // s + 1, (w - 1) // s + 1
            self.img_fc = nn.Linear(cfg.conv_channels[-1] * h * w, cfg.image_features)
            trunk_in += cfg.image_features
        self.lowdim_dim = lowdim_dim
        if lowdim_dim > 0:
            self.lowdim_mlp = (
                mlp(lowdim_dim, cfg.lowdim_hidden[:-1], cfg.lowdim_hidden[-1])
                if cfg.lowdim_hidden
                else nn.Identity()
            )
            trunk_in += cfg.lowdim_hidden[-1] if cfg.lowdim_hidden else lowdim_dim
        out = 2 * cfg.bins if cfg.head == 'discrete' else 2
        layers: list[nn.Module] = []
        last = trunk_in
        for size in cfg.hidden:
            layers += [nn.Linear(last, size), nn.ReLU(), nn.Dropout(cfg.dropout)]
            last = size
        layers.append(nn.Linear(last, out))
        self.trunk = nn.Sequential(*layers)

    def text_embedding(self, text: torch.Tensor) -> torch.Tensor:
        """Embed instructions: (B, L) int64 ids or (B, D) float features -> (B, text_dim).

        Ids give the masked mean of word embeddings; float features go through an MLP.
        """
        if self.embed is not None:
            mask = (text > 0).unsqueeze(-1).float()
            e = (self.embed(text) * mask).sum(1) / mask.sum(1).clamp_min(1.0)
        else:
            e = text
        return F.relu(self.text_mlp(e))

    def forward(
        self, image: torch.Tensor | None, lowdim: torch.Tensor, text: torch.Tensor
    ) -> torch.Tensor:
        """Compute the head outputs of a batch.

        image: float (B, 3T, H, W) in [-0.5, 0.5] or None; lowdim: (B, F*T) normalized;
        text: see :meth:`text_embedding`.
        """
        e = self.text_embedding(text)
        feats = [e]
        if self.cfg.use_image:
            x = image
            for i, conv in enumerate(self.convs):
                x = conv(x)
                if self.films is not None:
                    delta, beta = self.films[i](e).unsqueeze(-1).unsqueeze(-1).chunk(2, dim=1)
                    x = x * (1.0 + delta) + beta  # FiLM, Perez et al. 2018 eq. 1
                x = F.relu(x)
            feats.append(F.relu(self.img_fc(x.flatten(1))))
        if self.lowdim_dim > 0:
            h = self.lowdim_mlp(lowdim)
            feats.append(F.relu(h) if self.cfg.lowdim_hidden else h)
        return self.trunk(torch.cat(feats, dim=1))


def _bin_centers(bins: int) -> torch.Tensor:
    return torch.linspace(-1.0, 1.0, bins)


def _two_hot(action: torch.Tensor, bins: int) -> torch.Tensor:
    """(B, D) in [-1, 1] -> (B, D, bins) target distribution with mean = action."""
    pos = (action.clamp(-1, 1) + 1.0) * 0.5 * (bins - 1)
    lo = pos.floor().clamp(0, bins - 2)
    frac = (pos - lo).unsqueeze(-1)
    lo = lo.long().unsqueeze(-1)
    target = torch.zeros(*action.shape, bins, dtype=action.dtype)
    target.scatter_(-1, lo, 1.0 - frac)
    target.scatter_add_(-1, lo + 1, frac)
    return target


def head_loss(out: torch.Tensor, action: torch.Tensor, cfg: BCConfig) -> torch.Tensor:
    """Return the mean loss over the batch.

    Summed per-dimension cross-entropy against two-hot targets ('discrete') or summed
    squared error ('mse').
    """
    if cfg.head == 'discrete':
        logp = F.log_softmax(out.view(out.shape[0], -1, cfg.bins), dim=-1)
        return -(_two_hot(action, cfg.bins) * logp).sum(dim=(1, 2)).mean()
    return (torch.tanh(out) - action).square().sum(1).mean()


def decode(
    out: torch.Tensor,
    cfg: BCConfig,
    deterministic: bool = True,
    generator: torch.Generator | None = None,
) -> torch.Tensor:
    """Head outputs -> actions (B, 2) in [-1, 1].

    'discrete', deterministic: most likely bin refined by the probability-weighted mean of
    it and its two neighbours; sampled: a bin drawn from each dimension's softmax, then
    the same refinement (so a sample is a mode's local mean). 'mse': tanh output.
    """
    if cfg.head == 'mse':
        return torch.tanh(out)
    probs = F.softmax(out.view(out.shape[0], -1, cfg.bins), dim=-1)
    if deterministic:
        k = probs.argmax(-1)
    else:
        k = torch.multinomial(probs.view(-1, cfg.bins), 1, generator=generator).view(
            probs.shape[:2]
        )
    centers = _bin_centers(cfg.bins).to(out.dtype)
    idx = (k.unsqueeze(-1) + torch.tensor([-1, 0, 1])).clamp(0, cfg.bins - 1)  # (B, D, 3)
    p = probs.gather(-1, idx)
    p = torch.where(
        torch.tensor([True, False, False]) & (idx[..., :1] == idx[..., 1:2]),
        torch.zeros_like(p),
        p,
    )  # at the lower edge, don't count bin 0 twice
    p = torch.where(
        torch.tensor([False, False, True]) & (idx[..., 2:] == idx[..., 1:2]),
        torch.zeros_like(p),
        p,
    )
    return (p * centers[idx]).sum(-1) / p.sum(-1).clamp_min(1e-8)


def image_tensor(images: np.ndarray) -> torch.Tensor:
    """uint8 (B, T, H, W, 3) -> float32 (B, 3T, H, W) in [-0.5, 0.5]."""
    x = torch.from_numpy(np.ascontiguousarray(images))
    b, t, h, w, c = x.shape
    return x.permute(0, 1, 4, 2, 3).reshape(b, t * c, h, w).float().div_(255.0).sub_(0.5)


# ----------------------------------------------------------------------------- trainer


def _mirror_map(obs_cfg: ObservationConfig, cfg: BCConfig) -> tuple[torch.Tensor, torch.Tensor]:
    """Return index and sign vectors that mirror a raw low-dim row about the robot's x axis.

    The row holds all history frames: sector k <-> S-1-k (sectors span [-pi, pi)
    symmetrically), yaw rate and each detection's sin(bearing) change sign.
    """
    idx, sign = [], []
    for _ in cfg.history:
        base = len(idx)
        if cfg.use_sectors:
            idx += [base + obs_cfg.num_sectors - 1 - k for k in range(obs_cfg.num_sectors)]
            sign += [1.0] * obs_cfg.num_sectors
        if cfg.use_velocity:
            idx += [len(idx), len(idx) + 1]
            sign += [1.0, -1.0]
        if cfg.use_detections:
            for _c in obs_cfg.colors:
                idx += [len(idx) + j for j in range(4)]
                sign += [1.0, 1.0, -1.0, 1.0]
    return torch.tensor(idx, dtype=torch.long), torch.tensor(sign)


def _permute_words(text: str, colors: Sequence[str], perm: Sequence[int]) -> str:
    """Return ``text`` with colour word ``colors[k]`` replaced by ``colors[perm[k]]``.

    Lower-case tokens joined by spaces; the tokenizer sees the same words.
    """
    index = {c: k for k, c in enumerate(colors)}
    return ' '.join(colors[perm[index[w]]] if w in index else w for w in tokenize(text))


_FRAME_KEYS = ('sectors', 'velocity', 'instruction', 'prev')


class BCTrainer:
    """Behaviour cloning on a bag dataset (offline-trainer protocol, see module docs).

    Args:
        data: dataset with ``frames``, ``transitions``, ``instructions`` (trainer contract).
        cfg: model/optimiser config. obs_cfg, act_cfg: the spec (saved in the checkpoint).
        train_indices: int64 transition indices; normalization statistics come from them.
        device: torch device.

    Raises:
        ConfigError: the dataset lacks an input the config needs (e.g. images), or its
            images have another size than ``cfg.image_width x image_height``.
    """

    def __init__(
        self,
        data,
        cfg: BCConfig,
        obs_cfg: ObservationConfig,
        act_cfg: ActionConfig,
        train_indices: np.ndarray,
        device: str = 'cpu',
        vocabulary: Vocabulary | None = None,
    ):
        self.cfg, self.obs_cfg, self.act_cfg = cfg, obs_cfg, act_cfg
        self.device = torch.device(device)
        frames, trans = data.frames, data.transitions
        need = (
            list(_FRAME_KEYS)
            + (['image'] if cfg.use_image else [])
            + (['detections'] if cfg.use_detections else [])
        )
        missing = [k for k in need if k not in frames]
        if missing:
            raise ConfigError(
                f'dataset frames lack {missing} needed by BCConfig '
                f'(use_image={cfg.use_image}, use_detections={cfg.use_detections})'
            )
        if cfg.use_image:
            shape = tuple(frames['image'].shape[1:])
            if shape != (cfg.image_height, cfg.image_width, 3):
                raise ConfigError(
                    f'dataset images are {shape[1]}x{shape[0]}, BCConfig wants '
                    f'{cfg.image_width}x{cfg.image_height}: set image_width/height '
                    'to the recorded camera_ingest size'
                )
        train_indices = np.asarray(train_indices, np.int64)
        if train_indices.size == 0:
            raise ConfigError('train_indices is empty')
        self.frames, self.trans = frames, trans
        self.instructions = list(data.instructions)
        self.hist = history_indices(frames['prev'], cfg.history)
        self.feat = frame_features(
            frames['sectors'], frames['velocity'], frames.get('detections'), obs_cfg, cfg
        )
        self.obs_idx = np.asarray(trans['obs'], np.int64)
        self.actions = np.asarray(trans['action'], np.float32)
        # Colour permutations (identity first) and the instructions they produce.
        colors = list(obs_cfg.colors)
        self.perms = [tuple(range(len(colors)))]
        primaries = ('red', 'green', 'blue')
        permute_images = cfg.color_permute and cfg.use_image and cfg.image_color_permute
        if permute_images and sorted(colors) != sorted(primaries):
            raise ConfigError(
                f'image_color_permute swaps RGB channels, so the pillar colours must '
                f'be red, green, blue (got {colors}): set image_color_permute=False'
            )
        if (
            cfg.color_permute
            and len(colors) > 1
            and (permute_images or (cfg.use_detections and not cfg.use_image))
        ):
            all_perms = list(itertools.islice(itertools.permutations(range(len(colors))), 1, 720))
            self.perms += all_perms
        texts = [_permute_words(t, colors, p) for p in self.perms for t in self.instructions]
        if cfg.text_encoder_path:
            enc = PretrainedTextEncoder(cfg.text_encoder_path)
            self.vocab = None
            table = enc.encode(texts).astype(np.float32)
            vocab_size, text_in = 0, table.shape[1]
        else:
            # A given vocabulary (fine-tuning a checkpoint) keeps token ids stable; words it
            # lacks map to <unk>, as they would for that checkpoint at deploy time.
            self.vocab = vocabulary if vocabulary is not None else Vocabulary.from_texts(texts)
            table = self.vocab.encode_many(texts, cfg.max_tokens)
            vocab_size, text_in = len(self.vocab), 0
        # (P, n_instructions, ...): text of instruction i under permutation p.
        self.perm_text = table.reshape(len(self.perms), len(self.instructions), *table.shape[1:])
        self.text_table = self.perm_text[0]
        lowdim = self.feat[self.hist[self.obs_idx[train_indices]]].reshape(len(train_indices), -1)
        mean, std = lowdim.mean(0), lowdim.std(0)
        per_frame = self.feat.shape[1]
        self._det_slice = None
        if cfg.use_detections:
            start = (obs_cfg.num_sectors if cfg.use_sectors else 0) + (
                2 if cfg.use_velocity else 0
            )
            self._det_slice = (start, start + 4 * len(colors))
            if len(self.perms) > 1:  # the permuted data has colour-symmetric statistics
                for arr in (mean, std):
                    view = arr.reshape(len(cfg.history), per_frame)[
                        :, start: start + 4 * len(colors)
                    ]
                    view[:] = np.tile(
                        view.reshape(len(cfg.history), len(colors), 4).mean(1), (1, len(colors))
                    )
        self.mean = mean.astype(np.float32)
        # Floor on std: constant features (e.g. a colour never present) stay finite.
        self.std = np.maximum(std, 1e-2).astype(np.float32)
        self._mirror_idx, self._mirror_sign = _mirror_map(obs_cfg, cfg)
        # inverse permutations: new block k is old block inv[p][k]
        self._inv = torch.from_numpy(np.argsort(np.array(self.perms, np.int64), axis=1))
        # Image channel permutation of each colour permutation: the pillar of colour k
        # (pure-ish primary in channel ch[k]) must appear as colour perm[k].
        if cfg.use_image and len(self.perms) > 1:
            ch = [primaries.index(c) for c in colors]
            src = np.zeros((len(self.perms), 3), np.int64)
            for i, perm in enumerate(self.perms):
                for k in range(len(colors)):
                    src[i, ch[perm[k]]] = ch[k]
            frames_t = len(cfg.history)
            self._channel_src = torch.from_numpy(
                np.concatenate([src + 3 * t for t in range(frames_t)], axis=1)
            )
        self._perm_text_t = torch.from_numpy(self.perm_text)
        torch.manual_seed(cfg.seed)
        self.net = BCNet(cfg, lowdim.shape[1], vocab_size, text_in).to(self.device)
        self.model = self.net
        if torch.distributed.is_available() and torch.distributed.is_initialized():
            self.model = nn.parallel.DistributedDataParallel(
                self.net, device_ids=None if self.device.type == 'cpu' else [self.device]
            )
        self.opt = torch.optim.AdamW(
            self.net.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay
        )
        self._mean_t = torch.from_numpy(self.mean).to(self.device)
        self._std_t = torch.from_numpy(self.std).to(self.device)
        self._gen = torch.Generator().manual_seed(cfg.seed)
        self.updates = 0

    def sample(self, indices: np.ndarray, batch_size: int, rng: np.random.Generator) -> BCBatch:
        """Uniform rows (with replacement) of ``indices`` gathered into a :class:`BCBatch`."""
        rows = np.asarray(indices, np.int64)[rng.integers(0, len(indices), batch_size)]
        return self.gather(rows)

    def gather(self, rows: np.ndarray) -> BCBatch:
        """:class:`BCBatch` of the given transition indices, in order."""
        f = self.obs_idx[rows]
        h = self.hist[f]
        image = self.frames['image'][h] if self.cfg.use_image else None
        lowdim = self.feat[h].reshape(len(rows), -1)
        instr = np.asarray(self.frames['instruction'], np.int64)[f]
        return BCBatch(image, lowdim, self.text_table[instr], self.actions[rows], instr)

    def _tensors(self, batch: BCBatch, augment: bool):
        image = None
        if self.cfg.use_image:
            image = image_tensor(batch.image)
            if augment:
                image = random_shift(image, self.cfg.drq_pad, self._gen)
                if self.cfg.color_jitter > 0:
                    b = image.shape[0]
                    amp = self.cfg.color_jitter
                    contrast = 1.0 + amp * (2 * torch.rand(b, 1, 1, 1, generator=self._gen) - 1)
                    bright = 0.5 * amp * (2 * torch.rand(b, 1, 1, 1, generator=self._gen) - 1)
                    image = image * contrast + bright
        lowdim = torch.from_numpy(batch.lowdim)
        text = torch.from_numpy(np.asarray(batch.text))
        action = torch.from_numpy(np.asarray(batch.action, np.float32))
        if augment and self.cfg.mirror:
            flip = torch.rand(lowdim.shape[0], generator=self._gen) < 0.5
            if image is not None:
                image = torch.where(flip.view(-1, 1, 1, 1), image.flip(-1), image)
            lowdim = torch.where(
                flip.view(-1, 1), lowdim[:, self._mirror_idx] * self._mirror_sign, lowdim
            )
            action = torch.where(flip.view(-1, 1), action * torch.tensor([1.0, -1.0]), action)
        if augment and len(self.perms) > 1 and batch.instruction is not None:
            b = lowdim.shape[0]
            p = torch.randint(0, len(self.perms), (b,), generator=self._gen)
            text = self._perm_text_t[p, torch.from_numpy(np.asarray(batch.instruction, np.int64))]
            if self._det_slice is not None:
                a, z = self._det_slice
                n_col = (z - a) // 4
                frames = lowdim.view(b, len(self.cfg.history), -1).clone()
                det = frames[:, :, a:z].reshape(b, len(self.cfg.history), n_col, 4)
                idx = self._inv[p].view(b, 1, n_col, 1).expand_as(det)
                frames[:, :, a:z] = det.gather(2, idx).reshape(b, len(self.cfg.history), -1)
                lowdim = frames.view(b, -1)
            if image is not None:
                idx = self._channel_src[p].view(b, -1, 1, 1).expand_as(image)
                image = image.gather(1, idx)
        if image is not None:
            image = image.to(self.device)
        lowdim = (lowdim.to(self.device) - self._mean_t) / self._std_t
        if augment and self.cfg.lowdim_noise > 0:
            lowdim = lowdim + self.cfg.lowdim_noise * torch.randn(
                lowdim.shape, generator=self._gen
            ).to(self.device)
        text = text.to(self.device)
        action = action.to(self.device)
        return image, lowdim, text, action

    def update(self, batch: BCBatch) -> dict[str, float]:
        """One AdamW step on the head loss with augmentation. Returns loss, grad_norm, lr."""
        self.model.train()
        image, lowdim, text, action = self._tensors(batch, augment=True)
        loss = head_loss(self.model(image, lowdim, text), action, self.cfg)
        self.opt.zero_grad(set_to_none=True)
        loss.backward()
        gn = torch.nn.utils.clip_grad_norm_(
            self.net.parameters(), self.cfg.grad_clip if self.cfg.grad_clip > 0 else math.inf
        )
        self.opt.step()
        self.updates += 1
        return {'loss': loss.item(), 'grad_norm': float(gn), 'lr': self.opt.param_groups[0]['lr']}

    @torch.no_grad()
    def evaluate(self, batch: BCBatch) -> dict[str, float]:
        """No augmentation, dropout off.

        ``val_loss`` is the training objective (cross-entropy or MSE) on ``batch``;
        ``val_action_mae`` the mean absolute error of the deterministic action (in [-1, 1] units).
        """
        self.net.eval()
        image, lowdim, text, action = self._tensors(batch, augment=False)
        out = self.net(image, lowdim, text)
        mae = (decode(out, self.cfg) - action).abs().mean()
        return {'val_loss': float(head_loss(out, action, self.cfg)), 'val_action_mae': float(mae)}

    def metadata(self) -> dict:
        """Sidecar fields of this model (see :meth:`save`)."""
        cfg = self.cfg
        return policy_metadata(
            self.obs_cfg,
            self.act_cfg,
            cfg.hidden,
            'bc',
            normalization='low-dim features: (x - norm.mean) / norm.std, train split',
            bc_config=cfg.to_dict(),
            lowdim_dim=int(self.mean.size),
            image_size=[cfg.image_width, cfg.image_height] if cfg.use_image else None,
            vocabulary=self.vocab.to_dict() if self.vocab is not None else None,
            instructions=list(self.instructions),
            updates=self.updates,
        )

    def state_tensors(self) -> dict[str, torch.Tensor]:
        """Return network weights (``bc.*``) and normalization (``norm.mean``/``norm.std``).

        With a pretrained text encoder also ``text.cache`` (embeddings of ``instructions``).
        """
        out = {NET_PREFIX + k: v for k, v in self.net.state_dict().items()}
        out['norm.mean'] = torch.from_numpy(self.mean)
        out['norm.std'] = torch.from_numpy(self.std)
        if self.vocab is None:
            out['text.cache'] = torch.from_numpy(self.text_table)
        return out

    def save(self, path: Path, extra_metadata: dict | None = None) -> Path:
        """Checkpoint directory (safetensors + JSON sidecar) that :class:`BCPolicy` loads."""
        meta = self.metadata()
        meta.update(extra_metadata or {})
        return save_checkpoint(path, self.state_tensors(), meta)

    def load(self, path) -> None:
        """Start from a BC checkpoint (``--init-from``): its weights and normalization.

        Fine-tuning on aggregated data (demos + interventions) from the previous round's
        policy, as DAgger's later rounds do (Ross et al. 2011), instead of from scratch.

        Raises:
            CheckpointError: not a BC checkpoint, or another model shape / vocabulary.
        """
        tensors, meta = load_checkpoint(path)
        if meta.get('algorithm') != 'bc':
            raise CheckpointError(
                f"{path}: --init-from needs a bc checkpoint, got {meta.get('algorithm')!r}"
            )
        mine = self.vocab.to_dict() if self.vocab is not None else None
        if meta.get('vocabulary') != mine:
            raise CheckpointError(
                f"{path}: its instruction vocabulary differs from these bags' "
                f"({meta.get('vocabulary')} vs {mine})"
            )
        state = {k[len(NET_PREFIX):]: v for k, v in tensors.items() if k.startswith(NET_PREFIX)}
        try:
            self.net.load_state_dict(state)
        except RuntimeError as exc:
            lines = str(exc).strip().splitlines()
            raise CheckpointError(
                f'{path}: weights do not fit this BC config '
                f'({lines[1].strip() if len(lines) > 1 else lines[0]})'
            ) from None
        self.mean = tensors['norm.mean'].numpy().astype(np.float32)
        self.std = tensors['norm.std'].numpy().astype(np.float32)
        self._mean_t = torch.from_numpy(self.mean).to(self.device)
        self._std_t = torch.from_numpy(self.std).to(self.device)

    def policy(self) -> BCPolicy:
        """Return a :class:`BCPolicy` sharing nothing with the trainer (weights copied)."""
        return BCPolicy.from_tensors(
            {k: v.detach().clone() for k, v in self.state_tensors().items()}, self.metadata()
        )


# ----------------------------------------------------------------------------- policy


class BCPolicy:
    """Deployable BC policy with its own observation history.

    Instructions: with learned word embeddings, any text is tokenized with the saved
    vocabulary (unknown words -> ``<unk>``). With a pretrained sentence encoder, the
    embeddings of the training instructions are stored in the checkpoint
    (``text.cache``) so the policy needs no encoder for them; an unseen instruction is
    embedded by loading the encoder from ``bc_config.text_encoder_path`` (if present on
    this machine), otherwise :meth:`act` raises MessageError.

    Build with :meth:`from_checkpoint` or :meth:`from_tensors` (no code runs on load).
    """

    def __init__(
        self,
        net: BCNet,
        metadata: dict,
        mean: np.ndarray,
        std: np.ndarray,
        text_cache: np.ndarray | None,
    ):
        self.net = net.eval()
        self.metadata = metadata
        self.cfg: BCConfig = net.cfg
        self.obs_cfg = ObservationConfig.from_dict(metadata['observation'])
        self.act_cfg = ActionConfig.from_dict(metadata['action'])
        self.mean, self.std = mean, std
        self.vocab = (
            Vocabulary.from_dict(metadata['vocabulary']) if metadata.get('vocabulary') else None
        )
        self._text_cache: dict[str, np.ndarray] = {}
        if text_cache is not None:
            for text, emb in zip(metadata.get('instructions', []), text_cache):
                self._text_cache[text] = emb
        self._encoder = None
        self.version = int(metadata.get('version', 0))
        self._depth = max(self.cfg.history) + 1
        self._frames: collections.deque = collections.deque(maxlen=self._depth)
        self._gen = torch.Generator().manual_seed(self.cfg.seed)

    @property
    def needs_image(self) -> bool:
        return self.cfg.use_image

    @property
    def image_size(self) -> tuple[int, int]:
        """(width, height) in pixels the camera images must have."""
        return self.cfg.image_width, self.cfg.image_height

    @classmethod
    def from_tensors(
        cls, tensors: Mapping[str, torch.Tensor], metadata: dict, source: str = 'weights'
    ) -> BCPolicy:
        """Build from checkpoint tensors and sidecar.

        Raises:
            CheckpointError: not a BC checkpoint, or weights that do not fit its config.
        """
        if metadata.get('algorithm') != 'bc':
            raise CheckpointError(
                f'{source}: algorithm is {metadata.get("algorithm")!r}, ' "BCPolicy needs 'bc'"
            )
        for key in ('observation', 'action', 'bc_config', 'lowdim_dim'):
            if key not in metadata:
                raise CheckpointError(f'{source}: sidecar lacks {key!r}; not a BC checkpoint')
        try:
            cfg = BCConfig.from_dict(metadata['bc_config'])
        except (ConfigError, TypeError) as exc:
            raise CheckpointError(f'{source}: bad bc_config: {exc}') from None
        for key in ('norm.mean', 'norm.std'):
            if key not in tensors:
                raise CheckpointError(f'{source}: no {key} tensor (normalization statistics)')
        vocab = metadata.get('vocabulary')
        cache = tensors.get('text.cache')
        if vocab is None and cache is None:
            raise CheckpointError(
                f'{source}: neither vocabulary nor text.cache; cannot read instructions'
            )
        try:
            vocab_size = len(Vocabulary.from_dict(vocab)) if vocab is not None else 0
        except ConfigError as exc:
            raise CheckpointError(f'{source}: bad vocabulary: {exc}') from None
        net = BCNet(
            cfg,
            int(metadata['lowdim_dim']),
            vocab_size,
            0 if cache is None else int(cache.shape[1]),
        )
        state = {k[len(NET_PREFIX):]: v for k, v in tensors.items() if k.startswith(NET_PREFIX)}
        try:
            net.load_state_dict(state)
        except RuntimeError as exc:
            lines = [ln.strip() for ln in str(exc).strip().splitlines() if ln.strip()]
            raise CheckpointError(
                f'{source}: BC weights do not fit the sidecar config '
                f'({lines[1] if len(lines) > 1 else lines[0]})'
            ) from None
        return cls(
            net,
            metadata,
            tensors['norm.mean'].float().numpy(),
            tensors['norm.std'].float().numpy(),
            None if cache is None else cache.float().numpy(),
        )

    @classmethod
    def from_checkpoint(cls, path) -> BCPolicy:
        """Load a checkpoint directory written by :meth:`BCTrainer.save`.

        Raises:
            CheckpointError: missing/corrupt files or not a BC checkpoint.
        """
        tensors, meta = load_checkpoint(path)
        return cls.from_tensors(tensors, meta, str(path))

    def reset(self) -> None:
        """Forget the observation history (new episode / new instruction)."""
        self._frames.clear()

    def _text(self, instruction: str) -> torch.Tensor:
        if self.vocab is not None:
            return torch.from_numpy(self.vocab.encode(instruction, self.cfg.max_tokens))[None]
        if instruction not in self._text_cache:
            if self._encoder is None:
                try:
                    self._encoder = PretrainedTextEncoder(self.cfg.text_encoder_path)
                except ConfigError as exc:
                    raise MessageError(
                        f'instruction {instruction!r} was not in training and the '
                        f'text encoder is unavailable: {exc}'
                    ) from None
            self._text_cache[instruction] = self._encoder.encode([instruction])[0]
        return torch.from_numpy(np.asarray(self._text_cache[instruction], np.float32))[None]

    @torch.no_grad()
    def act(
        self, raw: RawObservation, image: np.ndarray | None = None, deterministic: bool = True
    ) -> np.ndarray:
        """Return the action for one synchronized observation, float32 (2,) in [-1, 1].

        Args:
            raw: sectors (m), detections, velocity (m/s, rad/s), instruction.
            image: uint8 (height, width, 3) RGB at :attr:`image_size` (camera_ingest
                output); required when :attr:`needs_image`.
            deterministic: mode of the action distribution; else a sample.

        Raises:
            MessageError: missing image or wrong image shape/dtype, wrong sector count.
        """
        cfg = self.cfg
        img = None
        if cfg.use_image:
            if image is None:
                raise MessageError('this BC policy needs a camera image: start camera_ingest')
            image = np.asarray(image)
            want = (cfg.image_height, cfg.image_width, 3)
            if image.shape != want or image.dtype != np.uint8:
                raise MessageError(
                    f'image is {image.dtype} {image.shape}, the policy needs uint8 '
                    f'{want}: set camera_ingest width={cfg.image_width} '
                    f'height={cfg.image_height}'
                )
            img = image
        feat = frame_features(
            np.asarray(raw.sectors, np.float32)[None],
            np.asarray(raw.velocity, np.float32)[None],
            np.asarray(raw.detections, np.float32)[None] if cfg.use_detections else None,
            self.obs_cfg,
            cfg,
        )[0]
        if not self._frames:
            for _ in range(self._depth):
                self._frames.append((img, feat))
        else:
            self._frames.append((img, feat))
        hist = [self._frames[-1 - off] for off in cfg.history]
        lowdim = (np.concatenate([f for _, f in hist]) - self.mean) / self.std
        image_t = image_tensor(np.stack([i for i, _ in hist])[None]) if cfg.use_image else None
        out = self.net(
            image_t, torch.from_numpy(lowdim.astype(np.float32))[None], self._text(raw.instruction)
        )
        return decode(out, cfg, deterministic, self._gen)[0].numpy().astype(np.float32)
