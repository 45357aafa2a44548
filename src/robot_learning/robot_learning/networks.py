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
            RLPD (Ball et al. 2023, sec. 4 "Layer Normalization") does in its critics.

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
    u = mean + log_std.exp() * eps
    action = torch.tanh(u)
    # -0.5 eps^2 - log_std - 0.5 log(2 pi) - 2 (log 2 - u - softplus(-2u)), summed over dims.
    per_dim = (eps.square() * -0.5 - log_std) - tanh_log_det_jacobian(u)
    log_prob = per_dim.sum(-1) - _HALF_LOG_2PI * u.shape[-1]
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
        mean, log_std = self.net(obs).chunk(2, dim=-1)
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


class _EnsembleLinear(nn.Module):
    """``n`` independent Linear layers applied to ``(n, B, in)`` with one ``baddbmm``.

    Each member is initialised exactly like ``nn.Linear(in, out)``:
    U(-1/sqrt(in), 1/sqrt(in)) for weight and bias (kaiming_uniform with a = sqrt(5)).
    ``weight`` is ``(n, in, out)``, ``bias`` ``(n, 1, out)``.
    """

    def __init__(self, n: int, in_dim: int, out_dim: int) -> None:
        super().__init__()
        bound = 1.0 / math.sqrt(in_dim)
        self.weight = nn.Parameter(torch.empty(n, in_dim, out_dim).uniform_(-bound, bound))
        self.bias = nn.Parameter(torch.empty(n, 1, out_dim).uniform_(-bound, bound))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.baddbmm(self.bias, x, self.weight)


class TwinQCritic(nn.Module):
    """Two independent Q networks (clipped double Q, Fujimoto et al. 2018 "TD3" sec. 4.1,
    used by SAC: Haarnoja et al. 2018b sec. 5) evaluated together.

    Each member is ``mlp(obs_dim + action_dim, hidden, 1, layer_norm)``; the two are
    stored as stacked weights and computed with batched matrix products, so one forward
    yields both Q values (the same function as two separate MLPs, at about half the
    kernel launches). The first layer, whose input is shared, is one matrix product with
    the weights of both members side by side.

    Args:
        obs_dim: observation features.
        action_dim: action dimensions.
        hidden: hidden layer sizes, default ``(256, 256)``; at least one layer.
        layer_norm: LayerNorm (with learned scale and shift) after each hidden Linear,
            before ReLU (RLPD, Ball et al. 2023).

    Raises:
        ConfigError: a size is not a positive integer or ``hidden`` is empty.
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
        sizes = _check_hidden(hidden)
        if not sizes:
            raise ConfigError('critic hidden must have at least one layer')
        self.obs_dim = obs_dim
        self.action_dim = action_dim
        self.hidden = sizes
        self.layer_norm = bool(layer_norm)
        n = self.num_q
        in_dim = obs_dim + action_dim
        # First layer: weight (in, n, h0) so that .view(in, n * h0) is one matmul.
        bound = 1.0 / math.sqrt(in_dim)
        self.in_weight = nn.Parameter(torch.empty(in_dim, n, sizes[0]).uniform_(-bound, bound))
        self.in_bias = nn.Parameter(torch.empty(n, sizes[0]).uniform_(-bound, bound))
        self.layers = nn.ModuleList(
            _EnsembleLinear(n, a, b) for a, b in zip(sizes[:-1], sizes[1:], strict=True)
        )
        self.out = _EnsembleLinear(n, sizes[-1], 1)
        if self.layer_norm:
            self.ln_weight = nn.ParameterList(nn.Parameter(torch.ones(n, 1, s)) for s in sizes)
            self.ln_bias = nn.ParameterList(nn.Parameter(torch.zeros(n, 1, s)) for s in sizes)

    def _norm_relu(self, h: torch.Tensor, i: int) -> torch.Tensor:
        if self.layer_norm:
            h = F.layer_norm(h, h.shape[-1:])
            h = torch.addcmul(self.ln_bias[i], h, self.ln_weight[i])
        return F.relu(h)

    def q_values(self, obs: torch.Tensor, action: torch.Tensor) -> torch.Tensor:
        """Both Q values stacked.

        Args:
            obs: ``(B, obs_dim)`` float32.
            action: ``(B, action_dim)`` float32 in [-1, 1].

        Returns:
            ``(2, B)`` float32: row 0 is Q1, row 1 is Q2.
        """
        x = torch.cat((obs, action), dim=-1)
        n, h0 = self.num_q, self.hidden[0]
        h = torch.addmm(self.in_bias.view(n * h0), x, self.in_weight.view(-1, n * h0))
        h = h.view(-1, n, h0).transpose(0, 1)  # (n, B, h0)
        h = self._norm_relu(h, 0)
        for i, layer in enumerate(self.layers, start=1):
            h = self._norm_relu(layer(h), i)
        return self.out(h).squeeze(-1)

    def forward(self, obs: torch.Tensor, action: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """``(q1, q2)``, each ``(B,)`` float32; arguments as in :meth:`q_values`."""
        q = self.q_values(obs, action)
        return q[0], q[1]
