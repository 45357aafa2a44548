# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 robot_learning maintainers
"""Neural networks for Soft Actor-Critic.

An MLP builder, a tanh-squashed Gaussian actor and an ensemble of Q critics (the twin
critic of SAC, or REDQ's ten).

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
- Chen, Wang, Zhou, Ross, "Randomized Ensembled Double Q-Learning" (REDQ), ICLR 2021
  (arXiv:2101.05982): an ensemble of N critics of which a random subset forms the target.

Nothing here imports rclpy. Every tensor is float32 unless stated otherwise.
"""

from __future__ import annotations

from collections.abc import Sequence
import math
from typing import Any

from robot_learning.errors import ConfigError
import torch
from torch import nn
import torch.nn.functional as F

__all__ = [
    'BATCHED_MIN_MEMBERS',
    'FilmConvImage',
    'LOG_STD_MAX',
    'LOG_STD_MIN',
    'QEnsemble',
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


def mlp(
    in_dim: int, hidden: Sequence[int], out_dim: int, layer_norm: bool = False
) -> nn.Sequential:
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


class FilmConvImage:
    """Mixin of an ``nn.Module``: a strided conv image encoder, optionally FiLM-modulated.

    Shared by camera BC (``algos/bc/modeling_bc.py``) and the reward classifier. The
    layers live on the owning module as ``convs``, ``films`` and ``img_fc`` (the
    state-dict names checkpoints already hold). Each 3x3 conv (padding 1) is followed,
    when FiLM is on, by ``x * (1 + delta) + beta`` with (delta, beta) a linear map of the
    text embedding (FiLM, Perez et al. 2018 eq. 1; initialised to the identity), then a
    ReLU; the flattened map goes through ``img_fc`` and a ReLU.
    """

    def build_image_encoder(
        self,
        in_channels: int,
        channels: Sequence[int],
        strides: Sequence[int],
        image_hw: tuple[int, int],
        features: int,
        film_text_dim: int = 0,
    ) -> int:
        """Create the layers for (B, in_channels, H, W) images; return ``features``.

        Args:
            in_channels: input channels (3 per stacked RGB frame).
            channels: output channels of each conv layer.
            strides: stride of each conv layer (same length as ``channels``).
            image_hw: (height, width) px of the input.
            features: output width of ``img_fc``.
            film_text_dim: width of the text embedding modulating each layer (0: no FiLM).
        """
        chans = [in_channels, *channels]
        self.convs = nn.ModuleList(
            nn.Conv2d(a, b, 3, stride=s, padding=1)
            for a, b, s in zip(chans[:-1], chans[1:], strides)
        )
        self.films = (
            nn.ModuleList(nn.Linear(film_text_dim, 2 * c) for c in channels)
            if film_text_dim
            else None
        )
        if self.films is not None:
            for lin in self.films:  # start as the identity modulation
                nn.init.zeros_(lin.weight)
                nn.init.zeros_(lin.bias)
        h, w = image_hw
        for s in strides:
            h, w = (h - 1) // s + 1, (w - 1) // s + 1
        self.img_fc = nn.Linear(channels[-1] * h * w, features)
        return features

    def conv_map(self, x: torch.Tensor, text: torch.Tensor | None) -> torch.Tensor:
        """Return the last conv layer's map, float (B, C, h, w), of images (B, C, H, W)."""
        for i, conv in enumerate(self.convs):
            x = conv(x)
            if self.films is not None:
                delta, beta = self.films[i](text)[:, :, None, None].chunk(2, dim=1)
                x = x * (1.0 + delta) + beta
            x = F.relu(x)
        return x

    def encode_image(self, x: torch.Tensor, text: torch.Tensor | None) -> torch.Tensor:
        """Return float (B, features) from images float (B, C, H, W) and text (B, D)."""
        return F.relu(self.img_fc(self.conv_map(x, text).flatten(1)))


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
        """Draw reparameterised actions (differentiable with respect to the parameters).

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


def _stacked_name(index: int, kind: str) -> str:
    return f'{kind}{index}'


def _ensemble_state_dict_post_hook(
    module: QEnsemble, state_dict: dict, prefix: str, local_metadata: Any
) -> None:
    """Report a batched ensemble's stacked ``(N, ...)`` parameters under loop-layout keys.

    The keys are those of the loop layout (``q{i}.{layer}.weight``), so checkpoints name
    members the same way whichever implementation wrote them.
    """
    if not module.batched:
        return
    stacked = {}
    for index, kind in module._param_slots:
        key = f'{prefix}stacked.{_stacked_name(index, kind)}'
        stacked[(index, kind)] = state_dict.pop(key)
    for member in range(module.num_q):
        for index, kind in module._param_slots:
            name = 'weight' if kind == 'w' else 'bias'
            state_dict[f'{prefix}q{member + 1}.{index}.{name}'] = stacked[(index, kind)][member]


def _ensemble_load_pre_hook(module: QEnsemble, state_dict: dict, prefix: str, *args: Any) -> None:
    """Inverse of :func:`_ensemble_state_dict_post_hook`: stack the member keys.

    Keys that are missing or do not stack are left alone, so ``load_state_dict`` reports them.
    """
    if not module.batched:
        return
    for index, kind in module._param_slots:
        name = 'weight' if kind == 'w' else 'bias'
        keys = [f'{prefix}q{member + 1}.{index}.{name}' for member in range(module.num_q)]
        if not all(key in state_dict for key in keys):
            continue
        try:
            value = torch.stack([torch.as_tensor(state_dict[key]) for key in keys])
        except RuntimeError:
            continue
        for key in keys:
            del state_dict[key]
        state_dict[f'{prefix}stacked.{_stacked_name(index, kind)}'] = value


#: Ensembles of at least this many members run batched when ``QEnsemble(batched=None)``;
#: ``None`` = never. On CPU the loop is faster for 2 and for 10 members (measured, see
#: :class:`QEnsemble`), hence ``None``; bench/sac_update.py sets it to time the batched
#: version (``--ensemble 10``), e.g. on an accelerator, where it was not measured.
BATCHED_MIN_MEMBERS: int | None = None


class QEnsemble(nn.Module):
    """Ensemble of ``N`` independent Q networks on ``[obs, action]``, evaluated in one call.

    The twin critic of clipped double Q (``N = 2``, Fujimoto et al. 2018 "TD3" sec. 4.2,
    used by SAC: Haarnoja et al. 2018b "practical algorithm") and the REDQ ensemble (Chen,
    Wang, Zhou, Ross, "Randomized Ensembled Double Q-Learning: Learning Fast Without a
    Model", ICLR 2021, arXiv:2101.05982, Alg. 1: ``N = 10``).

    Each member is ``mlp(obs_dim + action_dim, hidden, 1, layer_norm)``; members are
    initialised one after the other from the global torch RNG (PyTorch's default
    ``nn.Linear`` init), so both implementations below start from the same weights.

    Two implementations, same function and same ``state_dict`` keys
    (``q1.0.weight``, ``q1.0.bias``, ..., ``qN.<layer>.bias``, the indices of the
    :func:`mlp` Sequential; for ``N = 2`` exactly the keys of the original twin critic):

    - loop (the default): members are plain :func:`mlp` modules ``q1..qN`` run one
      after the other by :func:`mlp_forward`.
    - batched (``batched=True``): each layer's weights of all members are one
      ``(N, out, in)`` parameter (``stacked.w<layer>``; biases and LayerNorm affines
      ``(N, out)``, ``stacked.b<layer>``), a layer is one ``baddbmm`` for all members
      (the first, whose input all members share, one ``linear``), LayerNorm is the
      fused normalisation plus a per-member affine. ``state_dict`` hooks translate
      between the stacked tensors and the member keys.

    Measured on CPU (bench/sac_update.py, 256x256, batch 256, obs 17, action 6,
    1 thread, 2 shared cores; one full SAC update, N = 10, M = 2): loop 33.6 ms,
    batched 49.1 ms without LayerNorm, 37.0 and 55.9 ms with it (the twin critic,
    N = 2: 9.9 and 11.5 ms). The batched products are
    no faster than the per-member ones here (one ``(10, 256, 256)`` ``bmm`` 4.5 ms,
    ten ``mm`` 4.4 ms), while the ``(N, B, hidden)`` intermediates cost extra copies
    and page faults in the backward; ``torch.func.vmap`` over
    ``stack_module_state`` was no better (critic forward + backward: loop 15.3 ms,
    ``baddbmm`` 19.0 ms, vmap 18.5 ms). With 2 members the loop was already the
    faster one. On a GPU, where kernel launches dominate, the batched version may win
    (not measured: no GPU here).

    Args:
        obs_dim: observation features.
        action_dim: action dimensions.
        hidden: hidden layer sizes, default ``(256, 256)``.
        layer_norm: LayerNorm after each hidden Linear, before ReLU (RLPD, Ball et al.
            2023); SB3 and CleanRL have none.
        num_q: ensemble size ``N >= 1``.
        batched: ``True`` for the batched implementation; ``None`` (default) batches
            when ``BATCHED_MIN_MEMBERS`` is set and ``num_q`` reaches it.

    Attributes:
        num_q: ``N``.
        batched: which implementation runs.

    Raises:
        ConfigError: a size is not a positive integer.
    """

    def __init__(
        self,
        obs_dim: int,
        action_dim: int,
        hidden: Sequence[int] = (256, 256),
        layer_norm: bool = True,
        num_q: int = 2,
        batched: bool | None = None,
    ) -> None:
        super().__init__()
        _check_dims(obs_dim=obs_dim, action_dim=action_dim, num_q=num_q)
        self.obs_dim = obs_dim
        self.action_dim = action_dim
        self.hidden = _check_hidden(hidden)
        self.layer_norm = bool(layer_norm)
        self.num_q = num_q
        if batched is None:
            batched = BATCHED_MIN_MEMBERS is not None and num_q >= BATCHED_MIN_MEMBERS
        self.batched = bool(batched)
        members = [
            mlp(obs_dim + action_dim, self.hidden, 1, self.layer_norm) for _ in range(num_q)
        ]
        if not self.batched:
            for i, member in enumerate(members):
                self.add_module(f'q{i + 1}', member)
            return
        # (layer index, 'w' | 'b') for every parameter of a member, in Sequential order,
        # and the layer kinds the batched forward runs through.
        self._param_slots: list[tuple[int, str]] = []
        self._layers: list[tuple[str, int]] = []
        self.stacked = nn.Module()
        for index, layer in enumerate(members[0]):
            if isinstance(layer, (nn.Linear, nn.LayerNorm)):
                kind = 'linear' if isinstance(layer, nn.Linear) else 'layer_norm'
                self._layers.append((kind, index))
                for slot, attr in (('w', 'weight'), ('b', 'bias')):
                    value = torch.stack([getattr(m[index], attr).detach() for m in members])
                    self.stacked.register_parameter(
                        _stacked_name(index, slot), nn.Parameter(value)
                    )
                    self._param_slots.append((index, slot))
            elif isinstance(layer, nn.ReLU):
                self._layers.append(('relu', index))
            else:  # pragma: no cover - mlp builds only these three
                raise TypeError(f'QEnsemble cannot batch layer {type(layer).__name__}')
        self._ln_eps = next((m.eps for m in members[0] if isinstance(m, nn.LayerNorm)), 1e-5)
        self.register_state_dict_post_hook(_ensemble_state_dict_post_hook)
        self.register_load_state_dict_pre_hook(_ensemble_load_pre_hook)

    def _members(self, members: Sequence[int] | torch.Tensor | None) -> list[int] | None:
        if members is None:
            return None
        index = (
            members.tolist() if isinstance(members, torch.Tensor) else [int(m) for m in members]
        )
        return None if index == list(range(self.num_q)) else index

    def _batched_q(self, x: torch.Tensor, members: torch.Tensor | None) -> torch.Tensor:
        params = self.stacked._parameters
        first = True
        count = self.num_q if members is None else members.numel()
        for kind, index in self._layers:
            if kind == 'relu':
                x = torch.relu_(x)
                continue
            weight = params[_stacked_name(index, 'w')]
            bias = params[_stacked_name(index, 'b')]
            if members is not None:
                weight, bias = weight.index_select(0, members), bias.index_select(0, members)
            if kind == 'layer_norm':
                # Normalise without affine (fused kernel), then each member's own affine.
                x = F.layer_norm(x, x.shape[-1:], None, None, self._ln_eps)
                x = torch.addcmul(bias.unsqueeze(1), x, weight.unsqueeze(1))
            elif first:
                # All members read the same input: one (B, in) x (in, N * out) product.
                out = weight.shape[1]
                x = F.linear(x, weight.reshape(count * out, -1), bias.reshape(count * out))
                x = x.view(x.shape[0], count, out).transpose(0, 1)
                first = False
            else:
                x = torch.baddbmm(bias.unsqueeze(1), x, weight.transpose(1, 2))
        return x.squeeze(-1)

    def q_values(
        self,
        obs: torch.Tensor,
        action: torch.Tensor,
        members: Sequence[int] | torch.Tensor | None = None,
    ) -> torch.Tensor:
        """Q values of the members, stacked.

        Args:
            obs: ``(B, obs_dim)`` float32.
            action: ``(B, action_dim)`` float32 in [-1, 1].
            members: optional 0-based member indices (a sequence of ints or a 1-D int64
                tensor, e.g. REDQ's random subset); ``None`` = all, in order.

        Returns:
            ``(N, B)`` float32 (``(len(members), B)`` with ``members``): row ``i`` is
            member ``i + 1`` (or ``members[i] + 1``).
        """
        x = torch.cat((obs, action), dim=-1)
        if self.batched:
            if members is not None:
                members = torch.as_tensor(members, dtype=torch.int64).to(
                    x.device, non_blocking=True
                )
                if members.numel() == self.num_q and bool(
                    (members == torch.arange(self.num_q, device=x.device)).all()
                ):
                    members = None
            return self._batched_q(x, members)
        index = self._members(members)
        nets = [
            getattr(self, f'q{i + 1}') for i in (range(self.num_q) if index is None else index)
        ]
        return torch.cat([mlp_forward(net, x) for net in nets], dim=-1).T

    def forward(self, obs: torch.Tensor, action: torch.Tensor) -> tuple[torch.Tensor, ...]:
        """``(q1, ..., qN)``, each ``(B,)`` float32; arguments as in :meth:`q_values`."""
        if self.batched:
            return tuple(self.q_values(obs, action).unbind(0))
        x = torch.cat((obs, action), dim=-1)
        return tuple(
            mlp_forward(getattr(self, f'q{i + 1}'), x).squeeze(-1) for i in range(self.num_q)
        )


class TwinQCritic(QEnsemble):
    """Two independent Q networks ``q1``, ``q2``: a :class:`QEnsemble` with ``num_q = 2``.

    Clipped double Q (Fujimoto et al. 2018 "TD3" sec. 4.2, used by SAC: Haarnoja et al.
    2018b "practical algorithm"), loop implementation (the fastest for two members on CPU;
    see :class:`QEnsemble`).

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
        super().__init__(obs_dim, action_dim, hidden, layer_norm, num_q=2, batched=False)
