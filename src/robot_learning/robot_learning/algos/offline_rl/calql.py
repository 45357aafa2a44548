# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 robot_learning maintainers
"""Cal-QL: SAC with the calibrated conservative critic term, for offline pretraining.

Sources
-------
- [CQL] Kumar, Zhou, Tucker, Levine, "Conservative Q-Learning for Offline Reinforcement
  Learning", NeurIPS 2020, arXiv:2006.04779: eq. 4 (CQL(H)), appendix F (the
  importance-sampled estimate of ``log sum_a exp Q(s, a)`` from uniform actions and
  actions of the current policy at ``s`` and ``s'``), the two Q heads each penalised.
- [CALQL] Nakamoto, Zhai, Singh, Mark, Ma, Finn, Kumar, Levine, "Cal-QL: Calibrated
  Offline RL Pre-Training for Efficient Online Fine-Tuning", NeurIPS 2023,
  arXiv:2303.05479: eq. 5.1 / Algorithm 1 (the policy actions' Q values in the CQL term
  replaced by ``max(Q, V^mu)``, ``V^mu`` the Monte-Carlo return of the behaviour policy,
  :func:`.data_offline_rl.returns_to_go`); appendix C (10 sampled actions, alpha 5 for
  the AntMaze navigation tasks, 1 for Adroit/Kitchen).

The critic minimises the soft TD loss of :class:`~robot_learning.algos.sac.SAC` plus, for
each critic ``Q_j`` (``n`` = ``num_actions``, ``d`` = action dimension, ``T`` =
``temperature``, ``a_i ~ U[-1, 1]^d``, ``b_i ~ pi(.|s)``, ``c_i ~ pi(.|s')``)::

    alpha * mean_B [ T * logsumexp_i ( [Q_j(s, a_i) + d log 2,
                                        C(Q_j(s, b_i)) - log pi(b_i|s),
                                        C(Q_j(s, c_i)) - log pi(c_i|s')] / T )
                     - Q_j(s, a_data) ]

with ``C(q) = max(q, V^mu(s))`` for Cal-QL and ``C(q) = q`` for plain CQL. The first term
pushes Q down where the policy (and everything else) puts mass, the second up on the data
([CQL] eq. 4); the calibration stops the push at the behaviour policy's return, so that the
learned Q stays on the scale of real returns and the first online updates do not meet a
critic that is far too low on new actions ([CALQL] sec. 4-5). The sampled actions carry no
gradient into the actor (the actor loss is SAC's, [CQL] sec. 4).

Nothing here imports rclpy.
"""

from __future__ import annotations

import math
from typing import Any

from robot_learning.algos.sac.modeling_sac import SAC, SACConfig
from robot_learning.errors import ConfigError
from robot_learning.types import Batch
import torch

__all__ = ['CalQLSAC', 'conservative_penalty']


def conservative_penalty(
    q_data: torch.Tensor,
    q_random: torch.Tensor,
    q_policy: torch.Tensor,
    log_pi_policy: torch.Tensor,
    q_next: torch.Tensor,
    log_pi_next: torch.Tensor,
    action_dim: int,
    alpha: float,
    reference: torch.Tensor | None = None,
    temperature: float = 1.0,
) -> torch.Tensor:
    """Return the (calibrated) CQL(H) term of the module docstring, summed over critics.

    Args:
        q_data: ``(N, B)`` ``Q_j(s, a_data)``, with gradient.
        q_random: ``(N, n, B)`` ``Q_j(s, a_i)``, ``a_i`` uniform on ``[-1, 1]^d``.
        q_policy: ``(N, n, B)`` ``Q_j(s, b_i)``, ``b_i ~ pi(.|s)``.
        log_pi_policy: ``(n, B)`` ``log pi(b_i|s)`` (no gradient).
        q_next: ``(N, n, B)`` ``Q_j(s, c_i)``, ``c_i ~ pi(.|s')``.
        log_pi_next: ``(n, B)`` ``log pi(c_i|s')``.
        action_dim: ``d``; ``-d log 2`` is the log density of the uniform actions.
        alpha: weight of the term ([CQL] alpha), >= 0.
        reference: ``(B,)`` ``V^mu(s)`` for the Cal-QL calibration, None for plain CQL.
        temperature: ``T`` of the log-sum-exp ([CQL] appendix F), > 0.

    Returns:
        A scalar tensor: ``alpha * sum_j mean_B (T logsumexp(...) - Q_j(s, a_data))``.
    """
    if reference is not None:
        floor = reference.reshape(1, 1, -1)
        q_policy = torch.maximum(q_policy, floor)
        q_next = torch.maximum(q_next, floor)
    stacked = torch.cat(
        [
            q_random + action_dim * math.log(2.0),
            q_policy - log_pi_policy.unsqueeze(0),
            q_next - log_pi_next.unsqueeze(0),
        ],
        dim=1,
    )
    lse = torch.logsumexp(stacked / temperature, dim=1) * temperature  # (N, B)
    return alpha * (lse - q_data).mean(1).sum()


class CalQLSAC(SAC):
    """SAC whose critic steps add the (calibrated) CQL term through ``critic_penalty``.

    :meth:`update` takes the batch's Monte-Carlo returns (``V^mu``, one per row) beside
    the :class:`Batch`; everything else (actor, temperature, targets, state dicts and the
    checkpoint layout) is :class:`SAC`'s, so a pretrained state loads into the online
    learner's plain SAC (``init_from``).

    Args:
        config: :class:`SACConfig`.
        alpha: weight of the conservative term (> 0).
        num_actions: ``n`` actions of each kind sampled per state (>= 1).
        calibrated: Cal-QL's ``max(Q, V^mu)`` on the policy actions; False: plain CQL(H).
        temperature: log-sum-exp temperature.
        conservative: False leaves the critic plain SAC's (only ``bc_weight`` acts).
        bc_weight: ``beta`` of a behaviour-cloning step on the actor after each SAC actor
            step, loss ``beta * mean_B ||tanh(mu(s)) - a_data||^2`` (the deterministic BC
            term of TD3+BC, Fujimoto and Gu 2021, arXiv:2106.06860, eq. 3, taken here as
            its own Adam step since the SAC actor loss has no hook); 0 = none.

    Raises:
        ConfigError: a bad option (one line).
    """

    def __init__(
        self,
        config: SACConfig,
        alpha: float = 1.0,
        num_actions: int = 10,
        calibrated: bool = True,
        temperature: float = 1.0,
        conservative: bool = True,
        bc_weight: float = 0.0,
    ) -> None:
        super().__init__(config)
        if not (bc_weight >= 0 and math.isfinite(bc_weight)):
            raise ConfigError(f'bc_weight must be a number >= 0, got {bc_weight!r}')
        self.conservative, self.bc_weight = bool(conservative), float(bc_weight)
        self._actor_params = list(self.actor.parameters())
        if not (alpha > 0 and math.isfinite(alpha)):
            raise ConfigError(f'Cal-QL alpha must be a positive number, got {alpha!r}')
        if isinstance(num_actions, bool) or int(num_actions) != num_actions or num_actions < 1:
            raise ConfigError(
                f'Cal-QL num_actions must be a positive integer, got {num_actions!r}'
            )
        if not (temperature > 0 and math.isfinite(temperature)):
            raise ConfigError(f'Cal-QL temperature must be > 0, got {temperature!r}')
        self.cql_alpha, self.num_actions = float(alpha), int(num_actions)
        self.calibrated, self.temperature = bool(calibrated), float(temperature)
        self._cql_generator = torch.Generator(device=self.device).manual_seed(config.seed + 3)
        self._pending: tuple[torch.Tensor, torch.Tensor | None] | None = None
        self._minibatch = 0
        self.last_calibration = 0.0  # share of policy Q values raised to V^mu, last step

    def update(
        self,
        batch: Batch,
        *,
        update_actor: bool = True,
        mc_returns: Any = None,
    ) -> dict[str, float]:
        """:meth:`SAC.update` with the conservative term in every critic step.

        Args:
            batch: as :meth:`SAC.update`.
            update_actor: as :meth:`SAC.update`.
            mc_returns: ``(B,)`` Monte-Carlo returns of the batch rows; required when
                ``calibrated``, ignored otherwise.

        Returns:
            :meth:`SAC.update`'s metrics (with ``critic_penalty``) and
            ``calibration_rate`` (share of the policy actions' Q values below ``V^mu``
            in the last critic step: how often the calibration acted).

        Raises:
            ConfigError: a bad batch, or ``mc_returns`` missing or of another length.
        """
        nobs = self._tensor(batch[3])
        reference = None
        if self.calibrated and self.conservative:
            if mc_returns is None:
                raise ConfigError("Cal-QL update needs mc_returns (the rows' returns-to-go)")
            reference = self._tensor(mc_returns).reshape(-1)
            if reference.shape[0] != nobs.shape[0]:
                raise ConfigError(
                    f'mc_returns has {reference.shape[0]} rows, the batch {nobs.shape[0]}'
                )
        self._pending = (nobs, reference) if self.conservative else None
        self._minibatch = 0
        actor_steps = self.actor_updates
        try:
            stats = super().update(batch, update_actor=update_actor)
        finally:
            self._pending = None
        if self.conservative:
            stats['calibration_rate'] = self.last_calibration
        if self.bc_weight > 0 and self.actor_updates > actor_steps:
            stats['bc_loss'] = self._bc_step(self._tensor(batch[0]), self._tensor(batch[1]))
        return stats

    def _bc_step(self, obs: torch.Tensor, act: torch.Tensor) -> float:
        mean, _ = self.actor(obs)
        loss = self.bc_weight * (torch.tanh(mean) - act).square().sum(-1).mean()
        self._actor_grad.zero_()
        self.log_alpha.grad = None  # Adam skips a parameter without gradient: alpha stays
        loss.backward(inputs=self._actor_params)
        self.actor_optimizer.step()
        return float(loss.detach())

    def critic_penalty(
        self, obs: torch.Tensor, act: torch.Tensor, q: torch.Tensor, target: torch.Tensor
    ) -> torch.Tensor | None:
        """Return the conservative term of this critic minibatch (:func:`conservative_penalty`).

        Args:
            obs, act, q, target: as :meth:`SAC.critic_penalty`.

        Returns:
            A scalar tensor with gradient into the critic only; None outside
            :meth:`update` (plain SAC).
        """
        if self._pending is None:
            return None
        nobs_all, reference_all = self._pending
        b, n, d = obs.shape[0], self.num_actions, self.config.action_dim
        rows = slice(self._minibatch * b, (self._minibatch + 1) * b)
        self._minibatch += 1
        nobs = nobs_all[rows]
        reference = None if reference_all is None else reference_all[rows]
        with torch.no_grad():
            obs_rep = obs.unsqueeze(0).expand(n, b, obs.shape[1]).reshape(n * b, -1)
            nobs_rep = nobs.unsqueeze(0).expand(n, b, obs.shape[1]).reshape(n * b, -1)
            a_rand = torch.rand(n * b, d, generator=self._cql_generator, device=self.device)
            a_rand = a_rand.mul_(2.0).sub_(1.0)
            a_pi, log_pi, _ = self.actor.sample(obs_rep, self._cql_generator)
            a_next, log_next, _ = self.actor.sample(nobs_rep, self._cql_generator)
        # One critic call for the 3n actions of every state (fewer, larger matrix products).
        q_all = self.critic.q_values(
            obs_rep.repeat(3, 1), torch.cat([a_rand, a_pi, a_next], dim=0)
        ).reshape(q.shape[0], 3, n, b)
        if reference is not None:
            with torch.no_grad():
                below = q_all[:, 1:].detach() < reference.reshape(1, 1, 1, b)
                self.last_calibration = float(below.float().mean())
        return conservative_penalty(
            q,
            q_all[:, 0],
            q_all[:, 1],
            log_pi.reshape(n, b),
            q_all[:, 2],
            log_next.reshape(n, b),
            d,
            self.cql_alpha,
            reference,
            self.temperature,
        )
