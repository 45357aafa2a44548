# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 robot_learning maintainers
"""Behaviour-cloning training: :class:`BCTrainer`, a :class:`robot_learning.types.Trainer`.

The augmentations (DrQ random shifts, left-right mirror, colour relabelling) and their
sources are described in :mod:`robot_learning.algos.bc.modeling_bc`. Nothing here
imports rclpy.
"""

from __future__ import annotations

from collections.abc import Sequence
import itertools
import math
from pathlib import Path
from typing import NamedTuple

import numpy as np
from robot_learning.common.checkpoint import (
    load_checkpoint,
    load_prefixed,
    policy_metadata,
    save_checkpoint,
)
from robot_learning.common.features import (
    ActionConfig,
    dataset_images,
    ObservationConfig,
    tokenize,
)
from robot_learning.common.language import PretrainedTextEncoder, Vocabulary
from robot_learning.errors import CheckpointError, ConfigError
import torch
from torch import nn
import torch.nn.functional as F

from .configuration_bc import BCConfig, NET_PREFIX
from .modeling_bc import (
    BCNet,
    BCPolicy,
    decode,
    frame_features,
    head_loss,
    history_indices,
    image_tensor,
)

__all__ = ['BCBatch', 'BCTrainer', 'random_shift']


class BCBatch(NamedTuple):
    """One batch, numpy (augmentation happens in ``update``)."""

    image: np.ndarray | None  # uint8 (B, T, H, W, 3), T = len(history); None if unused
    lowdim: np.ndarray  # float32 (B, T * F) raw (un-normalized) features
    text: np.ndarray  # int64 (B, max_tokens) ids, or float32 (B, D) embeddings
    action: np.ndarray  # float32 (B, 2) in [-1, 1]; (B, 2K) for a chunk of K (ACT)
    instruction: np.ndarray | None = None  # int64 (B,) index into data.instructions
    action_mask: np.ndarray | None = None  # float32 (B, K): 0 past the episode's end (ACT)


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
    """Behaviour cloning on a bag dataset (a :class:`robot_learning.types.Trainer`).

    Args:
        data: dataset with ``frames``, ``transitions``, ``instructions`` (trainer contract).
        cfg: model/optimiser config. obs_cfg, act_cfg: the spec (saved in the checkpoint).
        train_indices: int64 transition indices; normalization statistics come from them.
        device: torch device.

    Raises:
        ConfigError: the dataset lacks an input the config needs (e.g. images), or its
            images have another size than ``cfg.image_width x image_height``.

    Subclasses (ACT) set :attr:`algorithm`, :attr:`net_class`, :attr:`policy_class` and
    override :meth:`actions_of`, :meth:`loss` and :meth:`decode_actions`.
    """

    algorithm = 'bc'
    net_class = BCNet
    policy_class = BCPolicy
    #: Actions per sample (ACT's chunk length; 1 for BC).
    chunk = 1

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
            dataset_images(frames, cfg.image_width, cfg.image_height, '', 'BCConfig')
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
        self.net = self.net_class(cfg, lowdim.shape[1], vocab_size, text_in).to(self.device)
        if cfg.encoder_init:
            from robot_learning.common.pretrained_encoder import load_encoder

            load_encoder(self.net, cfg.encoder_init, {
                'image_width': cfg.image_width, 'image_height': cfg.image_height,
                'history': list(cfg.history), 'conv_channels': list(cfg.conv_channels),
                'conv_strides': list(cfg.conv_strides), 'image_features': cfg.image_features,
            })
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
        self._action_sign = torch.tensor([1.0, -1.0] * self.chunk)  # mirror: yaw rate flips
        self.updates = 0
        self.dann = None

    def set_target(self, data) -> None:
        """Adapt to unlabelled target-domain frames with DANN (:mod:`.dann`).

        Raises:
            ConfigError: ``dann_weight`` is 0, or the target frames lack camera images of
                this config's size.
        """
        if self.cfg.dann_weight <= 0:
            raise ConfigError('target-domain bags need dann_weight > 0 (DANN)')
        from .dann import DomainAdversary

        self.dann = DomainAdversary(data, self)
        self.opt.add_param_group({'params': list(self.dann.classifier.parameters())})

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
        action, mask = self.actions_of(rows)
        return BCBatch(image, lowdim, self.text_table[instr], action, instr, mask)

    def actions_of(self, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
        """Targets of the transition ``rows``: float32 (B, 2) and no mask (BC)."""
        return self.actions[rows], None

    def loss(self, out: torch.Tensor, action: torch.Tensor, batch: BCBatch) -> torch.Tensor:
        """Training objective of a batch's head outputs (BC: :func:`head_loss`)."""
        return head_loss(out, action, self.cfg)

    def decode_actions(self, out: torch.Tensor) -> torch.Tensor:
        """Deterministic actions of head outputs, (B, 2 * chunk) in [-1, 1]."""
        return decode(out, self.cfg)

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
            action = torch.where(flip.view(-1, 1), action * self._action_sign, action)
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
        """One AdamW step on the head loss with augmentation. Returns loss, grad_norm, lr.

        With a target domain (:meth:`set_target`) ``loss`` includes the domain loss and
        ``bc_loss``, ``domain_loss``, ``domain_acc``, ``dann_lambda`` are added.
        """
        self.model.train()
        image, lowdim, text, action = self._tensors(batch, augment=True)
        extra = {}
        if self.dann is None:
            loss = self.loss(self.model(image, lowdim, text), action, batch)
        else:  # source and target rows in one pass; the BC loss sees the source rows only
            n = len(action)
            target = BCBatch(*self.dann.sample(n), np.zeros((n, 2 * self.chunk), np.float32))
            t_image, t_lowdim, t_text, _ = self._tensors(target, augment=True)
            out, feat = self.model(
                torch.cat([image, t_image]), torch.cat([lowdim, t_lowdim]),
                torch.cat([text, t_text]), with_features=True,
            )
            loss = self.loss(out[:n], action, batch)
            d_loss, extra = self.dann.loss(feat, n, self.updates)
            extra['bc_loss'] = loss.item()
            loss = loss + d_loss
        self.opt.zero_grad(set_to_none=True)
        loss.backward()
        gn = torch.nn.utils.clip_grad_norm_(
            self.net.parameters(), self.cfg.grad_clip if self.cfg.grad_clip > 0 else math.inf
        )
        self.opt.step()
        self.updates += 1
        return {
            'loss': loss.item(), 'grad_norm': float(gn), 'lr': self.opt.param_groups[0]['lr'],
            **extra,
        }

    @torch.no_grad()
    def evaluate(self, batch: BCBatch) -> dict[str, float]:
        """No augmentation, dropout off.

        ``val_loss`` is the training objective (cross-entropy or MSE) on ``batch``;
        ``val_action_mae`` the mean absolute error of the deterministic action (in [-1, 1] units).
        """
        self.net.eval()
        image, lowdim, text, action = self._tensors(batch, augment=False)
        out = self.net(image, lowdim, text)
        mae = (self.decode_actions(out) - action).abs().mean()
        return {'val_loss': float(self.loss(out, action, batch)), 'val_action_mae': float(mae)}

    def metadata(self) -> dict:
        """Sidecar fields of this model (see :meth:`save`)."""
        cfg = self.cfg
        return policy_metadata(
            self.obs_cfg,
            self.act_cfg,
            cfg.hidden,
            self.algorithm,
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
        if meta.get('algorithm') != self.algorithm:
            raise CheckpointError(
                f'{path}: --init-from needs a {self.algorithm} checkpoint, got '
                f'{meta.get("algorithm")!r}'
            )
        mine = self.vocab.to_dict() if self.vocab is not None else None
        if meta.get('vocabulary') != mine:
            raise CheckpointError(
                f"{path}: its instruction vocabulary differs from these bags' "
                f"({meta.get('vocabulary')} vs {mine})"
            )
        load_prefixed(self.net, tensors, NET_PREFIX, f'{path}: weights do not fit this BC config')
        self.mean = tensors['norm.mean'].numpy().astype(np.float32)
        self.std = tensors['norm.std'].numpy().astype(np.float32)
        self._mean_t = torch.from_numpy(self.mean).to(self.device)
        self._std_t = torch.from_numpy(self.std).to(self.device)

    def policy(self) -> BCPolicy:
        """Return a :class:`BCPolicy` sharing nothing with the trainer (weights copied)."""
        return self.policy_class.from_tensors(
            {k: v.detach().clone() for k, v in self.state_tensors().items()}, self.metadata()
        )
