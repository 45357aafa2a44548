# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 robot_learning maintainers
"""Implicit Q-Learning from bag datasets, on the low-dimensional observation vector.

:class:`IQLTrainer` follows the offline-trainer protocol
(:class:`robot_learning.types.Trainer`) that ``robot-learning train`` drives; its data
comes through :class:`.data_offline_rl.TransitionData`, its options are
:class:`.configuration_offline_rl.IQLConfig`. The observation vector is already scaled by
fixed constants (``ObservationConfig``), and the policy feeds it to the actor unchanged,
so no learned normalisation is applied; the statistics of the training split (rewards,
terminations) go into the sidecar for the record.

Sources
-------
- [IQL] Kostrikov, Nair, Levine, "Offline Reinforcement Learning with Implicit
  Q-Learning", ICLR 2022, arXiv:2110.06169: expectile value loss (eq. 5), Q loss with
  the value of the next state (eq. 6), advantage-weighted regression of the actor
  (eq. 7); hyperparameters of appendix B (AntMaze: expectile 0.9, inverse temperature
  10). Reference implementation ``ikostrikov/implicit_q_learning`` (``learner.py``
  update order, ``critic.py`` losses, ``actor.py``: exp-advantage clipped at 100,
  ``configs/antmaze_config.py``, cosine actor learning-rate decay).
- [AWR] Peng, Kumar, Zhang, Levine, "Advantage-Weighted Regression", arXiv:1910.00177
  (the actor objective IQL uses).
- [BELLMAN] Fujimoto, Meger, Precup, Nachum, Gu, "Why Should I Trust You, Bellman? The
  Bellman Error is a Poor Replacement for Value Error", ICML 2022 (why a held-out TD
  error is only a proxy).

Multi-process training: when ``torch.distributed`` is initialised, IQL wraps actor, twin
critic and value network in ``DistributedDataParallel``.

Nothing here imports rclpy.
"""

from __future__ import annotations

from collections.abc import Mapping
import copy
import math
from pathlib import Path
from typing import Any

import numpy as np
from robot_learning.algos.sac.checkpoint_sac import load_actor_weights, prefixed, read_checkpoint
from robot_learning.algos.sac.modeling_sac import Batch, polyak_update
from robot_learning.common.checkpoint import (
    ACTOR_PREFIX,
    load_prefixed,
    policy_metadata,
    save_checkpoint,
)
from robot_learning.common.features import ActionConfig, ObservationConfig
from robot_learning.common.networks import (
    mlp,
    mlp_forward,
    SquashedGaussianActor,
    tanh_log_det_jacobian,
    TwinQCritic,
)
from robot_learning.errors import CheckpointError, ConfigError
import torch
from torch import nn

from .configuration_offline_rl import ACTION_CLIP, IQLConfig
from .data_offline_rl import distributed, to_tensors, torch_device, TransitionData

__all__ = ['IQLTrainer', 'expectile_loss', 'squashed_gaussian_log_prob']

_HALF_LOG_2PI = 0.5 * math.log(2.0 * math.pi)


def expectile_loss(diff: torch.Tensor, expectile: float) -> torch.Tensor:
    """Asymmetric squared loss ``|expectile - 1(diff < 0)| * diff^2``, elementwise ([IQL] eq. 5).

    Minimising ``E[L(Q - V)]`` over ``V`` gives the ``expectile`` expectile of ``Q`` over
    the dataset's actions; 0.5 is the mean, values near 1 approach the maximum over
    in-distribution actions.

    Args:
        diff: ``Q(s, a) - V(s)``, any shape.
        expectile: tau in (0, 1).

    Returns:
        Tensor of the same shape.
    """
    weight = torch.where(diff > 0, expectile, 1.0 - expectile)
    return weight * diff.square()


def squashed_gaussian_log_prob(
    mean: torch.Tensor, log_std: torch.Tensor, action: torch.Tensor, clip: float = ACTION_CLIP
) -> torch.Tensor:
    """Return the log-density of given actions under the actor's tanh-squashed Gaussian.

    The actor is a :class:`networks.SquashedGaussianActor`.

    ``u = atanh(clip(a, -(1 - clip), 1 - clip))``, then (Haarnoja et al. 2018, appendix C,
    eq. 21) ``log pi(a|s) = sum_i [log N(u_i; mean_i, std_i) - log(1 - tanh(u_i)^2)]``;
    the same density :func:`networks.squashed_gaussian_sample` returns for its samples.

    Args:
        mean: ``(B, action_dim)`` Gaussian mean (pre-squash).
        log_std: ``(B, action_dim)`` log standard deviation.
        action: ``(B, action_dim)`` actions in [-1, 1] (e.g. from the dataset).
        clip: distance from +-1 that actions are clipped to.

    Returns:
        ``(B,)`` log-probabilities in nats.
    """
    u = torch.atanh(action.clamp(-1.0 + clip, 1.0 - clip))
    z = (u - mean) * torch.exp(-log_std)
    per_dim = -0.5 * z.square() - log_std - _HALF_LOG_2PI - tanh_log_det_jacobian(u)
    return per_dim.sum(-1)


class IQLTrainer:
    """Implicit Q-Learning ([IQL]) on dataset transitions.

    A trainer of the ``robot-learning train`` protocol.

    One :meth:`update` is the reference ``_update_jit``, in its order:

    1. value (eq. 5): ``L_V = mean expectile_loss(min_j Qtarget_j(s, a) - V(s), expectile)``;
    2. actor (eq. 7, AWR) with the updated V:
       ``w = min(exp(beta * (min_j Qtarget_j(s, a) - V(s))), max_weight)``,
       ``L_pi = -mean(w * log pi(a|s))`` with ``a`` the dataset action
       (:func:`squashed_gaussian_log_prob`);
    3. twin Q (eq. 6): ``y = r + gamma * (1 - terminated) * V(s')``,
       ``L_Q = mean((Q1 - y)^2 + (Q2 - y)^2)``;
    4. Polyak update of the target Q networks.

    No loss ever evaluates an action the dataset does not hold, which is what makes IQL
    safe offline. The actor is a :class:`networks.SquashedGaussianActor`, so the saved
    checkpoint runs unchanged in :class:`robot_learning.policy.ActorPolicy` / the policy node.

    ``evaluate``'s ``val_loss`` is the Q loss (TD error, eq. 6) on validation
    transitions. The alternative, the actor's negative log-likelihood of validation
    actions, falls as the actor imitates *every* dataset action, so on mixed-quality data
    it prefers behaviour cloning over the advantage-weighted policy IQL is meant to
    find. The TD error only uses dataset actions and measures how well the critics, from
    which the advantage weights come, generalise beyond the training transitions (the
    offline failure mode on small datasets). It is a proxy, not the policy's value
    ([BELLMAN]); ``val_nll`` and ``val_value_loss`` are reported too.

    Args:
        data: dataset (see module docstring).
        cfg: :class:`IQLConfig`.
        obs_cfg, act_cfg: observation and action spec (go into the sidecar).
        train_indices: int64 transition indices of the training split (statistics only
            from these).
        device: torch device string.

    Raises:
        ConfigError: the dataset does not fit the spec, or a bad config/device.
    """

    algorithm = 'iql'

    def __init__(
        self,
        data: Any,
        cfg: IQLConfig,
        obs_cfg: ObservationConfig,
        act_cfg: ActionConfig,
        train_indices: np.ndarray,
        device: str = 'cpu',
    ) -> None:
        if not isinstance(cfg, IQLConfig):
            raise ConfigError(f'IQLTrainer needs an IQLConfig, got {type(cfg).__name__}')
        self.cfg, self.obs_cfg, self.act_cfg = cfg, obs_cfg, act_cfg
        self.device = torch_device(device)
        self.data = TransitionData(data, obs_cfg, act_cfg, train_indices)
        obs_dim, act_dim = obs_cfg.dim, act_cfg.dim
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(cfg.seed)
            actor = SquashedGaussianActor(obs_dim, act_dim, cfg.hidden)
            critic = TwinQCritic(obs_dim, act_dim, cfg.hidden, cfg.critic_layer_norm)
            value = mlp(obs_dim, cfg.hidden, 1)
        self.actor = actor.to(self.device)
        self.critic = critic.to(self.device)
        self.value = value.to(self.device)
        # The reference initialises the target with the critic's own parameters.
        self.critic_target = copy.deepcopy(self.critic).requires_grad_(False)
        self.actor_optimizer = torch.optim.Adam(self.actor.parameters(), lr=cfg.actor_lr)
        self.critic_optimizer = torch.optim.Adam(self.critic.parameters(), lr=cfg.critic_lr)
        self.value_optimizer = torch.optim.Adam(self.value.parameters(), lr=cfg.value_lr)
        self.actor_scheduler = None
        if cfg.actor_lr_decay_steps:
            steps = cfg.actor_lr_decay_steps
            # optax.cosine_decay_schedule: 0.5 (1 + cos(pi t / T)), then 0 after T.
            self.actor_scheduler = torch.optim.lr_scheduler.LambdaLR(
                self.actor_optimizer,
                lambda t: 0.5 * (1.0 + math.cos(math.pi * min(t, steps) / steps)),
            )
        # Modules that take gradients go through DDP when several processes train;
        # the no-grad evaluations (target Q, V for targets and weights) use the plain ones.
        self._actor_train: nn.Module = self.actor
        self._critic_train: nn.Module = self.critic
        self._value_train: nn.Module = self.value
        if distributed():
            ids = [self.device.index] if self.device.type == 'cuda' else None
            ddp = torch.nn.parallel.DistributedDataParallel
            self._actor_train = ddp(self.actor, device_ids=ids)
            self._critic_train = ddp(self.critic, device_ids=ids)
            self._value_train = ddp(self.value, device_ids=ids)
            # DDP broadcast rank 0's parameters; the target starts from them too.
            with torch.no_grad():
                for p, tp in zip(
                    self.critic.parameters(), self.critic_target.parameters(), strict=True
                ):
                    tp.copy_(p)
        self.num_updates = 0

    def sample(self, indices: np.ndarray, batch_size: int, rng: np.random.Generator) -> Batch:
        """``batch_size`` transitions drawn uniformly with replacement from ``indices``.

        Returns:
            :class:`sac.Batch` of numpy float32 arrays: observations ``(B, obs_dim)``,
            actions ``(B, action_dim)`` in [-1, 1], rewards ``(B,)``, next_observations
            ``(B, obs_dim)``, terminated ``(B,)`` (1.0 = true termination).

        Raises:
            ConfigError: empty or out-of-range indices, or ``batch_size`` < 1.
        """
        return self.data.sample(indices, batch_size, rng)

    def _value(self, obs: torch.Tensor) -> torch.Tensor:
        return mlp_forward(self.value, obs).squeeze(-1)

    def update(self, batch: Batch) -> dict[str, float]:
        """One IQL step (value, actor, twin Q, target; see class docstring).

        Returns:
            ``loss`` (= ``critic_loss``, comparable with ``val_loss``), ``value_loss``,
            ``actor_loss``, ``critic_loss``, ``q_mean``, ``v_mean``, ``adv_mean``,
            ``weight_mean`` (mean clipped AWR weight), ``weight_clipped`` (share of weights
            at ``max_weight``), ``lr`` (actor learning rate used in this step).
        """
        cfg = self.cfg
        obs, act, rew, nobs, term = to_tensors(batch, self.device)
        with torch.no_grad():
            q_target = self.critic_target.q_values(obs, act).amin(0)
        # 1. value, eq. 5
        v = self._value_train(obs).squeeze(-1)
        value_loss = expectile_loss(q_target - v, cfg.expectile).mean()
        self.value_optimizer.zero_grad(set_to_none=True)
        value_loss.backward()
        self.value_optimizer.step()
        # 2. actor, eq. 7, advantages from the updated V (reference order)
        with torch.no_grad():
            adv = q_target - self._value(obs)
            raw_weight = torch.exp(adv * cfg.beta)
            weight = raw_weight.clamp(max=cfg.max_weight)
        mean, log_std = self._actor_train(obs)
        log_prob = squashed_gaussian_log_prob(mean, log_std, act)
        actor_loss = -(weight * log_prob).mean()
        lr = self.actor_optimizer.param_groups[0]['lr']
        self.actor_optimizer.zero_grad(set_to_none=True)
        actor_loss.backward()
        self.actor_optimizer.step()
        if self.actor_scheduler is not None:
            self.actor_scheduler.step()
        # 3. twin Q, eq. 6
        with torch.no_grad():
            target = rew + cfg.gamma * (1.0 - term) * self._value(nobs)
        q1, q2 = self._critic_train(obs, act)
        critic_loss = ((q1 - target).square() + (q2 - target).square()).mean()
        self.critic_optimizer.zero_grad(set_to_none=True)
        critic_loss.backward()
        self.critic_optimizer.step()
        # 4. target Q
        polyak_update(self.critic.parameters(), self.critic_target.parameters(), cfg.tau)
        self.num_updates += 1
        stats = torch.stack(
            [
                critic_loss.detach(),
                value_loss.detach(),
                actor_loss.detach(),
                critic_loss.detach(),
                ((q1 + q2) * 0.5).detach().mean(),
                v.detach().mean(),
                adv.mean(),
                weight.mean(),
                (raw_weight >= cfg.max_weight).float().mean(),
            ]
        ).tolist()
        names = (
            'loss',
            'value_loss',
            'actor_loss',
            'critic_loss',
            'q_mean',
            'v_mean',
            'adv_mean',
            'weight_mean',
            'weight_clipped',
        )
        return {**dict(zip(names, stats, strict=True)), 'lr': float(lr)}

    @torch.no_grad()
    def evaluate(self, batch: Batch) -> dict[str, float]:
        """Losses on a validation batch; changes nothing.

        Returns:
            ``val_loss`` (the Q loss of eq. 6 against ``r + gamma (1 - d) V(s')``, same
            formula as ``critic_loss``; why this one: class docstring), ``val_value_loss``
            (eq. 5), ``val_nll`` (mean ``-log pi(a|s)`` of the validation actions, nats),
            ``val_adv_mean``.
        """
        cfg = self.cfg
        obs, act, rew, nobs, term = to_tensors(batch, self.device)
        q = self.critic.q_values(obs, act)
        v = self._value(obs)
        target = rew + cfg.gamma * (1.0 - term) * self._value(nobs)
        td = (q - target).square().sum(0).mean()
        q_target = self.critic_target.q_values(obs, act).amin(0)
        value_loss = expectile_loss(q_target - v, cfg.expectile).mean()
        mean, log_std = self.actor(obs)
        nll = -squashed_gaussian_log_prob(mean, log_std, act).mean()
        values = torch.stack([td, value_loss, nll, (q_target - v).mean()]).tolist()
        return dict(
            zip(('val_loss', 'val_value_loss', 'val_nll', 'val_adv_mean'), values, strict=True)
        )

    def act(self, observations: np.ndarray) -> np.ndarray:
        """Return deterministic actions ``tanh(mean)``, float32 ``(B, action_dim)``.

        ``observations``: ``(B, obs_dim)``.
        """
        with torch.no_grad():
            mean, _ = self.actor(
                torch.as_tensor(np.asarray(observations, np.float32), device=self.device)
            )
        return torch.tanh(mean).cpu().numpy()

    def load(self, path: str | Path) -> None:
        """Start from a checkpoint (``train --init-from``).

        Takes its actor, and its critics and value network when it holds ``iql.*`` (an IQL
        checkpoint); an actor-only one (SAC, low-dimensional BC with this actor) leaves the
        critics fresh.

        Raises:
            CheckpointError: unreadable, another spec, or weights of another size (one line).
        """
        tensors, _ = read_checkpoint(path, self.obs_cfg, self.act_cfg)
        actor = prefixed(tensors, ACTOR_PREFIX)
        if not actor:
            raise CheckpointError(
                f'{path} has no actor weights ({ACTOR_PREFIX}*): not a policy checkpoint'
            )
        load_actor_weights(self.actor, actor)
        modules = (
            ('critic', self.critic),
            ('critic_target', self.critic_target),
            ('value', self.value),
        )
        if any(k.startswith('iql.') for k in tensors):
            for prefix, module in modules:
                load_prefixed(
                    module,
                    tensors,
                    f'iql.{prefix}.',
                    f'{path}: iql.{prefix} does not fit IQLConfig.hidden/critic_layer_norm',
                )

    def save(self, path: Path, extra_metadata: Mapping[str, Any] | None = None) -> Path:
        """Write a checkpoint directory that :func:`robot_learning.policy.load_policy` loads.

        Tensors: ``actor.*`` (the policy) and, for the record or further training,
        ``iql.critic.*``, ``iql.critic_target.*``, ``iql.value.*``. Sidecar:
        :func:`policy.policy_metadata` with ``algorithm='iql'``, ``iql_config``,
        ``updates``, ``dataset`` (training-split statistics), then ``extra_metadata``.

        Raises:
            CheckpointError: the directory cannot be written.
        """
        tensors = {ACTOR_PREFIX + k: v for k, v in self.actor.state_dict().items()}
        for prefix, module in (
            ('critic', self.critic),
            ('critic_target', self.critic_target),
            ('value', self.value),
        ):
            tensors.update({f'iql.{prefix}.{k}': v for k, v in module.state_dict().items()})
        meta = policy_metadata(
            self.obs_cfg,
            self.act_cfg,
            self.cfg.hidden,
            self.algorithm,
            version=0,
            updates=self.num_updates,
            iql_config=self.cfg.to_dict(),
            dataset=self.data.stats,
        )
        meta.update(extra_metadata or {})
        return save_checkpoint(Path(path), tensors, meta)
