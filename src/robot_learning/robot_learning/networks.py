"""Neural networks for Soft Actor-Critic: an MLP builder, a tanh-squashed Gaussian actor
and a twin Q critic evaluated as one batched ensemble.

Sources
-------
- Haarnoja, Zhou, Abbeel, Levine, "Soft Actor-Critic: Off-Policy Maximum Entropy Deep
  Reinforcement Learning with a Stochastic Actor", ICML 2018 (arXiv:1801.01290), and
  Haarnoja et al., "Soft Actor-Critic Algorithms and Applications" (arXiv:1812.05905).
  The tanh squashing and its log-likelihood correction are appendix C, eq. 21 of the
  first paper.
- Stable-Baselines3 ``sac/policies.py`` (Actor, ``SquashedDiagGaussianDistribution``)
  and CleanRL ``sac_continuous_action.py`` for the layer layout and defaults.
- Ball, Smith, Kostrikov, Levine, "Efficient Online Reinforcement Learning with Offline
  Data" (RLPD), ICML 2023 (arXiv:2302.02948): LayerNorm after every hidden Dense layer of
  the critic (Dense -> LayerNorm -> ReLU).

Nothing here imports rclpy. Every tensor is float32 unless stated otherwise.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import nn

from .errors import ConfigError

__all__ = [
    'LOG_STD_MAX',
    'LOG_STD_MIN',
    'SquashedGaussianActor',
    'TwinQCritic',
    'mlp',
    'mlp_forward',
    'squashed_gaussian_sample',
    'tanh_log_det_jacobian',
]

#: Bounds of the actor's log standard deviation. [-5, 2] is CleanRL's range
#: (``sac_continuous_action.py``: ``LOG_STD_MIN = -5``, ``LOG_STD_MAX = 2``); SB3 uses
#: [-20, 2] (``sac/policies.py``). Like SB3 we clamp hard (``torch.clamp``); CleanRL maps
#: a tanh output onto the range instead.
LOG_STD_MIN = -5.0
LOG_STD_MAX = 2.0

_LOG_2 = math.log(2.0)
_HALF_LOG_2PI = 0.5 * math.log(2.0 * math.pi)


def _check_dims(**dims: int) -> None:
    for name, value in dims.items():
        if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
            raise ConfigError(f'{name} must be a positive integer, got {value!r}')


def _check_hidden(hidden: Sequence[int]) -> tuple[int, ...]:
    try:
        sizes = tuple(hidden)
    except TypeError:
        raise ConfigError(f'hidden must be a sequence of layer sizes, got {hidden!r}') from None
    for size in sizes:
        if isinstance(size, bool) or not isinstance(size, int) or size <= 0:
            raise ConfigError(f'hidden layer sizes must be positive integers, got {hidden!r}')
    return sizes


def mlp(in_dim: int, hidden: Sequence[int], out_dim: int, layer_norm: bool = False) -> nn.Sequential:
    """Build ``Linear -> [LayerNorm] -> ReLU`` per hidden size, then a final ``Linear``.

    Args:
        in_dim: input features.
        hidden: hidden layer sizes, e.g. ``(256, 256)`` (SB3/CleanRL SAC default); may be
            empty for a single linear layer.
        out_dim: output features (no activation on the output).
        layer_norm: insert ``nn.LayerNorm`` after each hidden Linear, before the ReLU, as
            RLPD (Ball et al. 2023, "Layer Normalization Mitigates Catastrophic Overestimation")
            does in its critics.

    Returns:
        ``nn.Sequential`` mapping ``(..., in_dim)`` to ``(..., out_dim)``; PyTorch's
        default ``nn.Linear`` initialisation (what SB3 and CleanRL use).

    Raises:
        ConfigError: a size is not a positive integer.
    """
    _check_dims(in_dim=in_dim, out_dim=out_dim)
    sizes = _check_hidden(hidden)
    layers: list[nn.Module] = []
    last = in_dim
    for size in sizes:
        layers.append(nn.Linear(last, size))
        if layer_norm:
            layers.append(nn.LayerNorm(size))
        layers.append(nn.ReLU())
        last = size
    layers.append(nn.Linear(last, out_dim))
    return nn.Sequential(*layers)


def mlp_forward(net: nn.Sequential, x: torch.Tensor) -> torch.Tensor:
    """Run an :func:`mlp` with functional calls: same result as ``net(x)``, faster.

    Skips ``nn.Module.__call__`` (hook handling, a few microseconds per layer, which adds
    up over the ~60 layer calls of one SAC update) and applies ReLU in place: neither
    ``addmm`` (Linear) nor ``native_layer_norm`` keeps its output for backward, so the
    in-place ReLU leaves autograd intact and saves one activation buffer per layer.
    Layers other than Linear, LayerNorm and ReLU are called normally.

    Args:
        net: a Sequential as built by :func:`mlp`.
        x: ``(B, in_dim)``.

    Returns:
        ``(B, out_dim)``.
    """
    fresh = False  # x may be the caller's tensor: never modify it in place
    for layer in net:
        kind = type(layer)
        if kind is nn.Linear:
            x = F.linear(x, layer.weight, layer.bias)
            fresh = True
        elif kind is nn.LayerNorm:
            x = F.layer_norm(x, layer.normalized_shape, layer.weight, layer.bias, layer.eps)
            fresh = True
        elif kind is nn.ReLU:
            x = torch.relu_(x) if fresh else torch.relu(x)
        else:
            x = layer(x)
            fresh = False
    return x


def tanh_log_det_jacobian(u: torch.Tensor) -> torch.Tensor:
    """``log(1 - tanh(u)^2)`` elementwise, in the numerically stable form.

    Haarnoja et al. 2018, appendix C, eq. 21 subtracts ``sum_i log(1 - tanh(u_i)^2)`` from
    the Gaussian log-density. ``log(1 - tanh(u)^2) = 2 * (log 2 - u - softplus(-2u))``
    is exact and does not lose precision when ``|u|`` is large (the form used by
    ``torch.distributions.transforms.TanhTransform`` and CleanRL/TF-Agents).

    Args:
        u: pre-squash Gaussian sample, any shape.

    Returns:
        Tensor of the same shape.
    """
    return 2.0 * (_LOG_2 - u - F.softplus(-2.0 * u))


def squashed_gaussian_sample(
    mean: torch.Tensor, log_std: torch.Tensor, eps: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor]:
    """Reparameterised tanh-Gaussian sample and its log-probability.

    ``u = mean + exp(log_std) * eps`` (reparameterisation trick, Haarnoja et al. 2018
    sec. 4.2, eq. 11), ``a = tanh(u)`` and (appendix C, eq. 21)
    ``log pi(a|s) = sum_i [log N(u_i; mean_i, std_i) - log(1 - tanh(u_i)^2)]``.
    Since ``(u - mean) / std == eps`` the Gaussian term is computed from ``eps`` directly.

    Args:
        mean: ``(B, action_dim)`` Gaussian mean.
        log_std: ``(B, action_dim)`` log standard deviation (already clamped).
        eps: ``(B, action_dim)`` standard normal noise.

    Returns:
        ``(action, log_prob)``: action ``(B, action_dim)`` in [-1, 1]; log_prob ``(B,)``
        in nats, the density of ``action`` with respect to Lebesgue measure on (-1, 1)^d.
    """
    u = torch.addcmul(mean, log_std.exp(), eps)
    action = torch.tanh(u)
    # Per dimension: log N(u) - log(1 - tanh(u)^2)
    #   = (-0.5 eps^2 - log_std - 0.5 log 2pi) - 2 (log 2 - u - softplus(-2u))
    #   = 2 (u + softplus(-2u)) - log_std - 0.5 eps^2 - (2 log 2 + 0.5 log 2pi).
    # Written with in-place ops on fresh intermediates (fewer kernel launches); none of
    # them is saved for backward (softplus keeps its input, not its output).
    per_dim = F.softplus(u * -2.0).add_(u).mul_(2.0).sub_(log_std).sub_(eps.square(), alpha=0.5)
    log_prob = per_dim.sum(-1) - (2.0 * _LOG_2 + _HALF_LOG_2PI) * u.shape[-1]
    return action, log_prob


class SquashedGaussianActor(nn.Module):
    """Gaussian policy squashed by tanh into [-1, 1] (SAC actor, Haarnoja et al. 2018).

    Layout: ``mlp(obs_dim, hidden, 2 * action_dim)``; the output is split into mean and
    log standard deviation (SB3 and CleanRL use two heads on the same trunk, which is the
    same function class as one Linear with twice the outputs).

    Args:
        obs_dim: observation features.
        action_dim: action dimensions; actions are normalised to [-1, 1] (the caller
            rescales to physical units, e.g. m/s and rad/s).
        hidden: hidden layer sizes, default ``(256, 256)`` (SB3/CleanRL).

    Raises:
        ConfigError: a size is not a positive integer.
    """

    def __init__(self, obs_dim: int, action_dim: int, hidden: Sequence[int] = (256, 256)) -> None:
        super().__init__()
        _check_dims(obs_dim=obs_dim, action_dim=action_dim)
        self.obs_dim = obs_dim
        self.action_dim = action_dim
        self.hidden = _check_hidden(hidden)
        self.net = mlp(obs_dim, self.hidden, 2 * action_dim, layer_norm=False)

    def forward(self, obs: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Gaussian parameters before squashing.

        Args:
            obs: ``(B, obs_dim)`` float32.

        Returns:
            ``(mean, log_std)``, each ``(B, action_dim)``; log_std clamped to
            [``LOG_STD_MIN``, ``LOG_STD_MAX``] = [-5, 2].
        """
        mean, log_std = mlp_forward(self.net, obs).chunk(2, dim=-1)
        return mean, log_std.clamp(LOG_STD_MIN, LOG_STD_MAX)

    def sample(
        self, obs: torch.Tensor, generator: torch.Generator | None = None
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Reparameterised sample (differentiable with respect to the parameters).

        Args:
            obs: ``(B, obs_dim)`` float32.
            generator: optional ``torch.Generator`` for the Gaussian noise.

        Returns:
            ``(action, log_prob, deterministic_action)``: action ``(B, action_dim)`` in
            [-1, 1]; log_prob ``(B,)`` (nats, tanh-corrected, eq. 21);
            deterministic_action ``tanh(mean)``, ``(B, action_dim)``.
        """
        mean, log_std = self(obs)
        eps = torch.randn(mean.shape, generator=generator, dtype=mean.dtype, device=mean.device)
        action, log_prob = squashed_gaussian_sample(mean, log_std, eps)
        return action, log_prob, torch.tanh(mean)


class TwinQCritic(nn.Module):
    """Two independent Q networks (clipped double Q, Fujimoto et al. 2018 "TD3" sec. 4.2,
    used by SAC: Haarnoja et al. 2018b "practical algorithm") evaluated in one call.

    Members ``q1`` and ``q2`` are each ``mlp(obs_dim + action_dim, hidden, 1, layer_norm)``
    on the concatenated ``[obs, action]`` (built once for both). Measured on CPU, two
    plain MLPs beat one batched-matmul ensemble (``baddbmm`` over stacked weights) for
    256x256 layers: the batched version needs unfused per-member LayerNorm affines and
    its backward transposes batched operands, while the matrix products dominate either
    way (see bench/sac_update.py).

    Args:
        obs_dim: observation features.
        action_dim: action dimensions.
        hidden: hidden layer sizes, default ``(256, 256)``.
        layer_norm: LayerNorm after each hidden Linear, before ReLU (RLPD, Ball et al.
            2023); SB3 and CleanRL have none.

    Raises:
        ConfigError: a size is not a positive integer.
    """

    num_q = 2

    def __init__(
        self,
        obs_dim: int,
        action_dim: int,
        hidden: Sequence[int] = (256, 256),
        layer_norm: bool = True,
    ) -> None:
        super().__init__()
        _check_dims(obs_dim=obs_dim, action_dim=action_dim)
        self.obs_dim = obs_dim
        self.action_dim = action_dim
        self.hidden = _check_hidden(hidden)
        self.layer_norm = bool(layer_norm)
        self.q1 = mlp(obs_dim + action_dim, self.hidden, 1, self.layer_norm)
        self.q2 = mlp(obs_dim + action_dim, self.hidden, 1, self.layer_norm)

    def q_values(self, obs: torch.Tensor, action: torch.Tensor) -> torch.Tensor:
        """Both Q values stacked.

        Args:
            obs: ``(B, obs_dim)`` float32.
            action: ``(B, action_dim)`` float32 in [-1, 1].

        Returns:
            ``(2, B)`` float32: row 0 is Q1, row 1 is Q2.
        """
        x = torch.cat((obs, action), dim=-1)
        return torch.cat((mlp_forward(self.q1, x), mlp_forward(self.q2, x)), dim=-1).T

    def forward(self, obs: torch.Tensor, action: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """``(q1, q2)``, each ``(B,)`` float32; arguments as in :meth:`q_values`."""
        x = torch.cat((obs, action), dim=-1)
        return mlp_forward(self.q1, x).squeeze(-1), mlp_forward(self.q2, x).squeeze(-1)
