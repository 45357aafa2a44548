# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 robot_learning maintainers
"""Offline reinforcement learning from bag datasets.

Implicit Q-Learning and offline SAC pretraining, both on the low-dimensional observation
vector.

Both trainers follow the offline-trainer protocol (``__init__(data, cfg, obs_cfg, act_cfg,
train_indices, device)``, ``sample``, ``update``, ``evaluate``, ``save``) that the
``robot-learning train`` loop drives. They read ``data.frames['observation']`` (float32
``(N, obs_cfg.dim)``, :func:`features.encode_observation`: the vector the SAC learner and
the policy node use) and ``data.transitions`` (``obs``/``next_obs`` frame indices,
``action`` in [-1, 1], ``reward``, ``terminated``). The observation vector is already
scaled by fixed constants (``ObservationConfig``), and :class:`policy.Policy` feeds it to
the actor unchanged, so no learned normalisation is applied; the statistics computed from
the training split (rewards, terminations) go into the sidecar for the record.

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
- [SAC] see :mod:`robot_learning.algos.sac.modeling_sac`; offline pretraining runs the very
same update on
  the dataset as replay buffer, so the online learner can continue from its state.
- [BELLMAN] Fujimoto, Meger, Precup, Nachum, Gu, "Why Should I Trust You, Bellman? The
  Bellman Error is a Poor Replacement for Value Error", ICML 2022 (why a held-out TD
  error is only a proxy).

Multi-process training: when ``torch.distributed`` is initialised, IQL wraps actor, twin
critic and value network in ``DistributedDataParallel``; SAC's networks run through
flat parameter buffers and functional layers (:mod:`robot_learning.algos.sac.modeling_sac`),
which DDP
cannot hook, so :class:`SACPretrainer` averages each optimiser's flat gradient with one
``all_reduce`` before every Adam step instead (what DDP does with a single bucket).

Nothing here imports rclpy.
"""

from __future__ import annotations

from collections.abc import Mapping
import copy
import dataclasses
from dataclasses import dataclass
import functools
import math
from pathlib import Path
from typing import Any

import numpy as np
from robot_learning.algos.sac.modeling_sac import (
    Batch,
    config_from_dict,
    load_actor_weights,
    polyak_update,
    SAC,
    SACConfig,
)
from robot_learning.common.checkpoint import check_spec, load_checkpoint, save_checkpoint
from robot_learning.common.features import ActionConfig, ObservationConfig
from robot_learning.common.networks import (
    mlp,
    mlp_forward,
    SquashedGaussianActor,
    tanh_log_det_jacobian,
    TwinQCritic,
)
from robot_learning.errors import CheckpointError, ConfigError
from robot_learning.policy import ACTOR_PREFIX, policy_metadata
import torch
from torch import nn
import torch.distributed as dist

__all__ = [
    'ACTION_CLIP',
    'TRAINERS',
    'IQLConfig',
    'IQLTrainer',
    'SACPretrainConfig',
    'SACPretrainer',
    'expectile_loss',
    'squashed_gaussian_log_prob',
]

#: Dataset actions are clipped to +-(1 - ACTION_CLIP) before ``atanh``: recorded teleop
#: actions sit exactly on the limits, where the tanh-Gaussian density is 0 (log -inf).
ACTION_CLIP = 1e-6

_HALF_LOG_2PI = 0.5 * math.log(2.0 * math.pi)


# ----------------------------------------------------------------------------- helpers


def _is_number(value: Any) -> bool:
    return not isinstance(value, bool) and isinstance(value, (int, float, np.integer, np.floating))


def _check_positive_int(owner: str, name: str, value: Any, allow_zero: bool = False) -> int:
    if (
        isinstance(value, bool)
        or not isinstance(value, (int, np.integer))
        or value < (0 if allow_zero else 1)
    ):
        kind = 'a non-negative' if allow_zero else 'a positive'
        raise ConfigError(f'{owner}.{name} must be {kind} integer, got {value!r}')
    return int(value)


def _check_float(
    owner: str,
    name: str,
    value: Any,
    low: float,
    high: float,
    low_open: bool = False,
    high_open: bool = False,
) -> float:
    if not _is_number(value) or not math.isfinite(float(value)):
        raise ConfigError(f'{owner}.{name} must be a finite number, got {value!r}')
    value = float(value)
    too_low = value <= low if low_open else value < low
    too_high = value >= high if high_open else value > high
    if too_low or too_high:
        left, right = '(' if low_open else '[', ')' if high_open else ']'
        raise ConfigError(f'{owner}.{name} must be in {left}{low}, {high}{right}, got {value}')
    return value


def _check_hidden(owner: str, hidden: Any) -> tuple[int, ...]:
    try:
        sizes = tuple(hidden)
    except TypeError:
        raise ConfigError(
            f'{owner}.hidden must be a sequence of layer sizes, got {hidden!r}'
        ) from None
    if not sizes or any(
        isinstance(s, bool) or not isinstance(s, (int, np.integer)) or s <= 0 for s in sizes
    ):
        raise ConfigError(f'{owner}.hidden must be one or more positive integers, got {hidden!r}')
    return tuple(int(s) for s in sizes)


def _config_to_dict(cfg: Any) -> dict[str, Any]:
    return {
        k: (list(v) if isinstance(v, tuple) else v) for k, v in dataclasses.asdict(cfg).items()
    }


def _distributed() -> bool:
    return dist.is_available() and dist.is_initialized()


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


class _TransitionData:
    """The dataset fields the offline trainers read, validated once.

    Raises:
        ConfigError: a field is missing or has a shape that does not fit ``obs_cfg``/``act_cfg``,
            or the indices are out of range.
    """

    def __init__(
        self,
        data: Any,
        obs_cfg: ObservationConfig,
        act_cfg: ActionConfig,
        train_indices: np.ndarray,
    ) -> None:
        frames = getattr(data, 'frames', None)
        transitions = getattr(data, 'transitions', None)
        if not isinstance(frames, Mapping) or not isinstance(transitions, Mapping):
            raise ConfigError(
                'offline RL needs a dataset with frames and transitions dicts '
                '(robot_learning.data.bagdataset)'
            )
        if 'observation' not in frames:
            raise ConfigError(
                "dataset frames have no 'observation' vector: build the dataset with observations"
            )
        obs = np.asarray(frames['observation'])
        if obs.ndim != 2 or obs.shape[1] != obs_cfg.dim:
            raise ConfigError(
                f'dataset observation has shape {obs.shape}, the observation parameters give '
                f'(N, {obs_cfg.dim}): build the dataset with the same observation parameters'
            )
        for key in ('obs', 'next_obs', 'action', 'reward', 'terminated'):
            if key not in transitions:
                raise ConfigError(f'dataset transitions have no {key!r}')
        self.observations = obs
        self.obs_index = np.asarray(transitions['obs'], np.int64)
        self.next_obs_index = np.asarray(transitions['next_obs'], np.int64)
        self.actions = np.asarray(transitions['action'], np.float32)
        self.rewards = np.asarray(transitions['reward'], np.float32)
        self.terminated = np.asarray(transitions['terminated'], bool)
        m = self.obs_index.shape[0]
        if self.actions.shape != (m, act_cfg.dim):
            raise ConfigError(
                f'dataset actions have shape {self.actions.shape}, expected ({m}, {act_cfg.dim})'
            )
        for name, array in (
            ('next_obs', self.next_obs_index),
            ('reward', self.rewards),
            ('terminated', self.terminated),
        ):
            if array.shape != (m,):
                raise ConfigError(
                    f'dataset transitions {name!r} has shape {array.shape}, expected ({m},)'
                )
        if m and (
            min(self.obs_index.min(), self.next_obs_index.min()) < 0
            or max(self.obs_index.max(), self.next_obs_index.max()) >= obs.shape[0]
        ):
            raise ConfigError(
                f'dataset transitions point outside the {obs.shape[0]} observation frames'
            )
        self.train_indices = self.check_indices(train_indices, 'train_indices')
        episodes = transitions.get('episode')
        rew = self.rewards[self.train_indices]
        self.stats = {
            'train_transitions': int(self.train_indices.size),
            'train_episodes': (
                int(np.unique(np.asarray(episodes)[self.train_indices]).size)
                if episodes is not None
                else None
            ),
            'reward_mean': float(rew.mean()),
            'reward_std': float(rew.std()),
            'reward_min': float(rew.min()),
            'reward_max': float(rew.max()),
            'terminated_fraction': float(self.terminated[self.train_indices].mean()),
        }

    def check_indices(self, indices: Any, name: str = 'indices') -> np.ndarray:
        idx = np.asarray(indices)
        if idx.ndim != 1 or idx.size == 0 or not np.issubdtype(idx.dtype, np.integer):
            raise ConfigError(
                f'{name} must be a non-empty 1-D integer array of transition indices, '
                f'got shape {idx.shape} dtype {idx.dtype}'
            )
        if idx.min() < 0 or idx.max() >= self.obs_index.shape[0]:
            raise ConfigError(
                f'{name} reach outside the {self.obs_index.shape[0]} transitions of the dataset'
            )
        return idx.astype(np.int64, copy=False)

    def sample(self, indices: np.ndarray, n: int, rng: np.random.Generator) -> Batch:
        """``n`` transitions drawn uniformly with replacement from ``indices``."""
        idx = self.check_indices(indices)
        n = _check_positive_int('sample', 'batch_size', n)
        rows = idx[rng.integers(0, idx.size, size=n)]
        return Batch(
            np.ascontiguousarray(self.observations[self.obs_index[rows]], np.float32),
            self.actions[rows],
            self.rewards[rows],
            np.ascontiguousarray(self.observations[self.next_obs_index[rows]], np.float32),
            self.terminated[rows].astype(np.float32),
        )


def _load_for(
    path: str | Path, obs_cfg: ObservationConfig, act_cfg: ActionConfig
) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
    """Load checkpoint tensors and sidecar.

    Refused (CheckpointError, one line) unless it was trained on this observation/action
    spec.
    """
    tensors, meta = load_checkpoint(path)
    expected: dict[str, Any] = {'obs_dim': obs_cfg.dim, 'action_dim': act_cfg.dim}
    expected.update({f'observation.{k}': v for k, v in obs_cfg.to_dict().items()})
    expected.update({f'action.{k}': v for k, v in act_cfg.to_dict().items()})
    check_spec(meta, expected)
    return tensors, meta


def _prefixed(tensors: Mapping[str, torch.Tensor], prefix: str) -> dict[str, torch.Tensor]:
    return {k[len(prefix):]: v for k, v in tensors.items() if k.startswith(prefix)}


def _to_tensors(batch: Batch, device: torch.device) -> tuple[torch.Tensor, ...]:
    if not isinstance(batch, tuple) or len(batch) != 5:
        raise ConfigError(
            'expected a Batch(observations, actions, rewards, next_observations, terminated)'
        )
    return tuple(torch.as_tensor(np.asarray(v, np.float32), device=device) for v in batch)


# ----------------------------------------------------------------------------- IQL


@dataclass
class IQLConfig:
    """Hyperparameters of :class:`IQLTrainer`.

    Defaults are [IQL]'s AntMaze settings (appendix B, reference
    ``configs/antmaze_config.py``): the goal-reaching navigation benchmark of the paper,
    closest to "go to the <colour> pillar".

    Attributes:
        hidden: hidden sizes of actor, twin Q and value network, (256, 256) ([IQL] app. B).
        gamma: discount, 0.99.
        tau: Polyak coefficient of the target Q networks, 0.005.
        expectile: expectile of the value loss (eq. 5), 0.9 for AntMaze (0.7 for the
            MuJoCo locomotion and Kitchen/Adroit tasks). 0.5 is SARSA-like evaluation
            of the behaviour policy; closer to 1 approaches the in-sample maximum.
        beta: inverse temperature of the advantage weights ``exp(beta * A)`` (eq. 7),
            10.0 for AntMaze (3.0 locomotion, 0.5 Kitchen/Adroit). 0 gives plain
            behaviour cloning (every weight 1).
        max_weight: clip of ``exp(beta * A)``, 100 as the reference ``actor.py``.
        actor_lr, critic_lr, value_lr: Adam learning rates, 3e-4 ([IQL] app. B).
        actor_lr_decay_steps: cosine decay of the actor learning rate to 0 over this many
            updates (the reference decays over its 1e6 steps); 0 keeps it constant.
        critic_layer_norm: LayerNorm in the Q networks (RLPD); the reference has none.
        batch_size: transitions per update, 256.
        seed: network initialisation (the global torch RNG is left untouched).

    Raises:
        ConfigError: a field is out of range (one line naming it).
    """

    hidden: tuple[int, ...] = (256, 256)
    gamma: float = 0.99
    tau: float = 0.005
    expectile: float = 0.9
    beta: float = 10.0
    max_weight: float = 100.0
    actor_lr: float = 3e-4
    critic_lr: float = 3e-4
    value_lr: float = 3e-4
    actor_lr_decay_steps: int = 0
    critic_layer_norm: bool = False
    batch_size: int = 256
    seed: int = 0

    def __post_init__(self) -> None:
        owner = 'IQLConfig'
        self.hidden = _check_hidden(owner, self.hidden)
        self.gamma = _check_float(owner, 'gamma', self.gamma, 0.0, 1.0, high_open=True)
        self.tau = _check_float(owner, 'tau', self.tau, 0.0, 1.0, low_open=True)
        self.expectile = _check_float(owner, 'expectile', self.expectile, 0.0, 1.0, True, True)
        self.beta = _check_float(owner, 'beta', self.beta, 0.0, 1e6)
        self.max_weight = _check_float(
            owner, 'max_weight', self.max_weight, 0.0, math.inf, low_open=True
        )
        for name in ('actor_lr', 'critic_lr', 'value_lr'):
            setattr(
                self, name, _check_float(owner, name, getattr(self, name), 0.0, 1.0, low_open=True)
            )
        self.actor_lr_decay_steps = _check_positive_int(
            owner, 'actor_lr_decay_steps', self.actor_lr_decay_steps, allow_zero=True
        )
        if not isinstance(self.critic_layer_norm, (bool, np.bool_)):
            raise ConfigError(
                'IQLConfig.critic_layer_norm must be true or false, got '
                f'{self.critic_layer_norm!r}'
            )
        self.critic_layer_norm = bool(self.critic_layer_norm)
        self.batch_size = _check_positive_int(owner, 'batch_size', self.batch_size)
        self.seed = _check_positive_int(owner, 'seed', self.seed, allow_zero=True)

    def to_dict(self) -> dict[str, Any]:
        """JSON-serialisable dict of every field."""
        return _config_to_dict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> IQLConfig:
        """Inverse of :meth:`to_dict`. Raises ConfigError on an unknown field or bad value."""
        return config_from_dict(cls, data)


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
    checkpoint runs unchanged in :class:`policy.Policy` / the policy node.

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
        self.device = _device(device)
        self.data = _TransitionData(data, obs_cfg, act_cfg, train_indices)
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
        if _distributed():
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
        obs, act, rew, nobs, term = _to_tensors(batch, self.device)
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
        obs, act, rew, nobs, term = _to_tensors(batch, self.device)
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
        tensors, _ = _load_for(path, self.obs_cfg, self.act_cfg)
        actor = _prefixed(tensors, ACTOR_PREFIX)
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
                state = _prefixed(tensors, f'iql.{prefix}.')
                try:
                    module.load_state_dict(state)
                except RuntimeError as exc:
                    raise CheckpointError(
                        f'{path}: iql.{prefix} does not fit IQLConfig.hidden/critic_layer_norm '
                        f'({str(exc).strip().splitlines()[0]})'
                    ) from None

    def save(self, path: Path, extra_metadata: Mapping[str, Any] | None = None) -> Path:
        """Write a checkpoint directory that :meth:`policy.Policy.from_checkpoint` loads.

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


def _device(device: str | torch.device) -> torch.device:
    try:
        dev = torch.device(device)
    except (RuntimeError, TypeError):
        raise ConfigError(f'device {device!r} is not a torch device') from None
    if dev.type == 'cuda' and not torch.cuda.is_available():
        raise ConfigError(f'device is {device!r} but CUDA is not available: use device cpu')
    return dev


# ----------------------------------------------------------------------------- SAC


@dataclass
class SACPretrainConfig:
    """Hyperparameters of :class:`SACPretrainer`.

    The fields of :class:`sac.SACConfig` other than ``obs_dim``/``action_dim`` (from the
    observation/action spec) and
    ``device`` (the trainer's argument), with the same defaults, so that a pretrained
    state matches the ``sac_learner`` defaults (its ``sac.*`` parameters). See
    :class:`sac.SACConfig` for each field. ``utd_ratio`` only sets how many critic
    minibatches one :meth:`SACPretrainer.update` takes (there is no environment offline).
    """

    hidden: tuple[int, ...] = SACConfig.hidden
    gamma: float = SACConfig.gamma
    tau: float = SACConfig.tau
    actor_lr: float = SACConfig.actor_lr
    critic_lr: float = SACConfig.critic_lr
    alpha_lr: float = SACConfig.alpha_lr
    init_alpha: float = SACConfig.init_alpha
    target_entropy: float | None = SACConfig.target_entropy
    batch_size: int = SACConfig.batch_size
    critic_layer_norm: bool = SACConfig.critic_layer_norm
    utd_ratio: int = SACConfig.utd_ratio
    actor_update_every: int = SACConfig.actor_update_every
    seed: int = SACConfig.seed

    def __post_init__(self) -> None:
        self.sac_config(1, 1)  # validates every field (ConfigError naming it)
        self.hidden = tuple(int(s) for s in self.hidden)

    def sac_config(self, obs_dim: int, action_dim: int, device: str = 'cpu') -> SACConfig:
        """Return the :class:`sac.SACConfig` for this spec; ConfigError on a bad field."""
        return SACConfig(
            obs_dim=obs_dim, action_dim=action_dim, device=device, **dataclasses.asdict(self)
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-serialisable dict of every field."""
        return _config_to_dict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> SACPretrainConfig:
        """Inverse of :meth:`to_dict`. Raises ConfigError on an unknown field or bad value."""
        return config_from_dict(cls, data)


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
    motivation of [IQL] and CQL); use it to warm-start the online learner, and IQL for a
    policy to deploy from data alone.

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
        self.device = _device(device)
        self.data = _TransitionData(data, obs_cfg, act_cfg, train_indices)
        self.sac_cfg = cfg.sac_config(obs_cfg.dim, act_cfg.dim, str(self.device))
        self.sac = SAC(self.sac_cfg)
        # The networks as attributes too (checksums of the train loop, tests); they are
        # SAC's own modules, whose parameters are views of its flat buffers.
        self.actor, self.critic, self.critic_target = (
            self.sac.actor,
            self.sac.critic,
            self.sac.critic_target,
        )
        if _distributed():
            with torch.no_grad():
                for module in (self.sac.actor, self.sac.critic, self.sac.critic_target):
                    for param in module.parameters():
                        dist.broadcast(param.data, 0)
                dist.broadcast(self.sac.log_alpha.data, 0)
            _allreduce_before_step(self.sac.critic_optimizer)
            _allreduce_before_step(self.sac.actor_optimizer)

    def sample(self, indices: np.ndarray, batch_size: int, rng: np.random.Generator) -> Batch:
        """Draw ``batch_size * utd_ratio`` transitions (what one SAC update takes).

        Uniform with replacement from ``indices``; fields as :meth:`IQLTrainer.sample`.

        Raises:
            ConfigError: empty or out-of-range indices, or ``batch_size`` < 1.
        """
        n = _check_positive_int('sample', 'batch_size', batch_size)
        return self.data.sample(indices, n * self.sac_cfg.utd_ratio, rng)

    def update(self, batch: Batch) -> dict[str, float]:
        """Run one :meth:`sac.SAC.update`.

        Returns its metrics plus ``loss`` (= ``critic_loss``) and ``lr`` (critic learning
        rate).
        """
        stats = self.sac.update(batch)
        stats['loss'] = stats['critic_loss']
        stats['lr'] = float(self.sac.critic_optimizer.param_groups[0]['lr'])
        return stats

    @torch.no_grad()
    def evaluate(self, batch: Batch) -> dict[str, float]:
        """Critic loss on a validation batch (any number of rows); changes nothing.

        Returns:
            ``val_loss`` (soft TD loss, see class docstring), ``val_q_mean``,
            ``val_target_q_mean``.
        """
        sac, cfg = self.sac, self.sac_cfg
        obs, act, rew, nobs, term = _to_tensors(batch, sac.device)
        generator = torch.Generator(device=sac.device).manual_seed(cfg.seed + 2)
        alpha = sac.log_alpha.exp()
        next_action, next_log_prob, _ = sac.actor.sample(nobs, generator)
        next_q = sac.critic_target.q_values(nobs, next_action).amin(0)
        target = rew + cfg.gamma * (1.0 - term) * (next_q - alpha * next_log_prob)
        q = sac.critic.q_values(obs, act)
        loss = (q - target).square().mean() * (0.5 * q.shape[0])
        values = torch.stack([loss, q.mean(), target.mean()]).tolist()
        return dict(zip(('val_loss', 'val_q_mean', 'val_target_q_mean'), values, strict=True))

    def act(self, observations: np.ndarray) -> np.ndarray:
        """Deterministic actions: ``(B, obs_dim)`` -> float32 ``(B, action_dim)``."""
        return self.sac.act(observations, deterministic=True)

    def load(self, path: str | Path) -> None:
        """Start from a checkpoint (``train --init-from``).

        Takes the full SAC state when it holds ``sac.*`` (this trainer's or ``sac_learner``'s
        checkpoints; the learning rates of this config stay in force), else only its actor
        (e.g. IQL).

        Raises:
            CheckpointError: unreadable, another spec, or networks of another size (one line).
        """
        tensors, _ = _load_for(path, self.obs_cfg, self.act_cfg)
        state = _prefixed(tensors, 'sac.')
        if state:
            if self.device.type != 'cpu':
                state = {k: v for k, v in state.items() if not k.startswith('rng.')}
            self.sac.load_state_dict(state)
            cfg = self.sac_cfg
            for group, lr in (
                (self.sac.critic_optimizer.param_groups[0], cfg.critic_lr),
                (self.sac.actor_optimizer.param_groups[0], cfg.actor_lr),
                (self.sac.actor_optimizer.param_groups[1], cfg.alpha_lr),
            ):
                group['lr'] = lr
            return
        actor = _prefixed(tensors, ACTOR_PREFIX)
        if not actor:
            raise CheckpointError(
                f'{path} has neither sac.* nor {ACTOR_PREFIX}* weights: not a policy checkpoint'
            )
        self.sac.load_actor_state(actor)

    def save(self, path: Path, extra_metadata: Mapping[str, Any] | None = None) -> Path:
        """Write a checkpoint in the ``sac_learner``'s format (``SacLearner.save``).

        Tensors: ``actor.*`` (for :class:`policy.Policy`) and ``sac.*`` (the full
        :meth:`sac.SAC.state_dict`, which ``sac_learner`` loads with ``init_from``;
        ``sac.rng.*`` only when trained on CPU, since a CUDA generator state does not fit
        the learner's CPU generators). Sidecar: :func:`policy.policy_metadata` with
        ``algorithm='sac'``, ``version``, ``env_steps`` (0: no environment),
        ``updates``, ``demo_episodes``, ``sac_config`` (as the learner), plus
        ``pretrained: 'offline'``, ``dataset`` and ``extra_metadata``.

        Raises:
            CheckpointError: the directory cannot be written.
        """
        state = self.sac.state_dict()
        if self.device.type != 'cpu':
            state = {k: v for k, v in state.items() if not k.startswith('rng.')}
        tensors = {ACTOR_PREFIX + k: v for k, v in self.sac.actor_state().items()}
        tensors.update({'sac.' + k: v for k, v in state.items()})
        sac_config = self.sac_cfg.to_dict()
        sac_config['device'] = 'cpu'
        meta = policy_metadata(
            self.obs_cfg,
            self.act_cfg,
            self.sac_cfg.hidden,
            self.algorithm,
            version=0,
            env_steps=0,
            updates=self.sac.num_updates,
            demo_episodes=self.data.stats['train_episodes'] or 0,
            sac_config=sac_config,
            pretrained='offline',
            dataset=self.data.stats,
        )
        meta.update(extra_metadata or {})
        return save_checkpoint(Path(path), tensors, meta)


#: Trainer classes by algorithm name, for the ``train`` CLI.
TRAINERS: dict[str, tuple[type, type]] = {
    'iql': (IQLTrainer, IQLConfig),
    'sac': (SACPretrainer, SACPretrainConfig),
}
