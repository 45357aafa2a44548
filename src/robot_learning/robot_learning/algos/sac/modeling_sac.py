# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 robot_learning maintainers
"""Soft Actor-Critic with automatic temperature, as Stable-Baselines3 and CleanRL do it.

Sources
-------
- [SAC1] Haarnoja, Zhou, Abbeel, Levine, "Soft Actor-Critic: Off-Policy Maximum Entropy
  Deep Reinforcement Learning with a Stochastic Actor", ICML 2018, arXiv:1801.01290.
- [SAC2] Haarnoja, Zhou, Hartikainen, Tucker, Ha, Tan, Kumar, Zhu, Gupta, Abbeel, Levine,
  "Soft Actor-Critic Algorithms and Applications", arXiv:1812.05905 (automatic
  temperature, sec. 5, eq. 17-18).
- [TD3] Fujimoto, van Hoof, Meger, "Addressing Function Approximation Error in
  Actor-Critic Methods", ICML 2018 (clipped double Q, sec. 4.2; delayed policy updates,
  sec. 5.2).
- [RLPD] Ball, Smith, Kostrikov, Levine, "Efficient Online Reinforcement Learning with
  Offline Data", ICML 2023, arXiv:2302.02948 (critic LayerNorm, update-to-data ratio,
  symmetric sampling).
- [REDQ] Chen, Wang, Zhou, Ross, "Randomized Ensembled Double Q-Learning: Learning Fast
  Without a Model", ICLR 2021, arXiv:2101.05982 (critic ensemble, Alg. 1).
- [SB18] Sutton, Barto, "Reinforcement Learning: An Introduction", 2nd ed. 2018, sec. 7.1
  (n-step returns, eq. 7.1).
- [SB3] Stable-Baselines3 ``sac/sac.py`` ``SAC.train`` and ``common/utils.py``
  ``polyak_update``; [CleanRL] ``cleanrl/sac_continuous_action.py``.

One :meth:`SAC.update` with ``utd_ratio=1`` performs exactly SB3's gradient step (losses
from the actor and temperature before the step, the actor loss on the critic after its
step, Polyak targets after the critic step). The hyperparameters and their sources are
in :mod:`.configuration_sac`, the checkpoint layout in :mod:`.checkpoint_sac`.

Nothing here imports rclpy.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
import copy
import ctypes
import math
import sys
from typing import Any

import numpy as np
from robot_learning.common.networks import QEnsemble, SquashedGaussianActor, TwinQCritic
from robot_learning.errors import ConfigError
from robot_learning.types import Batch
import torch
from torch import nn

from .checkpoint_sac import load_actor_weights, load_sac_state_dict, sac_state_dict
from .configuration_sac import SACConfig

__all__ = [
    'Batch',
    'SAC',
    'SACConfig',
    'load_actor_weights',
    'polyak_update',
    'tune_cpu_allocator',
]


def _writable_float32(value: Any) -> np.ndarray:
    """Return a float32 ndarray, without a copy when possible.

    Read-only arrays (e.g. wrapping a ROS message buffer) are copied, since torch warns
    about sharing them.
    """
    array = np.asarray(value, dtype=np.float32)
    return array if array.flags.writeable else array.copy()


@torch.no_grad()
def polyak_update(
    params: Iterable[torch.Tensor], target_params: Iterable[torch.Tensor], tau: float
) -> None:
    """Soft target update ``target <- (1 - tau) * target + tau * param``, in place.

    [SAC1] algorithm 1 (``psi_bar <- tau psi + (1 - tau) psi_bar``), semantics of SB3
    ``common/utils.polyak_update`` (zips the two iterables, raises on unequal lengths).
    Uses ``torch._foreach_lerp_`` (one fused call for all tensors) when available.
    ``lerp`` is exact at the ends: ``tau=1`` copies ``params``, ``tau=0`` leaves the
    targets bit-identical.

    Args:
        params: source tensors (e.g. ``critic.parameters()``).
        target_params: tensors updated in place, same shapes and order.
        tau: coefficient in [0, 1].

    Raises:
        ValueError: the two iterables have different lengths (as SB3's ``zip_strict``).
    """
    params = list(params)
    target_params = list(target_params)
    if len(params) != len(target_params):
        raise ValueError(
            f'polyak_update: {len(params)} params but {len(target_params)} target params'
        )
    if not params:
        return
    tau = float(tau)
    if hasattr(torch, '_foreach_lerp_'):
        torch._foreach_lerp_(target_params, params, tau)
    else:  # pragma: no cover - every supported torch has it
        for param, target in zip(params, target_params, strict=True):
            target.lerp_(param, tau)


def tune_cpu_allocator(
    mmap_threshold: int = 4 << 20, trim_threshold: int = 256 << 20, top_pad: int = 16 << 20
) -> bool:
    """Make glibc ``malloc`` keep freed memory for reuse; process-wide, opt-in.

    A SAC update on CPU allocates and frees a few dozen activation buffers of
    ``batch_size x hidden`` floats (256 KiB for 256 x 256). With glibc's defaults these
    are returned to the kernel and faulted in again on every update (hundreds of page
    faults per update measured here), which costs 10-15 % of an update with 256x256
    networks. Raising ``M_TRIM_THRESHOLD``/``M_TOP_PAD`` and fixing
    ``M_MMAP_THRESHOLD`` (glibc ``mallopt(3)``) keeps that memory in the heap. It is
    the glibc counterpart of the PyTorch CPU performance-tuning guide's advice to use
    jemalloc/tcmalloc. Allocations above ``mmap_threshold`` (replay buffers, images)
    still come from ``mmap`` and stay lazily committed.

    Call it once at the start of a training process (learner node, ``train`` CLI); it
    is not called by :class:`SAC` because it changes the whole process. Up to
    ``trim_threshold`` bytes of freed heap stay resident.

    Args:
        mmap_threshold: bytes; larger allocations use ``mmap`` (glibc caps it at 32 MiB).
        trim_threshold: free bytes at the top of the heap kept before trimming.
        top_pad: extra bytes requested from the kernel when the heap grows.

    Returns:
        True when all three settings were applied (Linux with glibc), else False.
    """
    if not sys.platform.startswith('linux'):
        return False
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    mallopt.restype = ctypes.c_int
    m_trim_threshold, m_top_pad, m_mmap_threshold = -1, -2, -3  # <malloc.h>
    results = [
        mallopt(m_mmap_threshold, int(mmap_threshold)),
        mallopt(m_trim_threshold, int(trim_threshold)),
        mallopt(m_top_pad, int(top_pad)),
    ]
    return all(result == 1 for result in results)


def _flat_parameters(
    module: nn.Module, with_grad: bool
) -> tuple[torch.Tensor, torch.Tensor | None]:
    """Move every parameter of ``module`` into one contiguous buffer.

    ``param.data`` becomes a view of it and, if ``with_grad``, every parameter gets a
    ``.grad`` that is a view of one gradient buffer.

    Then one fused Adam call updates the whole network, one ``lerp_`` does the Polyak
    update and one ``zero_()`` clears the gradients (instead of one or several kernel
    calls per tensor: ~10 tensors per MLP). Backward accumulates into the gradient views
    in place (autograd's ``AccumulateGrad`` adds into an existing ``.grad``), so the
    buffer must be zeroed before each backward. The Parameter objects stay the same, so
    ``state_dict``/``load_state_dict`` (which copies in place) keep working; moving the
    module to another device afterwards would break the sharing, so SAC never does.

    Returns:
        ``(flat_parameters, flat_gradients or None)``; ``flat_parameters.grad`` is set to
        the gradient buffer.
    """
    params = list(module.parameters())
    flat = torch.cat([p.detach().reshape(-1) for p in params])
    grad = torch.zeros_like(flat) if with_grad else None
    offset = 0
    for p in params:
        n = p.numel()
        p.data = flat[offset: offset + n].view_as(p)
        if grad is not None:
            p.grad = grad[offset: offset + n].view_as(p)
        offset += n
    flat.grad = grad
    return flat, grad


class SAC:
    """Soft Actor-Critic ([SAC1], [SAC2]).

    Twin critics (or a REDQ ensemble), Polyak target critics and automatic temperature.

    Losses (B = minibatch, alpha = exp(log_alpha), N = num_critics, M = num_target_critics,
    k = the row's ``n_steps``, 1 for 1-step data):
        - critic ([SAC2] eq. 5, clipped double Q [TD3], [REDQ] Alg. 1 lines 7-8):
          ``y = r + gamma^k * (1 - terminated)
          * (min_{j in S} Qtarget_j(s', a') - alpha * log pi(a'|s'))``
          with ``a' ~ pi(.|s')`` and ``S`` all ``N`` critics when ``M = N``, else ``M`` of
          them drawn at random for each critic step; loss
          ``0.5 * sum_j mean_B (Q_j(s, a) - y)^2`` over all ``N`` critics (SB3; REDQ's
          code uses twice this, which Adam does not see).
        - actor ([SAC2] eq. 7/8): ``mean_B (alpha * log pi(a~|s) - min_j Q_j(s, a~))``
          for ``N <= 2``; ``mean_j`` instead of ``min_j`` for ``N > 2`` ([REDQ] Alg. 1
          line 13).
        - temperature ([SAC2] eq. 18, SB3 form):
          ``-(log_alpha * (log pi(a~|s) + target_entropy).detach()).mean()``; optimising
          ``log_alpha`` rather than alpha keeps alpha positive. When the policy entropy is
          below the target, alpha grows.

    Speed (bench/sac_update.py; the matrix products are most of the time, so the gains
    come from doing fewer of them and from cutting per-call overhead): the actor loss
    back-propagates only into the actor and ``log_alpha`` (the critic weight gradients
    that SB3 computes and discards are skipped: 2 of 18 matrix products of size
    ``batch x hidden x hidden``); each network's parameters and gradients live in one
    flat buffer, so each optimiser step is one fused Adam call, zeroing is one call and
    the target update one ``lerp_``; actor and ``log_alpha`` share one Adam (two
    parameter groups; Adam is elementwise, so this equals two optimisers); layers run
    through :func:`networks.mlp_forward` (no module-call overhead, in-place ReLU); the
    metrics are read back with one ``tolist()``. See also :func:`tune_cpu_allocator`.

    Args:
        config: :class:`SACConfig`.

    Attributes:
        actor: :class:`SquashedGaussianActor`.
        critic, critic_target: :class:`TwinQCritic` for ``num_critics = 2``, else
            :class:`networks.QEnsemble`; the target has no gradients.
        log_alpha: scalar parameter, ``alpha = exp(log_alpha)``.
        num_updates, critic_updates, actor_updates: counters (calls, critic steps,
            actor steps).

    The networks' parameters are views into flat buffers: use ``state_dict`` /
    ``load_state_dict`` / ``load_actor_state`` (in-place copies) and do not ``.to()``
    the submodules. ``update`` writes the weights in place, so ``act`` from another
    thread during an update may see a half-updated actor; publish :meth:`actor_state`
    copies instead.
    """

    def __init__(self, config: SACConfig) -> None:
        if not isinstance(config, SACConfig):
            raise ConfigError(f'SAC needs a SACConfig, got {type(config).__name__}')
        self.config = config
        self.device = torch.device(config.device)
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(config.seed)
            actor = SquashedGaussianActor(config.obs_dim, config.action_dim, config.hidden)
            if config.num_critics == 2:
                critic = TwinQCritic(
                    config.obs_dim, config.action_dim, config.hidden, config.critic_layer_norm
                )
            else:
                critic = QEnsemble(
                    config.obs_dim,
                    config.action_dim,
                    config.hidden,
                    config.critic_layer_norm,
                    config.num_critics,
                )
        self.actor = actor.to(self.device)
        self.critic = critic.to(self.device)
        self.critic_target = copy.deepcopy(self.critic).requires_grad_(False)
        self.log_alpha = nn.Parameter(
            torch.tensor(math.log(config.init_alpha), dtype=torch.float32, device=self.device)
        )
        # One buffer per network (see _flat_parameters): fused Adam, Polyak and zeroing
        # are then one call each.
        self._critic_flat, self._critic_grad = _flat_parameters(self.critic, with_grad=True)
        self._target_flat, _ = _flat_parameters(self.critic_target, with_grad=False)
        self._actor_flat, self._actor_grad = _flat_parameters(self.actor, with_grad=True)
        self.critic_optimizer = self._adam(
            [{'params': [self._critic_flat], 'lr': config.critic_lr}]
        )
        # Actor and log_alpha share one Adam (two parameter groups): Adam is elementwise,
        # so this equals two optimisers, at one step call.
        self.actor_optimizer = self._adam(
            [
                {'params': [self._actor_flat], 'lr': config.actor_lr},
                {'params': [self.log_alpha], 'lr': config.alpha_lr},
            ]
        )
        self._backward_inputs = [*self.actor.parameters(), self.log_alpha]
        self._generator = torch.Generator(device=self.device).manual_seed(config.seed)
        self._act_generator = torch.Generator(device=self.device).manual_seed(config.seed + 1)
        # REDQ subsets on the CPU: the draw is a few integers, and the loop ensemble needs
        # them as Python ints (no device sync).
        self._subset = config.num_target_critics < config.num_critics
        self._subset_generator = torch.Generator().manual_seed(config.seed + 2)
        self._actor_min = config.num_critics <= 2
        self._target_entropy = float(config.target_entropy)
        self.num_updates = 0
        self.critic_updates = 0
        self.actor_updates = 0

    @staticmethod
    def _adam(groups: list[dict[str, Any]]) -> torch.optim.Adam:
        try:
            return torch.optim.Adam(groups, fused=True)
        except (RuntimeError, ValueError):  # pragma: no cover - device without fused Adam
            return torch.optim.Adam(groups)

    @property
    def alpha(self) -> float:
        """Return the current temperature ``exp(log_alpha)``."""
        return float(self.log_alpha.detach().exp())

    @property
    def rows_per_update(self) -> int:
        """Rows :meth:`update` expects: ``batch_size * utd_ratio``."""
        return self.config.batch_size * self.config.utd_ratio

    # ------------------------------------------------------------------ data

    def _tensor(self, value: Any) -> torch.Tensor:
        if isinstance(value, torch.Tensor):
            return value.to(device=self.device, dtype=torch.float32)
        return torch.as_tensor(_writable_float32(value), device=self.device)

    def _batch_tensors(self, batch: Batch) -> tuple[torch.Tensor | None, ...]:
        if not isinstance(batch, tuple) or len(batch) not in (5, 6):
            raise ConfigError(
                'SAC.update needs a Batch(observations, actions, rewards, next_observations, '
                'terminated[, n_steps])'
            )
        obs, act, rew, nobs, term = (self._tensor(value) for value in batch[:5])
        n_steps = self._tensor(batch[5]) if len(batch) == 6 and batch[5] is not None else None
        cfg = self.config
        rows = obs.shape[0] if obs.ndim == 2 else -1
        if obs.ndim != 2 or obs.shape[1] != cfg.obs_dim:
            raise ConfigError(
                f'batch observations have shape {tuple(obs.shape)}, SAC needs (B, {cfg.obs_dim})'
            )
        if nobs.shape != obs.shape:
            raise ConfigError(
                f'batch next_observations have shape {tuple(nobs.shape)}, SAC needs '
                f'{tuple(obs.shape)}'
            )
        if act.shape != (rows, cfg.action_dim):
            raise ConfigError(
                f'batch actions have shape {tuple(act.shape)}, SAC needs ({rows}, '
                f'{cfg.action_dim})'
            )
        if rew.shape == (rows, 1):
            rew = rew.reshape(rows)
        if term.shape == (rows, 1):
            term = term.reshape(rows)
        if rew.shape != (rows,):
            raise ConfigError(f'batch rewards have shape {tuple(rew.shape)}, SAC needs ({rows},)')
        if term.shape != (rows,):
            raise ConfigError(
                f'batch terminated has shape {tuple(term.shape)}, SAC needs ({rows},)'
            )
        if n_steps is not None:
            if n_steps.shape == (rows, 1):
                n_steps = n_steps.reshape(rows)
            if n_steps.shape != (rows,):
                raise ConfigError(
                    f'batch n_steps has shape {tuple(n_steps.shape)}, SAC needs ({rows},)'
                )
        if rows == 0 or rows % cfg.utd_ratio:
            raise ConfigError(
                f'batch has {rows} rows, SAC needs a positive multiple of utd_ratio '
                f'{cfg.utd_ratio}'
            )
        return obs, act, rew, nobs, term, n_steps

    # ------------------------------------------------------------------ update

    def critic_penalty(
        self, obs: torch.Tensor, act: torch.Tensor, q: torch.Tensor, target: torch.Tensor
    ) -> torch.Tensor | None:
        """Extra critic loss term; a hook for subclasses (e.g. Cal-QL's conservative term).

        Called inside every critic step of :meth:`update`, after the TD loss is formed and
        before the backward pass; a returned scalar is added to the critic loss (so its
        gradient reaches the critic) and reported as the ``critic_penalty`` metric.

        Args:
            obs: ``(B, obs_dim)`` float32 observations of this critic minibatch.
            act: ``(B, action_dim)`` float32 dataset actions.
            q: ``(N, B)`` the critics' ``Q(obs, act)``, with gradient.
            target: ``(B,)`` the TD target ``y`` (no gradient).

        Returns:
            A scalar tensor, or None (the default: plain SAC) for no penalty.
        """
        return None

    def update(self, batch: Batch, *, update_actor: bool = True) -> dict[str, float]:
        """One SAC gradient step per critic minibatch (see :class:`SACConfig` utd_ratio).

        Args:
            batch: :class:`Batch` of numpy arrays or tensors with ``B`` rows,
                ``B`` a multiple of ``utd_ratio`` (normally ``batch_size * utd_ratio``);
                ``n_steps`` (optional) must be >= 1 (not checked here; the buffers do).
            update_actor: False: critic steps only (e.g. warming a loaded critic up
                before the actor follows it); the actor, ``log_alpha`` and their
                optimiser state are left alone, ``actor_updates`` does not move and the
                actor metrics are absent. ``num_updates`` counts the call either way.

        Returns:
            Metrics (Python floats): ``critic_loss``, ``q_mean`` (mean of all ``N`` Q over
            the batch), ``q_std`` (population std over the ``N`` critics, mean over the
            batch: the ensemble's disagreement), ``target_q_mean`` (mean TD target ``y``),
            ``alpha`` (before this
            step's temperature update); when the actor was updated in this call also
            ``actor_loss``, ``alpha_loss``, ``entropy`` (``-mean log pi``, nats, a
            single-sample estimate of the policy entropy) and ``log_prob``; when
            :meth:`critic_penalty` returned a tensor also ``critic_penalty`` (included in
            ``critic_loss``). Losses of the last critic minibatch.

        Raises:
            ConfigError: a field of the batch has the wrong shape.
        """
        obs_all, act_all, rew_all, nobs_all, term_all, n_steps_all = self._batch_tensors(batch)
        cfg = self.config
        minibatch = obs_all.shape[0] // cfg.utd_ratio
        alpha = self.log_alpha.detach().exp()
        metrics: dict[str, torch.Tensor] = {}
        for i in range(cfg.utd_ratio):
            rows = slice(i * minibatch, (i + 1) * minibatch)
            obs, act, rew, nobs, term = (
                obs_all[rows],
                act_all[rows],
                rew_all[rows],
                nobs_all[rows],
                term_all[rows],
            )
            with torch.no_grad():
                next_action, next_log_prob, _ = self.actor.sample(nobs, self._generator)
                members = None
                if self._subset:  # [REDQ] Alg. 1 line 7: M distinct target critics per step
                    members = torch.randperm(cfg.num_critics, generator=self._subset_generator)
                    members = members[: cfg.num_target_critics]
                next_q = self.critic_target.q_values(nobs, next_action, members).amin(0)
                # n-step rows bootstrap k steps ahead ([SB18] eq. 7.1); 1-step batches keep
                # the scalar so that the result is bit-identical to the 1-step code.
                discount = (
                    cfg.gamma if n_steps_all is None else torch.pow(cfg.gamma, n_steps_all[rows])
                )
                # [SAC2] eq. 3/5: soft state value of s' with clipped double Q.
                target = rew + discount * (1.0 - term) * (next_q - alpha * next_log_prob)
            q = self.critic.q_values(obs, act)  # (N, B)
            # SB3: 0.5 * sum over critics of the MSE = 0.5 * N * mean over (N, B).
            critic_loss = (q - target).square().mean() * (0.5 * q.shape[0])
            penalty = self.critic_penalty(obs, act, q, target)
            if penalty is not None:
                critic_loss = critic_loss + penalty
            self._critic_grad.zero_()
            critic_loss.backward()
            self.critic_optimizer.step()
            polyak_update((self._critic_flat,), (self._target_flat,), cfg.tau)
            self.critic_updates += 1
        metrics['critic_loss'] = critic_loss.detach()
        if penalty is not None:
            metrics['critic_penalty'] = penalty.detach().reshape(())
        q = q.detach()
        metrics['q_mean'] = q.mean()
        if q.shape[0] == 2:  # the same population std, at a third of torch.std's cost
            metrics['q_std'] = torch.sub(q[0], q[1]).abs_().mean() * 0.5
        else:
            metrics['q_std'] = q.std(0, correction=0).mean()
        metrics['target_q_mean'] = target.mean()
        metrics['alpha'] = alpha

        if update_actor and self.num_updates % cfg.actor_update_every == 0:
            action, log_prob, _ = self.actor.sample(obs, self._generator)
            q_all = self.critic.q_values(obs, action)
            # [SAC2] eq. 7 with clipped double Q (SB3) for N <= 2; [REDQ] Alg. 1 line 13: the
            # ensemble mean for N > 2 (the minimum of 10 would be far too pessimistic).
            q_pi = q_all.amin(0) if self._actor_min else q_all.mean(0)
            actor_loss = (alpha * log_prob - q_pi).mean()
            log_prob_detached = log_prob.detach()
            alpha_loss = -(self.log_alpha * (log_prob_detached + self._target_entropy)).mean()
            self._actor_grad.zero_()
            self.log_alpha.grad = None
            # Gradients into the actor and log_alpha only: the two losses share no
            # parameters, so one backward equals two; the critic's weights get none.
            (actor_loss + alpha_loss).backward(inputs=self._backward_inputs)
            self.actor_optimizer.step()
            self.actor_updates += 1
            mean_log_prob = log_prob_detached.mean()
            metrics['actor_loss'] = actor_loss.detach()
            metrics['alpha_loss'] = alpha_loss.detach()
            metrics['entropy'] = -mean_log_prob
            metrics['log_prob'] = mean_log_prob
        self.num_updates += 1
        values = torch.stack(list(metrics.values())).tolist()
        return dict(zip(metrics, values, strict=True))

    @torch.inference_mode()
    def act(self, obs: np.ndarray, deterministic: bool = False) -> np.ndarray:
        """Action(s) for observation(s).

        Args:
            obs: ``(obs_dim,)`` or ``(B, obs_dim)``, any real dtype (cast to float32).
            deterministic: ``tanh(mean)`` instead of a sample (evaluation, deployment).

        Returns:
            float32 array ``(action_dim,)`` or ``(B, action_dim)`` in [-1, 1].

        Raises:
            ConfigError: ``obs`` has the wrong shape.
        """
        array = _writable_float32(obs)
        single = array.ndim == 1
        if array.ndim not in (1, 2) or array.shape[-1] != self.config.obs_dim:
            raise ConfigError(
                f'observation has shape {array.shape}, '
                f'the policy needs ({self.config.obs_dim},) or (B, {self.config.obs_dim})'
            )
        tensor = torch.as_tensor(array[None] if single else array, device=self.device)
        if deterministic:
            mean, _ = self.actor(tensor)
            action = torch.tanh(mean)
        else:
            action, _, _ = self.actor.sample(tensor, self._act_generator)
        result = action.cpu().numpy()
        return result[0] if single else result

    def state_dict(self) -> dict[str, torch.Tensor]:
        """Everything needed to resume training, as a flat ``dict[str, Tensor]``.

        The layout is :func:`.checkpoint_sac.sac_state_dict`'s (``actor.*``, ``critic.*``,
        ``critic_target.*``, ``log_alpha``, ``optim.*``, ``counters.*``, ``rng.*``).
        """
        return sac_state_dict(self)

    def load_state_dict(self, state: Mapping[str, torch.Tensor]) -> None:
        """Restore from :meth:`state_dict` (:func:`.checkpoint_sac.load_sac_state_dict`).

        Raises:
            CheckpointError: a network or ``log_alpha`` key is missing, unexpected, or
                has another shape (the checkpoint was trained with another config).
        """
        load_sac_state_dict(self, state)

    def actor_state(self) -> dict[str, torch.Tensor]:
        """Return the actor weights only, as detached CPU copies.

        Keys of ``SquashedGaussianActor.state_dict()``: what a policy node needs, e.g. for
        :func:`checkpoint.weights_to_bytes`.
        """
        return {
            key: value.detach().to('cpu', copy=True)
            for key, value in self.actor.state_dict().items()
        }

    def load_actor_state(self, state: Mapping[str, torch.Tensor]) -> None:
        """Load weights from :meth:`actor_state` into the actor.

        Raises:
            CheckpointError: a key is missing or unexpected, or a shape differs.
        """
        load_actor_weights(self.actor, state)
