# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 robot_learning maintainers
"""Options of Soft Actor-Critic and of the online learner, checked on construction.

:class:`SACConfig` holds the hyperparameters of :class:`~.modeling_sac.SAC` (defaults cited
field by field), :class:`OnlineConfig` those of :class:`~.online.OnlineLearner` (buffer,
warm-up, best-checkpoint window). Both raise :class:`~robot_learning.errors.ConfigError`
with one line naming the field on a bad value.

Sources
-------
- [SAC1] Haarnoja, Zhou, Abbeel, Levine, "Soft Actor-Critic: Off-Policy Maximum Entropy
  Deep Reinforcement Learning with a Stochastic Actor", ICML 2018, arXiv:1801.01290.
- [SAC2] Haarnoja et al., "Soft Actor-Critic Algorithms and Applications",
  arXiv:1812.05905 (automatic temperature, sec. 5).
- [TD3] Fujimoto, van Hoof, Meger, ICML 2018 (delayed policy updates, sec. 5.2).
- [RLPD] Ball, Smith, Kostrikov, Levine, "Efficient Online Reinforcement Learning with
  Offline Data", ICML 2023, arXiv:2302.02948 (critic LayerNorm, update-to-data ratio,
  symmetric sampling).
- [REDQ] Chen, Wang, Zhou, Ross, "Randomized Ensembled Double Q-Learning", ICLR 2021,
  arXiv:2101.05982 (critic ensemble, Alg. 1).
- [SB18] Sutton, Barto, "Reinforcement Learning: An Introduction", 2nd ed. 2018, sec. 7.1
  (n-step returns).
- [SB3] Stable-Baselines3 ``SAC`` defaults (``sac/sac.py``); [CleanRL]
  ``cleanrl/sac_continuous_action.py``.

Nothing here imports rclpy.
"""

from __future__ import annotations

from collections.abc import Mapping
import dataclasses
from dataclasses import dataclass
import math
from typing import Any

import numpy as np
from robot_learning.errors import ConfigError
import torch

__all__ = ['OnlineConfig', 'SACConfig', 'config_from_dict']


def _positive_int(name: str, value: Any) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value <= 0:
        raise ConfigError(f'SACConfig.{name} must be a positive integer, got {value!r}')


def _finite_float(name: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise ConfigError(f'SACConfig.{name} must be a number, got {value!r}')
    value = float(value)
    if not math.isfinite(value):
        raise ConfigError(f'SACConfig.{name} must be finite, got {value!r}')
    return value


def config_from_dict(cls: type, data: Mapping[str, Any]) -> Any:
    """Build dataclass ``cls`` from a mapping of its field names (checkpoint sidecars).

    Raises:
        ConfigError: an unknown or missing field, or a value ``cls`` rejects.
    """
    names = {f.name for f in dataclasses.fields(cls)}
    unknown = sorted(set(data) - names)
    if unknown:
        raise ConfigError(f'unknown {cls.__name__} field {unknown[0]!r}')
    try:
        return cls(**data)
    except TypeError as exc:
        raise ConfigError(f'{cls.__name__}: {exc}') from None


@dataclass
class SACConfig:
    """Hyperparameters of :class:`SAC`. Defaults are SB3's ``SAC`` defaults unless noted.

    Attributes:
        obs_dim: observation features (required).
        action_dim: action dimensions, actions normalised to [-1, 1] (required).
        hidden: hidden sizes of actor and critics; ``(256, 256)`` as SB3 and CleanRL
            (SB3 ``net_arch=[256, 256]``; [SAC1] table 1 uses 256 units, 2 layers).
        gamma: discount factor, 0.99 ([SAC1] table 1, SB3, CleanRL).
        tau: Polyak coefficient of the target critics, 0.005 ([SAC1] table 1, SB3, CleanRL).
        actor_lr: Adam learning rate of the actor, 3e-4 ([SAC1] table 1, SB3, CleanRL).
        critic_lr: Adam learning rate of the critics, 3e-4 ([SAC1] table 1, SB3;
            CleanRL uses 1e-3).
        alpha_lr: Adam learning rate of ``log_alpha``, 3e-4 (SB3 uses the policy's lr).
        init_alpha: initial temperature alpha, 1.0 (SB3 ``ent_coef="auto"``, CleanRL
            ``log_alpha = 0``, RLPD ``init_temperature=1.0``).
        target_entropy: entropy target in nats; ``None`` means ``-action_dim``
            ([SAC2] sec. 5 and appendix D, SB3 ``target_entropy="auto"``). Resolved in
            ``__post_init__``, so after construction it is always a float.
        batch_size: transitions per gradient step, 256 (SB3, CleanRL, [SAC1] table 1).
        critic_layer_norm: LayerNorm in the critics ([RLPD] "Layer Normalization Mitigates
            Catastrophic Overestimation"; not in SB3/CleanRL). Default on: in
            bench/sac_options.py (Pendulum-v1, 3 seeds, deterministic eval every 1000 of
            5000 steps) it learned faster, mean eval return over the five evaluations
            -461 +- 12 against -651 +- 58 without (-1372 +- 36 against -1591 +- 35
            after 1000 steps), for about 15 % more time per update (bench/sac_update.py,
            256x256: 11.5 against 9.9 ms).
        utd_ratio: critic updates per :meth:`SAC.update` call (update-to-data ratio,
            [RLPD] uses 20 with 10 critics); each call expects
            ``batch_size * utd_ratio`` rows, split into ``utd_ratio`` minibatches, and
            updates the actor and temperature once, on the last minibatch (as RLPD's
            ``SACLearner.update``). 1 = SB3.
        actor_update_every: update actor and temperature on every n-th call only
            (delayed policy updates, [TD3] sec. 5.2; CleanRL ``policy_frequency``; unlike
            CleanRL no catch-up updates are made). 1 = SB3.
        num_critics: ``N``, Q networks in the critic ensemble ([REDQ]: N = 10, M = 2); 2 is
            SAC's clipped double Q (SB3, CleanRL) and keeps today's networks
            (:class:`networks.TwinQCritic`, ``critic.q1.*``/``critic.q2.*``). With
            ``N > 2`` the actor maximises the mean of all ``N`` critics ([REDQ] Alg. 1
            line 13); with ``N <= 2`` their minimum (SB3). Default 2: at UTD 1, ``N = 10,
            M = 2`` did not learn faster in bench/sac_options.py (mean eval -621 +- 74
            against -651 +- 58) and an update costs 3.4 times as much (33.6 against
            9.9 ms); REDQ's gains come with UTD 20 ([REDQ] sec. 3), ~0.7 s of updates per
            environment step on this CPU.
        num_target_critics: ``M``, target critics whose minimum forms the TD target, a
            subset drawn without replacement for every critic step from a generator seeded
            by ``seed`` ([REDQ] Alg. 1 lines 7-8: ``M = 2``); ``1 <= M <= N``. ``M = N``
            takes the minimum over all (no draw): for ``N = M = 2`` exactly SB3's target.
        n_step: horizon of the n-step returns ([SB18] sec. 7.1; Rainbow and D4PG use 3 and
            5) the data pipeline should build with
            ``buffers.NStepAccumulator(n_step, gamma)``; SAC itself reads each row's
            horizon ``k`` from :attr:`Batch.n_steps` and discounts the bootstrap by
            ``gamma ** k``. As in Rainbow/D4PG the return is not corrected for being
            off-policy, and it omits the entropy bonuses of the intermediate states
            (only ``s_{t+k}``'s soft value enters); DQfD (Hester et al., AAAI 2018)
            likewise mixes n-step returns with demonstrations. 1 = SB3. Default 3: in
            bench/sac_options.py 3-step returns learned much faster (mean eval -328 +- 41
            against -651 +- 58; with LayerNorm -186 +- 62, every seed at -124 or better
            from 2000 steps on, against 3000-5000 steps without both). It takes effect only
            where the data pipeline builds n-step transitions; 1-step batches train as before.
        demo_ratio: share of demonstration rows in each batch when a demo buffer exists
            ([RLPD] "Symmetric Sampling": 0.5), in [0, 1]; read by the learner
            and passed to ``buffers.sample_mixed``. Not used by :class:`SAC` itself.
        seed: the one seed of everything random: network initialisation, the actor's
            sampling noise (updates and :meth:`SAC.act`), the REDQ subsets, and the replay
            sampling of callers that seed their ``ReplayBuffer`` / generator with it. The
            global torch RNG is left untouched.
        device: torch device string, ``'cpu'`` or e.g. ``'cuda:0'``.

    Raises:
        ConfigError: a field is out of range (one-line message naming the field).
    """

    obs_dim: int
    action_dim: int
    hidden: tuple[int, ...] = (256, 256)
    gamma: float = 0.99
    tau: float = 0.005
    actor_lr: float = 3e-4
    critic_lr: float = 3e-4
    alpha_lr: float = 3e-4
    init_alpha: float = 1.0
    target_entropy: float | None = None
    batch_size: int = 256
    critic_layer_norm: bool = True
    utd_ratio: int = 1
    actor_update_every: int = 1
    num_critics: int = 2
    num_target_critics: int = 2
    n_step: int = 3
    demo_ratio: float = 0.5
    seed: int = 0
    device: str = 'cpu'

    def __post_init__(self) -> None:
        _positive_int('obs_dim', self.obs_dim)
        _positive_int('action_dim', self.action_dim)
        try:
            hidden = tuple(self.hidden)
        except TypeError:
            raise ConfigError(
                f'SACConfig.hidden must be a sequence of layer sizes, got {self.hidden!r}'
            ) from None
        if not hidden:
            raise ConfigError('SACConfig.hidden must have at least one layer')
        for size in hidden:
            if isinstance(size, bool) or not isinstance(size, (int, np.integer)) or size <= 0:
                raise ConfigError(
                    f'SACConfig.hidden sizes must be positive integers, got {self.hidden!r}'
                )
        self.hidden = tuple(int(size) for size in hidden)
        self.obs_dim = int(self.obs_dim)
        self.action_dim = int(self.action_dim)
        self.gamma = _finite_float('gamma', self.gamma)
        if not 0.0 <= self.gamma < 1.0:
            raise ConfigError(f'SACConfig.gamma must be in [0, 1), got {self.gamma}')
        self.tau = _finite_float('tau', self.tau)
        if not 0.0 < self.tau <= 1.0:
            raise ConfigError(f'SACConfig.tau must be in (0, 1], got {self.tau}')
        for name in ('actor_lr', 'critic_lr', 'alpha_lr', 'init_alpha'):
            value = _finite_float(name, getattr(self, name))
            if value <= 0.0:
                raise ConfigError(f'SACConfig.{name} must be > 0, got {value}')
            setattr(self, name, value)
        if self.target_entropy is None:
            self.target_entropy = -float(self.action_dim)
        else:
            self.target_entropy = _finite_float('target_entropy', self.target_entropy)
        for name in (
            'batch_size',
            'utd_ratio',
            'actor_update_every',
            'num_critics',
            'num_target_critics',
            'n_step',
        ):
            _positive_int(name, getattr(self, name))
            setattr(self, name, int(getattr(self, name)))
        if self.num_target_critics > self.num_critics:
            raise ConfigError(
                f'SACConfig.num_target_critics must be in [1, num_critics={self.num_critics}], '
                f'got {self.num_target_critics}'
            )
        self.demo_ratio = _finite_float('demo_ratio', self.demo_ratio)
        if not 0.0 <= self.demo_ratio <= 1.0:
            raise ConfigError(f'SACConfig.demo_ratio must be in [0, 1], got {self.demo_ratio}')
        if not isinstance(self.critic_layer_norm, (bool, np.bool_)):
            raise ConfigError(
                'SACConfig.critic_layer_norm must be true or false, got '
                f'{self.critic_layer_norm!r}'
            )
        self.critic_layer_norm = bool(self.critic_layer_norm)
        if (
            isinstance(self.seed, bool)
            or not isinstance(self.seed, (int, np.integer))
            or not 0 <= self.seed < 2**63
        ):
            raise ConfigError(
                f'SACConfig.seed must be an integer in [0, 2**63), got {self.seed!r}'
            )
        self.seed = int(self.seed)
        try:
            device = torch.device(self.device)
        except (RuntimeError, TypeError):
            raise ConfigError(f'SACConfig.device {self.device!r} is not a torch device') from None
        if device.type == 'cuda' and not torch.cuda.is_available():
            raise ConfigError(
                f'SACConfig.device is {self.device!r} but CUDA is not available: use device cpu'
            )
        self.device = str(device)

    def to_dict(self) -> dict[str, Any]:
        """JSON-serialisable dict of every field (``hidden`` as a list)."""
        data = dataclasses.asdict(self)
        data['hidden'] = list(self.hidden)
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> SACConfig:
        """Inverse of :meth:`to_dict`.

        Raises:
            ConfigError: an unknown or missing field, or a field out of range.
        """
        return config_from_dict(cls, data)


@dataclass
class OnlineConfig:
    """Options of :class:`~.online.OnlineLearner` (``sac_learner`` parameters of these names).

    Attributes:
        buffer_capacity: online replay buffer rows (transitions), 300000; the oldest row is
            overwritten when full (a FIFO as SB3's ``ReplayBuffer``; SB3 defaults to 1e6).
        warmup_transitions: online transitions before the first update, 256 (one batch at
            the default ``batch_size``; SB3 ``learning_starts`` is 100).
        checkpoint_every: write ``checkpoints/latest`` (with the replay buffers) every this
            many updates, 5000; 0 = only on request and on exit.
        best_window: finished training episodes in the rolling success rate that selects
            ``checkpoints/best``, 50 (SB3's ``EvalCallback`` keeps a best model the same
            way, from separate evaluation episodes).
        max_env_steps: stop updating after this many transitions; 0 = never.
        critic_warmup_updates: after an ``init_from`` state is loaded, the first this many
            updates train the critics only (``SAC.update(batch, update_actor=False)``), so
            that critics pretrained offline recalibrate on the online data before the
            actor follows their gradient; 0 = off. Offline critics are off on the actions
            the data does not hold, and the first actor steps on them undo the pretrained
            actor (the initial "unlearning" dip of Nakamoto et al. 2023, "Cal-QL",
            arXiv:2303.05479, sec. 3). WSRL (Zhou et al. 2024, arXiv:2412.07762) bridges
            it with warm-up rollouts of the frozen pretrained policy; here the critics
            also learn from those rollouts (and the demo buffer) while the actor waits.
        intervention_capacity: demo-buffer rows kept free for human (intervention)
            transitions, 20000 (~15 min of takeovers at 20 Hz): HIL-SERL adds every
            intervention to the prior-data (demo) buffer as well as the online one (Luo et
            al. 2024, "Precise and Dexterous Robotic Manipulation via Human-in-the-Loop
            RL", arXiv:2410.21845); beyond this the oldest demo rows are
            overwritten. 0 = interventions go to the online buffer only.

    Raises:
        ConfigError: a field is not an integer in its range (one line naming it).
    """

    buffer_capacity: int = 300000
    warmup_transitions: int = 256
    checkpoint_every: int = 5000
    best_window: int = 50
    max_env_steps: int = 0
    critic_warmup_updates: int = 0
    intervention_capacity: int = 20000

    def __post_init__(self) -> None:
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            low = 1 if f.name in ('buffer_capacity', 'best_window') else 0
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low:
                raise ConfigError(
                    f'OnlineConfig.{f.name} must be an integer >= {low}, got {value!r}'
                )
            setattr(self, f.name, int(value))
