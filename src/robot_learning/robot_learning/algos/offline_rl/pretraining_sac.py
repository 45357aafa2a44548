# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 robot_learning maintainers
"""Offline SAC pretraining: :meth:`SAC.update` with the dataset as the replay buffer.

:class:`SACPretrainer` follows the offline-trainer protocol
(:class:`robot_learning.types.Trainer`) and writes and reads the SAC checkpoint layout of
:mod:`robot_learning.algos.sac.checkpoint_sac`, so the online learner continues from its
state (``init_from``) and it continues from the learner's.

Sources: [SAC] :mod:`robot_learning.algos.sac.modeling_sac` (the very same update);
[BELLMAN] as :mod:`.modeling_offline_rl`. Multi-process training: SAC's networks run
through flat parameter buffers and functional layers, which ``DistributedDataParallel``
cannot hook, so each optimiser's flat gradient is averaged with one ``all_reduce`` before
every Adam step instead (what DDP does with a single bucket).

Nothing here imports rclpy.
"""

from __future__ import annotations

from collections.abc import Mapping
import dataclasses
import functools
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
from robot_learning.algos.sac.checkpoint_sac import (
    ACTOR_PREFIX,
    load_sac_state,
    prefixed,
    read_checkpoint,
    SAC_PREFIX,
    save_sac_state,
)
from robot_learning.algos.sac.modeling_sac import Batch, SAC, SACConfig
from robot_learning.common.features import ActionConfig, ObservationConfig
from robot_learning.errors import CheckpointError, ConfigError
import torch
import torch.distributed as dist

from .calql import CalQLSAC
from .configuration_offline_rl import _check_positive_int, SACPretrainConfig
from .data_offline_rl import distributed, to_tensors, torch_device, TransitionData

__all__ = ['ReturnsBatch', 'SACPretrainer']


class ReturnsBatch(NamedTuple):
    """A :class:`Batch` with the Monte-Carlo return-to-go of each row (Cal-QL's ``V^mu``).

    Attributes:
        batch: the transitions.
        mc_returns: float32 ``(B,)``, :meth:`TransitionData.returns_to_go` of the rows.
    """

    batch: Batch
    mc_returns: np.ndarray


def _allreduce_before_step(optimizer: torch.optim.Optimizer) -> None:
    """Average the gradients of ``optimizer``'s parameters over all processes before a step.

    Gradient averaging as DDP does it (Li et al. 2020, "PyTorch Distributed", sec. 3.2),
    right before each of its steps. With SAC's flat buffers that is one ``all_reduce`` per
    network.
    """
    world = dist.get_world_size()
    step = optimizer.step

    @functools.wraps(step)
    def synced_step(*args: Any, **kwargs: Any) -> Any:
        for group in optimizer.param_groups:
            for param in group['params']:
                if param.grad is not None:
                    dist.all_reduce(param.grad)
                    param.grad.div_(world)
        return step(*args, **kwargs)

    optimizer.step = synced_step  # type: ignore[method-assign]


class SACPretrainer:
    """Offline SAC: :meth:`sac.SAC.update` on batches drawn from the dataset.

    All training transitions form a fixed replay buffer, so that the result is a full SAC
    state (actor, twin critics, targets, temperature, Adam moments) the online
    ``sac_learner`` continues from (its ``init_from`` parameter).

    Plain SAC offline overestimates the value of actions the data does not hold (the
    motivation of [IQL] and CQL); with ``calql`` the critic steps add Cal-QL's calibrated
    conservative term (:class:`.calql.CalQLSAC`, ``V^mu`` the demo episodes' Monte-Carlo
    returns), the pretraining Cal-QL proposes for online fine-tuning. Use IQL for a policy
    to deploy from data alone.

    ``evaluate``'s ``val_loss`` is SAC's critic loss (soft TD error, [SAC] with clipped
    double Q: ``0.5 * sum_j mean (Q_j(s, a) - y)^2``) on validation transitions, with the
    next-action noise from a fixed seed so the same batch always gives the same value:
    it is the loss the critic minimises, measured on data it was not trained on; a
    rising value flags critics that overfit the training transitions. A proxy only
    ([BELLMAN]).

    Args:
        data, obs_cfg, act_cfg, train_indices, device: as :class:`IQLTrainer`.
        cfg: :class:`SACPretrainConfig` (or a :class:`sac.SACConfig`, whose
            ``obs_dim``/``action_dim`` must then fit the spec).

    Raises:
        ConfigError: the dataset does not fit the spec, or a bad config/device.
    """

    algorithm = 'sac'

    def __init__(
        self,
        data: Any,
        cfg: SACPretrainConfig | SACConfig,
        obs_cfg: ObservationConfig,
        act_cfg: ActionConfig,
        train_indices: np.ndarray,
        device: str = 'cpu',
    ) -> None:
        if isinstance(cfg, SACConfig):
            if (cfg.obs_dim, cfg.action_dim) != (obs_cfg.dim, act_cfg.dim):
                raise ConfigError(
                    f'SACConfig has obs_dim/action_dim {cfg.obs_dim}/{cfg.action_dim}, '
                    f'the spec gives {obs_cfg.dim}/{act_cfg.dim}'
                )
            fields = {f.name for f in dataclasses.fields(SACPretrainConfig)}
            cfg = SACPretrainConfig(
                **{k: v for k, v in dataclasses.asdict(cfg).items() if k in fields}
            )
        if not isinstance(cfg, SACPretrainConfig):
            raise ConfigError(f'SACPretrainer needs a SACPretrainConfig, got {type(cfg).__name__}')
        self.cfg, self.obs_cfg, self.act_cfg = cfg, obs_cfg, act_cfg
        self.device = torch_device(device)
        self.data = TransitionData(data, obs_cfg, act_cfg, train_indices)
        self.sac_cfg = cfg.sac_config(obs_cfg.dim, act_cfg.dim, str(self.device))
        self.mc_returns = None
        if cfg.calql or cfg.bc_weight > 0:
            if cfg.calql and cfg.calql_calibration:
                # [CALQL] eq. 5.1: V^mu from the demo episodes, with the critic's discount.
                self.mc_returns = self.data.returns_to_go(self.sac_cfg.gamma)
            self.sac: SAC = CalQLSAC(
                self.sac_cfg,
                cfg.cql_alpha,
                cfg.cql_num_actions,
                cfg.calql_calibration,
                cfg.cql_temperature,
                conservative=cfg.calql,
                bc_weight=cfg.bc_weight,
            )
        else:
            self.sac = SAC(self.sac_cfg)
        # The networks as attributes too (checksums of the train loop, tests); they are
        # SAC's own modules, whose parameters are views of its flat buffers.
        self.actor, self.critic, self.critic_target = (
            self.sac.actor,
            self.sac.critic,
            self.sac.critic_target,
        )
        if distributed():
            with torch.no_grad():
                for module in (self.sac.actor, self.sac.critic, self.sac.critic_target):
                    for param in module.parameters():
                        dist.broadcast(param.data, 0)
                dist.broadcast(self.sac.log_alpha.data, 0)
            _allreduce_before_step(self.sac.critic_optimizer)
            _allreduce_before_step(self.sac.actor_optimizer)

    def sample(
        self, indices: np.ndarray, batch_size: int, rng: np.random.Generator
    ) -> Batch | ReturnsBatch:
        """Draw ``batch_size * utd_ratio`` transitions (what one SAC update takes).

        Uniform with replacement from ``indices``; fields as :meth:`IQLTrainer.sample`.
        With ``calql`` a :class:`ReturnsBatch` (the rows' Monte-Carlo returns beside them).

        Raises:
            ConfigError: empty or out-of-range indices, or ``batch_size`` < 1.
        """
        n = _check_positive_int('sample', 'batch_size', batch_size)
        rows = self.data.sample_rows(indices, n * self.sac_cfg.utd_ratio, rng)
        batch = self.data.batch(rows)
        if self.mc_returns is None:
            return batch
        return ReturnsBatch(batch, self.mc_returns[rows])

    def update(self, batch: Batch | ReturnsBatch) -> dict[str, float]:
        """Run one :meth:`sac.SAC.update` (Cal-QL's with ``calql``).

        Returns its metrics plus ``loss`` (= ``critic_loss``, with the conservative term
        under ``calql``) and ``lr`` (critic learning rate).
        """
        if isinstance(batch, ReturnsBatch):
            stats = self.sac.update(batch.batch, mc_returns=batch.mc_returns)
        else:
            stats = self.sac.update(batch)
        stats['loss'] = stats['critic_loss']
        stats['lr'] = float(self.sac.critic_optimizer.param_groups[0]['lr'])
        return stats

    @torch.no_grad()
    def evaluate(self, batch: Batch | ReturnsBatch) -> dict[str, float]:
        """Critic loss on a validation batch (any number of rows); changes nothing.

        Returns:
            ``val_loss`` (soft TD loss, see class docstring), ``val_q_mean``,
            ``val_target_q_mean``; with ``calql`` also ``val_mc_return_mean`` (the rows'
            Monte-Carlo returns, the scale Cal-QL keeps Q on).
        """
        extra = {}
        if isinstance(batch, ReturnsBatch):
            extra['val_mc_return_mean'] = float(np.mean(batch.mc_returns))
            batch = batch.batch
        sac, cfg = self.sac, self.sac_cfg
        obs, act, rew, nobs, term = to_tensors(batch, sac.device)
        generator = torch.Generator(device=sac.device).manual_seed(cfg.seed + 2)
        alpha = sac.log_alpha.exp()
        next_action, next_log_prob, _ = sac.actor.sample(nobs, generator)
        next_q = sac.critic_target.q_values(nobs, next_action).amin(0)
        target = rew + cfg.gamma * (1.0 - term) * (next_q - alpha * next_log_prob)
        q = sac.critic.q_values(obs, act)
        loss = (q - target).square().mean() * (0.5 * q.shape[0])
        values = torch.stack([loss, q.mean(), target.mean()]).tolist()
        out = dict(zip(('val_loss', 'val_q_mean', 'val_target_q_mean'), values, strict=True))
        return {**out, **extra}

    def act(self, observations: np.ndarray) -> np.ndarray:
        """Deterministic actions: ``(B, obs_dim)`` -> float32 ``(B, action_dim)``."""
        return self.sac.act(observations, deterministic=True)

    def load(self, path: str | Path) -> None:
        """Start from a checkpoint (``train --init-from``).

        Takes the full SAC state when it holds ``sac.*`` (this trainer's or ``sac_learner``'s
        checkpoints; :func:`~robot_learning.algos.sac.checkpoint_sac.load_sac_state`, so
        the learning rates of this config stay in force), else only its actor (e.g. IQL).

        Raises:
            CheckpointError: unreadable, another spec, or networks of another size (one line).
        """
        tensors, meta = read_checkpoint(path, self.obs_cfg, self.act_cfg)
        if any(k.startswith(SAC_PREFIX) for k in tensors):
            load_sac_state(self.sac, tensors, meta, f'--init-from {path}', 'this trainer')
            return
        actor = prefixed(tensors, ACTOR_PREFIX)
        if not actor:
            raise CheckpointError(
                f'{path} has neither sac.* nor {ACTOR_PREFIX}* weights: not a policy checkpoint'
            )
        self.sac.load_actor_state(actor)

    def save(self, path: Path, extra_metadata: Mapping[str, Any] | None = None) -> Path:
        """Write a checkpoint in the SAC layout (:mod:`robot_learning.algos.sac.checkpoint_sac`).

        ``actor.*`` and ``sac.*`` (no buffers); the sidecar has ``version`` 0,
        ``env_steps`` 0 (no environment), ``updates``, ``demo_episodes`` (training
        episodes), ``pretrained: 'offline'``, ``dataset``, then ``extra_metadata``.

        Raises:
            CheckpointError: the directory cannot be written.
        """
        fields = {
            'version': 0,
            'env_steps': 0,
            'updates': self.sac.num_updates,
            'demo_episodes': self.data.stats['train_episodes'] or 0,
            'pretrained': 'offline',
            'dataset': self.data.stats,
        }
        if self.cfg.calql:
            fields['calql'] = {
                'alpha': self.cfg.cql_alpha,
                'num_actions': self.cfg.cql_num_actions,
                'calibration': self.cfg.calql_calibration,
            }
        if self.cfg.bc_weight > 0:
            fields['bc_weight'] = self.cfg.bc_weight
        fields.update(extra_metadata or {})
        return save_sac_state(path, self.sac, self.obs_cfg, self.act_cfg, **fields)
