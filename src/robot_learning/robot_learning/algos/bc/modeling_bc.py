# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 robot_learning maintainers
"""Language-conditioned behaviour cloning: the network and the deployable policy.

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

import numpy as np
from robot_learning.common.checkpoint import load_checkpoint, load_prefixed
from robot_learning.common.features import (
    ActionConfig,
    check_camera_image,
    ObservationConfig,
    RawObservation,
)
from robot_learning.common.language import PretrainedTextEncoder, Vocabulary
from robot_learning.common.networks import FilmConvImage, mlp
from robot_learning.errors import CheckpointError, ConfigError, MessageError
import torch
from torch import nn
import torch.nn.functional as F

from .configuration_bc import BCConfig, NET_PREFIX

__all__ = [
    'BCNet',
    'BCPolicy',
    'decode',
    'frame_features',
    'head_loss',
    'history_indices',
    'image_tensor',
]


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


# ----------------------------------------------------------------------------- network


class BCNet(FilmConvImage, nn.Module):
    """Policy network (module docstring).

    Forward returns head outputs: (B, 2 * bins) logits for 'discrete', (B, 2) tanh actions for
    'mse'.

    Args:
        cfg: model config. lowdim_dim: F * len(history). vocab_size: token count (learned
            embeddings) or 0 when ``text_in`` is a fixed sentence-embedding width.
    """

    def __init__(self, cfg: BCConfig, lowdim_dim: int, vocab_size: int, text_in: int = 0):
        super().__init__()
        self.build_text_encoder(cfg, vocab_size, text_in)
        trunk_in = cfg.text_dim
        if cfg.use_image:
            trunk_in += self.build_image_encoder(
                3 * len(cfg.history), cfg.conv_channels, cfg.conv_strides,
                (cfg.image_height, cfg.image_width), cfg.image_features,
                cfg.text_dim if cfg.film else 0,
            )
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

    def build_text_encoder(self, cfg: BCConfig, vocab_size: int, text_in: int) -> None:
        """Set ``cfg`` and create the instruction encoder (see :meth:`text_embedding`).

        Learned word embeddings for ``vocab_size`` > 0 tokens, else an MLP on ``text_in``
        wide sentence embeddings; both end in ``cfg.text_dim`` features.
        """
        self.cfg = cfg
        self.action_dim = 2
        if vocab_size > 0:
            self.embed = nn.Embedding(vocab_size, cfg.text_dim, padding_idx=0)
            self.text_mlp = mlp(cfg.text_dim, (cfg.text_dim,), cfg.text_dim)
        else:
            self.embed = None
            self.text_mlp = mlp(text_in, (cfg.text_dim,), cfg.text_dim)

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
        self,
        image: torch.Tensor | None,
        lowdim: torch.Tensor,
        text: torch.Tensor,
        with_features: bool = False,
    ) -> torch.Tensor | tuple[torch.Tensor, torch.Tensor]:
        """Compute the head outputs of a batch.

        image: float (B, 3T, H, W) in [-0.5, 0.5] or None; lowdim: (B, F*T) normalized;
        text: see :meth:`text_embedding`. ``with_features``: also return the image
        features, float (B, image_features) (the domain classifier's input, DANN).
        """
        e = self.text_embedding(text)
        feats = [e]
        if self.cfg.use_image:
            feats.append(self.encode_image(image, e))
        if self.lowdim_dim > 0:
            h = self.lowdim_mlp(lowdim)
            feats.append(F.relu(h) if self.cfg.lowdim_hidden else h)
        out = self.trunk(torch.cat(feats, dim=1))
        return (out, feats[1]) if with_features else out


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


# ----------------------------------------------------------------------------- policy


class BCPolicy:
    """Deployable BC policy with its own observation history.

    A :class:`robot_learning.types.Policy`: ``act(observation)`` takes a
    :class:`~robot_learning.common.features.RawObservation` carrying the camera frame.

    Instructions: with learned word embeddings, any text is tokenized with the saved
    vocabulary (unknown words -> ``<unk>``). With a pretrained sentence encoder, the
    embeddings of the training instructions are stored in the checkpoint
    (``text.cache``) so the policy needs no encoder for them; an unseen instruction is
    embedded by loading the encoder from ``bc_config.text_encoder_path`` (if present on
    this machine), otherwise :meth:`act` raises MessageError.

    Build with :meth:`from_checkpoint` or :meth:`from_tensors` (no code runs on load).
    Subclasses (the ACT policy) set :attr:`algorithm`, :attr:`config_class` and
    :attr:`net_class` and decode the head in :meth:`act`.
    """

    algorithm = 'bc'
    config_class = BCConfig
    net_class = BCNet

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
        if metadata.get('algorithm') != cls.algorithm:
            raise CheckpointError(
                f'{source}: algorithm is {metadata.get("algorithm")!r}, '
                f'{cls.__name__} needs {cls.algorithm!r}'
            )
        for key in ('observation', 'action', 'bc_config', 'lowdim_dim'):
            if key not in metadata:
                raise CheckpointError(f'{source}: sidecar lacks {key!r}; not a BC checkpoint')
        try:
            cfg = cls.config_class.from_dict(metadata['bc_config'])
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
        net = cls.net_class(
            cfg,
            int(metadata['lowdim_dim']),
            vocab_size,
            0 if cache is None else int(cache.shape[1]),
        )
        what = f'{source}: {cls.algorithm} weights do not fit the sidecar config'
        load_prefixed(net, tensors, NET_PREFIX, what)
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
    def act(self, observation: RawObservation, deterministic: bool = True) -> np.ndarray:
        """Return the action for one synchronized observation, float32 (2,) in [-1, 1].

        Args:
            observation: sectors (m), detections, velocity (m/s, rad/s), instruction and,
                when :attr:`needs_image`, ``image``: uint8 (height, width, 3) RGB at
                :attr:`image_size` (camera_ingest output).
            deterministic: mode of the action distribution; else a sample.

        Raises:
            MessageError: missing image or wrong image shape/dtype, wrong sector count.
        """
        return self._action_of(self.net(*self._inputs(observation)), deterministic)

    def _action_of(self, out: torch.Tensor, deterministic: bool) -> np.ndarray:
        """Return the action of a (1, out) head output, float32 (2,) (ACT: its ensemble)."""
        return decode(out, self.cfg, deterministic, self._gen)[0].numpy().astype(np.float32)

    def _step_actions(self, out: torch.Tensor) -> torch.Tensor:
        """Return this step's deterministic actions of (K, out) head outputs, (K, 2)."""
        return decode(out, self.cfg)

    @torch.no_grad()
    def act_with_uncertainty(
        self, observation: RawObservation, samples: int = 8, deterministic: bool = True
    ) -> tuple[np.ndarray, float]:
        """Return :meth:`act`'s action and its MC-dropout uncertainty.

        The uncertainty is the standard deviation, over ``samples`` forward passes with
        dropout on, of this step's deterministic action, averaged over the action's two
        dimensions (units of the [-1, 1] action; 0 for a network without dropout). Monte
        Carlo dropout approximates the predictive distribution of a Bayesian network
        (Gal & Ghahramani, "Dropout as a Bayesian Approximation", ICML 2016, sec. 3,
        eq. 8-9); the action itself comes from the network with dropout off, as
        :meth:`act`'s. A high value marks an observation unlike the training data, where
        ThriftyDAgger (Hoque et al., CoRL 2021, sec. IV-B) asks a human to take over.

        Raises:
            MessageError: as :meth:`act`. ConfigError: ``samples`` < 2.
        """
        if samples < 2:
            raise ConfigError(f'MC-dropout needs at least 2 samples, got {samples}')
        inputs = self._inputs(observation)
        action = self._action_of(self.net(*inputs), deterministic)
        rep = [None if x is None else x.expand(samples, *x.shape[1:]) for x in inputs]
        dropouts = [m for m in self.net.modules() if isinstance(m, nn.Dropout)]
        try:
            for m in dropouts:
                m.train()
            sampled = self._step_actions(self.net(*rep))
        finally:
            for m in dropouts:
                m.eval()
        return action, float(sampled.std(0).mean())

    def _head(self, observation: RawObservation) -> torch.Tensor:
        """Push ``observation`` into the history; return the network's (1, out) head output."""
        return self.net(*self._inputs(observation))

    def _inputs(self, observation: RawObservation) -> tuple:
        """Push ``observation`` into the history; return the network's (1, ...) inputs."""
        cfg = self.cfg
        raw, image = observation, getattr(observation, 'image', None)
        img = None
        if cfg.use_image:
            img = check_camera_image(image, cfg.image_width, cfg.image_height, 'this BC policy')
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
        return (
            image_t, torch.from_numpy(lowdim.astype(np.float32))[None], self._text(raw.instruction)
        )
