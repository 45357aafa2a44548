# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 robot_learning maintainers
"""Action-chunking transformer (ACT): network, trainer and the temporally ensembled policy.

Network (:class:`ACTNet`), after Zhao et al. 2023 (fig. 4, without the CVAE encoder)::

    images of the history (B, 3T, H, W) -> [conv 3x3 -> FiLM(e) -> ReLU] per layer
        -> feature map cells as tokens (+ learned 2-D position) -> Linear(d_model)
    LiDAR (+ velocity) of the history -> MLP -> one token;  instruction -> e -> one token
    tokens -> transformer encoder -> memory
    k learned queries -> transformer decoder (cross-attending to the memory) -> k x 2
        -> tanh: actions a_t .. a_{t+k-1} in [-1, 1]

Training (:class:`ACTTrainer`, the BC trainer with chunk targets): L1 between the
predicted chunk and the next k recorded actions of the episode, masked past its end
(ACT eq. 2's reconstruction term). The BC augmentations apply (DrQ shifts, mirror with
every yaw rate of the chunk negated, colour relabelling).

Inference (:class:`ACTPolicy`): a chunk is predicted at every step; the action executed
at step t is the weighted mean of every chunk's prediction for t, ``w_i = exp(-m i)``
with i = 0 the oldest (ACT sec. 3.3, temporal ensembling). ``ensemble_m < 0`` executes
each chunk open-loop for k steps instead.

Nothing here imports rclpy.
"""

from __future__ import annotations

import collections

import numpy as np
from robot_learning.algos.bc.modeling_bc import BCNet, BCPolicy
from robot_learning.algos.bc.training_bc import BCBatch, BCTrainer
from robot_learning.common.features import RawObservation
from robot_learning.common.networks import mlp
import torch
from torch import nn
import torch.nn.functional as F

from .configuration_act import ACTConfig

__all__ = ['ACTNet', 'ACTPolicy', 'ACTTrainer', 'ensemble_weights']


def ensemble_weights(n: int, m: float) -> np.ndarray:
    """Return the temporal-ensembling weights of ``n`` predictions, oldest first (sum 1).

    ``w_i = exp(-m i)`` (Zhao et al. 2023, sec. 3.3): a larger m trusts the oldest
    prediction more, m = 0 averages them equally.
    """
    w = np.exp(-float(m) * np.arange(n))
    return w / w.sum()


class ACTNet(BCNet):
    """ACT network on the BC inputs; forward returns (B, 2 * chunk) pre-tanh actions.

    Args as :class:`BCNet` (``cfg`` an :class:`ACTConfig`).
    """

    def __init__(self, cfg: ACTConfig, lowdim_dim: int, vocab_size: int, text_in: int = 0):
        nn.Module.__init__(self)
        self.build_text_encoder(cfg, vocab_size, text_in)
        d = cfg.d_model
        self.text_token = nn.Linear(cfg.text_dim, d)
        if cfg.use_image:
            self.build_image_encoder(
                3 * len(cfg.history), cfg.conv_channels, cfg.conv_strides,
                (cfg.image_height, cfg.image_width), 1, cfg.text_dim if cfg.film else 0,
            )
            del self.img_fc  # the map's cells are the tokens, not one flattened vector
            h, w = cfg.image_height, cfg.image_width
            for s in cfg.conv_strides:
                h, w = (h - 1) // s + 1, (w - 1) // s + 1
            self.img_token = nn.Linear(cfg.conv_channels[-1], d)
            self.img_pos = nn.Parameter(0.02 * torch.randn(h * w, d))
        self.lowdim_dim = lowdim_dim
        if lowdim_dim > 0:
            hidden = cfg.lowdim_hidden or (d,)
            self.lowdim_mlp = mlp(lowdim_dim, hidden[:-1], hidden[-1])
            self.lowdim_token = nn.Linear(hidden[-1], d)
        self.type_pos = nn.Parameter(0.02 * torch.randn(2, d))  # text, low-dim tokens
        self.encoder = None
        if cfg.enc_layers:
            layer = nn.TransformerEncoderLayer(
                d, cfg.heads, cfg.ff_dim, cfg.transformer_dropout, batch_first=True,
                norm_first=True,
            )
            self.encoder = nn.TransformerEncoder(layer, cfg.enc_layers, enable_nested_tensor=False)
        layer = nn.TransformerDecoderLayer(
            d, cfg.heads, cfg.ff_dim, cfg.transformer_dropout, batch_first=True, norm_first=True
        )
        self.decoder = nn.TransformerDecoder(layer, cfg.dec_layers)
        self.queries = nn.Parameter(0.02 * torch.randn(cfg.chunk, d))
        self.action_out = nn.Linear(d, 2)

    def forward(
        self, image: torch.Tensor | None, lowdim: torch.Tensor, text: torch.Tensor
    ) -> torch.Tensor:
        """Chunk head: image (B, 3T, H, W) in [-0.5, 0.5] or None, lowdim (B, F*T), text."""
        e = self.text_embedding(text)
        tokens = [(self.text_token(e) + self.type_pos[0])[:, None]]
        if self.lowdim_dim > 0:
            h = F.relu(self.lowdim_mlp(lowdim))
            tokens.append((self.lowdim_token(h) + self.type_pos[1])[:, None])
        if self.cfg.use_image:
            x = self.conv_map(image, e)  # (B, C, h, w): its h * w cells are the tokens
            tokens.append(self.img_token(x.flatten(2).transpose(1, 2)) + self.img_pos)
        memory = torch.cat(tokens, dim=1)
        if self.encoder is not None:
            memory = self.encoder(memory)
        queries = self.queries.expand(memory.shape[0], -1, -1)
        return self.action_out(self.decoder(queries, memory)).flatten(1)


class ACTPolicy(BCPolicy):
    """Deployable ACT policy: a chunk per step, temporally ensembled (module docstring)."""

    algorithm = 'act'
    config_class = ACTConfig
    net_class = ACTNet

    def __init__(self, net, metadata, mean, std, text_cache):
        super().__init__(net, metadata, mean, std, text_cache)
        self._chunks: collections.deque = collections.deque(maxlen=self.cfg.chunk)
        self._t = 0

    def reset(self) -> None:
        """Forget the observation history and the pending chunks (new episode)."""
        super().reset()
        self._chunks.clear()
        self._t = 0

    @torch.no_grad()
    def act(self, observation: RawObservation, deterministic: bool = True) -> np.ndarray:
        """Return the action for this step, float32 (2,) in [-1, 1] (always deterministic).

        Raises:
            MessageError: as :meth:`BCPolicy.act` (image, sectors).
        """
        return self._action_of(self._head(observation), deterministic)

    def _step_actions(self, out: torch.Tensor) -> torch.Tensor:
        """Return this step's action of each (K, 2 * chunk) head output, (K, 2)."""
        return torch.tanh(out).view(out.shape[0], self.cfg.chunk, 2)[:, 0]

    def _action_of(self, out: torch.Tensor, deterministic: bool = True) -> np.ndarray:
        """Push this step's chunk, return the ensembled (or open-loop) action, float32 (2,)."""
        k = self.cfg.chunk
        chunk = torch.tanh(out)[0].view(k, 2).numpy()
        t = self._t
        self._t += 1
        if self.cfg.ensemble_m < 0:  # open loop: a new chunk every k steps
            if t % k == 0:
                self._chunks.clear()
                self._chunks.append((t, chunk))
            t0, plan = self._chunks[-1]
            return plan[t - t0].astype(np.float32)
        self._chunks.append((t, chunk))  # maxlen k drops the chunk that no longer covers t
        preds = np.stack([c[t - t0] for t0, c in self._chunks])
        w = ensemble_weights(len(preds), self.cfg.ensemble_m)
        return (w[:, None] * preds).sum(0).astype(np.float32)


class ACTTrainer(BCTrainer):
    """BC trainer with chunk targets and the masked L1 loss (see module docstring)."""

    algorithm = 'act'
    net_class = ACTNet
    policy_class = ACTPolicy

    def __init__(self, data, cfg: ACTConfig, obs_cfg, act_cfg, train_indices, device='cpu',
                 vocabulary=None):
        self.chunk = int(cfg.chunk)
        episode = np.asarray(data.transitions['episode'], np.int64)
        # Exclusive end (in the transition arrays) of each transition's episode.
        stops = np.r_[np.flatnonzero(np.diff(episode)) + 1, len(episode)]
        self._ep_stop = np.repeat(stops, np.diff(np.r_[0, stops]))
        super().__init__(data, cfg, obs_cfg, act_cfg, train_indices, device, vocabulary)

    def actions_of(self, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Return the next ``chunk`` actions of each row's episode (B, 2k) and mask (B, k)."""
        steps = rows[:, None] + np.arange(self.chunk)
        stop = self._ep_stop[rows][:, None]
        mask = (steps < stop).astype(np.float32)
        idx = np.minimum(steps, stop - 1)
        return self.actions[idx].reshape(len(rows), -1), mask

    def loss(self, out: torch.Tensor, action: torch.Tensor, batch: BCBatch) -> torch.Tensor:
        """L1 over the chunk, masked past the episode's end (mean over valid steps)."""
        b = out.shape[0]
        err = (torch.tanh(out) - action).abs().view(b, self.chunk, 2).sum(-1)
        mask = torch.from_numpy(np.asarray(batch.action_mask, np.float32)).to(err.device)
        return (err * mask).sum() / mask.sum().clamp_min(1.0)

    def decode_actions(self, out: torch.Tensor) -> torch.Tensor:
        return torch.tanh(out)
