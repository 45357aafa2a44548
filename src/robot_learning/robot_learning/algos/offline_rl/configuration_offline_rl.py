# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 robot_learning maintainers
"""Options of the offline trainers: :class:`IQLConfig` and :class:`SACPretrainConfig`.

Each is checked on construction (one-line :class:`~robot_learning.errors.ConfigError`
naming the field) and round-trips through ``to_dict`` / ``from_dict`` (checkpoint
sidecars). Sources of the defaults: [IQL] Kostrikov, Nair, Levine, "Offline
Reinforcement Learning with Implicit Q-Learning", ICLR 2022, arXiv:2110.06169, appendix
B and the reference ``ikostrikov/implicit_q_learning`` ``configs/antmaze_config.py``;
SAC pretraining takes :class:`~robot_learning.algos.sac.SACConfig`'s; its Cal-QL options
[CQL] Kumar et al., "Conservative Q-Learning for Offline Reinforcement Learning", NeurIPS
2020, arXiv:2006.04779, and [CALQL] Nakamoto et al., "Cal-QL: Calibrated Offline RL
Pre-Training for Efficient Online Fine-Tuning", NeurIPS 2023, arXiv:2303.05479.

Nothing here imports rclpy.
"""

from __future__ import annotations

from collections.abc import Mapping
import dataclasses
from dataclasses import dataclass
import math
from typing import Any

import numpy as np
from robot_learning.algos.sac.configuration_sac import config_from_dict, SACConfig
from robot_learning.errors import ConfigError

__all__ = ['ACTION_CLIP', 'IQLConfig', 'SACPretrainConfig']

#: Dataset actions are clipped to +-(1 - ACTION_CLIP) before ``atanh``: recorded teleop
#: actions sit exactly on the limits, where the tanh-Gaussian density is 0 (log -inf).
ACTION_CLIP = 1e-6

_HALF_LOG_2PI = 0.5 * math.log(2.0 * math.pi)


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


@dataclass
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


@dataclass
@dataclass
class SACPretrainConfig:
    """Hyperparameters of :class:`SACPretrainer`.

    The fields of :class:`sac.SACConfig` other than ``obs_dim``/``action_dim`` (from the
    observation/action spec) and
    ``device`` (the trainer's argument), with the same defaults, so that a pretrained
    state matches the ``sac_learner`` defaults (its ``sac.*`` parameters). See
    :class:`sac.SACConfig` for each field. ``utd_ratio`` only sets how many critic
    minibatches one :meth:`SACPretrainer.update` takes (there is no environment offline).

    Cal-QL (:mod:`.calql`; Nakamoto et al. 2023, arXiv:2303.05479) on top, off by default:

    Attributes:
        calql: add the conservative critic term (``--set calql=true``), so that Q does not
            overestimate actions the demonstrations do not hold.
        cql_alpha: its weight alpha; 1.0 ([CALQL] appendix C: 5 for AntMaze, 1 for
            Adroit/Kitchen; the navigation rewards here are of Adroit's scale, ~10 at most
            per step).
        cql_num_actions: actions of each kind (uniform, pi(s), pi(s')) sampled per state,
            10 as [CQL]/[CALQL]; each costs about one critic pass over the batch.
        calql_calibration: Cal-QL's lower bound ``max(Q, V^mu)`` of the policy actions,
            ``V^mu`` the Monte-Carlo return-to-go of the demo episode; False = plain CQL(H).
        cql_temperature: temperature of the log-sum-exp, 1.0 ([CQL] appendix F).
        bc_weight: weight of a behaviour-cloning step on the actor after each SAC actor
            step (:class:`.calql.CalQLSAC`, TD3+BC's term), with or without ``calql``;
            0 = none (default).
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
    calql: bool = False
    cql_alpha: float = 1.0
    cql_num_actions: int = 10
    calql_calibration: bool = True
    cql_temperature: float = 1.0
    bc_weight: float = 0.0

    def __post_init__(self) -> None:
        self.sac_config(1, 1)  # validates every SAC field (ConfigError naming it)
        self.hidden = tuple(int(s) for s in self.hidden)
        owner = 'SACPretrainConfig'
        for name in ('calql', 'calql_calibration'):
            value = getattr(self, name)
            if not isinstance(value, (bool, np.bool_)):
                raise ConfigError(f'{owner}.{name} must be true or false, got {value!r}')
            setattr(self, name, bool(value))
        self.cql_alpha = _check_float(owner, 'cql_alpha', self.cql_alpha, 0.0, 1e6, low_open=True)
        self.cql_num_actions = _check_positive_int(owner, 'cql_num_actions', self.cql_num_actions)
        self.cql_temperature = _check_float(
            owner, 'cql_temperature', self.cql_temperature, 0.0, 1e6, low_open=True
        )
        self.bc_weight = _check_float(owner, 'bc_weight', self.bc_weight, 0.0, 1e6)

    def sac_config(self, obs_dim: int, action_dim: int, device: str = 'cpu') -> SACConfig:
        """Return the :class:`sac.SACConfig` for this spec; ConfigError on a bad field."""
        sac_fields = {f.name for f in dataclasses.fields(SACConfig)}
        values = {k: v for k, v in dataclasses.asdict(self).items() if k in sac_fields}
        return SACConfig(obs_dim=obs_dim, action_dim=action_dim, device=device, **values)

    def to_dict(self) -> dict[str, Any]:
        """JSON-serialisable dict of every field."""
        return _config_to_dict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> SACPretrainConfig:
        """Inverse of :meth:`to_dict`. Raises ConfigError on an unknown field or bad value."""
        return config_from_dict(cls, data)
