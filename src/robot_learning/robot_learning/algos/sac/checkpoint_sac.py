# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 robot_learning maintainers
"""The SAC checkpoint layout: tensor keys, sidecar fields, save and load.

Every SAC checkpoint (online :class:`~.online.OnlineLearner`, the ``sac_learner`` node on
top of it, offline :class:`~robot_learning.algos.offline_rl.SACPretrainer`) is a
:mod:`robot_learning.common.checkpoint` directory (``model.safetensors`` +
``checkpoint.json``) laid out as follows; this module is the one place that writes and
reads it.

Tensors (safetensors, float32 unless noted):

- ``actor.*``: the actor (:class:`~robot_learning.common.networks.SquashedGaussianActor`
  ``state_dict``), what :class:`robot_learning.policy.ActorPolicy` loads (``ACTOR_PREFIX``).
- ``sac.*``: the full :func:`sac_state_dict`, what training continues from:
  ``sac.actor.*``, ``sac.critic.*``, ``sac.critic_target.*`` (module state dicts; twin
  critics ``critic.q1.*``/``critic.q2.*``, an ensemble ``critic.members.*`` or batched
  weights), ``sac.log_alpha`` (scalar), ``sac.optim.critic.*`` / ``sac.optim.actor.*``
  (Adam state per parameter index, ``state.<i>.<name>``, and float64
  ``param_groups.<g>.lr|betas|eps|weight_decay``; the actor optimiser's group 1 is
  ``log_alpha``; ``optim.critic.batched`` int64 1 for a batched ensemble),
  ``sac.counters.num_updates|critic_updates|actor_updates`` (int64 scalars) and
  ``sac.rng.update|act[|subset]`` (uint8 torch generator states; left out when trained on
  another device than the CPU, since they do not fit a CPU generator).
- ``buffer.online.*``, ``buffer.demo.*`` (learner states only): the replay buffers'
  :meth:`~robot_learning.data.buffers.ReplayBuffer.state` arrays.

Sidecar (:func:`sac_metadata`): the fields of :func:`robot_learning.policy.policy_metadata`
(``algorithm: 'sac'``, observation and action spec, ``actor_hidden``, normalisation),
``sac_config`` (:meth:`SACConfig.to_dict`, ``device`` always ``'cpu'``), ``version``
(weights version), ``env_steps`` (transitions received; 0 offline), ``updates``,
``demo_episodes``; the online learner adds ``init_from``, offline pretraining
``pretrained: 'offline'`` and ``dataset`` (training-split statistics). A learner state
(``checkpoints/latest``) also has ``learner_state: true``, ``wall_s``,
``robot_transitions`` (label -> count), ``best_training_success_so_far`` and
``recent_success`` (the rolling window); ``checkpoints/best`` (actor and SAC state, no
buffers) has ``best_training_success``.

Loading (:func:`load_sac_state`) checks the spec and the network options first (one-line
:class:`~robot_learning.errors.CheckpointError` naming the mismatch), loads ``sac.*`` and
then puts the loading config's learning rates back: the Adam state continues, the
hyperparameters in force are the caller's.

Nothing here imports rclpy.
"""

from __future__ import annotations

from collections.abc import Mapping
import json
import os
from pathlib import Path
from typing import Any

import numpy as np
from robot_learning.common.checkpoint import (
    ACTOR_PREFIX,
    check_spec,
    load_checkpoint,
    METADATA_FILE,
    policy_metadata,
    save_checkpoint,
)
from robot_learning.errors import CheckpointError
import torch

__all__ = [
    'ACTOR_PREFIX',
    'BUFFER_PREFIX',
    'SAC_PREFIX',
    'buffer_states',
    'checkpoint_tensors',
    'expected_spec',
    'latest_learner_state',
    'load_actor_weights',
    'load_sac_state',
    'load_sac_state_dict',
    'prefixed',
    'read_checkpoint',
    'restore_learning_rates',
    'sac_metadata',
    'sac_state_dict',
    'save_sac_state',
]

#: Prefix of the full SAC state (:func:`sac_state_dict`) in a checkpoint.
SAC_PREFIX = 'sac.'
#: Prefixes of the replay buffers in a learner state, by buffer name.
BUFFER_PREFIX = {'online': 'buffer.online.', 'demo': 'buffer.demo.'}
_COUNTERS = ('num_updates', 'critic_updates', 'actor_updates')
#: Network options a saved SAC state must share with the config loading it (defaults of
#: sidecars written before the option existed).
_NETWORK_FIELDS = {'hidden': None, 'critic_layer_norm': None, 'num_critics': 2}


def prefixed(tensors: Mapping[str, torch.Tensor], prefix: str) -> dict[str, torch.Tensor]:
    """Return the entries of ``tensors`` under ``prefix``, with the prefix removed."""
    return {k[len(prefix):]: v for k, v in tensors.items() if k.startswith(prefix)}


# ----------------------------------------------------------------------------- SAC state


def _flatten_optimizer(
    prefix: str, optimizer: torch.optim.Optimizer, out: dict[str, torch.Tensor]
) -> None:
    state = optimizer.state_dict()
    for index, param_state in state['state'].items():
        for key, value in param_state.items():
            tensor = value if isinstance(value, torch.Tensor) else torch.tensor(value)
            out[f'{prefix}.state.{index}.{key}'] = tensor.detach().clone()
    for g, group in enumerate(state['param_groups']):
        for key in ('lr', 'betas', 'eps', 'weight_decay'):
            if key in group:
                value = group[key]
                value = value.detach().clone() if isinstance(value, torch.Tensor) else value
                out[f'{prefix}.param_groups.{g}.{key}'] = torch.as_tensor(
                    value, dtype=torch.float64
                ).clone()


def _unflatten_optimizer(
    prefix: str, optimizer: torch.optim.Optimizer, flat: Mapping[str, torch.Tensor]
) -> None:
    template = optimizer.state_dict()
    state: dict[int, dict[str, torch.Tensor]] = {}
    head = f'{prefix}.state.'
    for key, value in flat.items():
        if key.startswith(head):
            index, _, name = key[len(head):].partition('.')
            state.setdefault(int(index), {})[name] = value
    for g, group in enumerate(template['param_groups']):
        for key in ('lr', 'betas', 'eps', 'weight_decay'):
            name = f'{prefix}.param_groups.{g}.{key}'
            if name in flat and key in group:
                value = flat[name]
                group[key] = (
                    tuple(float(v) for v in value.tolist()) if key == 'betas' else float(value)
                )
    template['state'] = state
    optimizer.load_state_dict(template)


def sac_state_dict(sac: Any) -> dict[str, torch.Tensor]:
    """Everything needed to resume training a :class:`~.modeling_sac.SAC`, flat.

    Keys (module docstring, without the ``sac.`` prefix): ``actor.*``, ``critic.*``,
    ``critic_target.*``, ``log_alpha``, ``optim.critic.*`` / ``optim.actor.*``,
    ``counters.*`` and ``rng.*`` (``rng.subset`` only when ``num_target_critics <
    num_critics``). Every value is a detached tensor copy, safe for
    ``safetensors.torch.save_file``.
    """
    out: dict[str, torch.Tensor] = {}
    for prefix, module in _modules(sac):
        for key, value in module.state_dict().items():
            out[f'{prefix}.{key}'] = value.detach().clone()
    out['log_alpha'] = sac.log_alpha.detach().clone()
    _flatten_optimizer('optim.critic', sac.critic_optimizer, out)
    _flatten_optimizer('optim.actor', sac.actor_optimizer, out)
    if getattr(sac.critic, 'batched', False):
        # The flat Adam state of a batched ensemble is laid out layer by layer, that of
        # the loop ensemble member by member: mark it so that they are not mixed up.
        out['optim.critic.batched'] = torch.tensor(1, dtype=torch.int64)
    for name in _COUNTERS:
        out[f'counters.{name}'] = torch.tensor(getattr(sac, name), dtype=torch.int64)
    for key, generator in _generators(sac):
        out[key] = generator.get_state().clone()
    return out


def _modules(sac: Any) -> tuple[tuple[str, torch.nn.Module], ...]:
    return (('actor', sac.actor), ('critic', sac.critic), ('critic_target', sac.critic_target))


def _generators(sac: Any) -> list[tuple[str, torch.Generator]]:
    out = [('rng.update', sac._generator), ('rng.act', sac._act_generator)]
    if sac._subset:
        out.append(('rng.subset', sac._subset_generator))
    return out


def _check_keys(sac: Any, state: Mapping[str, torch.Tensor]) -> None:
    known_prefixes = ('optim.critic.', 'optim.actor.', 'counters.', 'rng.')
    expected = {'log_alpha': sac.log_alpha.shape}
    for prefix, module in _modules(sac):
        for key, value in module.state_dict().items():
            expected[f'{prefix}.{key}'] = value.shape
    has_critic = any(key.startswith('critic.') for key in state)
    for key, shape in expected.items():
        if key not in state:
            if has_critic and key.startswith(('critic.', 'critic_target.')):
                raise CheckpointError(
                    f'SAC state has no {key!r}: the checkpoint was trained with other '
                    'num_critics/critic_layer_norm/hidden'
                )
            raise CheckpointError(
                f'SAC state has no {key!r}: the checkpoint is not a full SAC state'
            )
        if tuple(state[key].shape) != tuple(shape):
            raise CheckpointError(
                f'SAC state {key!r} has shape {tuple(state[key].shape)}, this config needs '
                f'{tuple(shape)}: the checkpoint was trained with other '
                'obs_dim/action_dim/hidden/critic_layer_norm'
            )
    for key in state:
        if key not in expected and not key.startswith(known_prefixes):
            hint = (
                ' (trained with other num_critics/critic_layer_norm)'
                if key.startswith('critic')
                else ''
            )
            raise CheckpointError(f'SAC state has unexpected key {key!r}{hint}')
    has_critic_optim = any(key.startswith('optim.critic.state.') for key in state)
    batched_key = 'optim.critic.batched'
    saved_batched = bool(int(state[batched_key])) if batched_key in state else False
    if has_critic_optim and saved_batched != bool(getattr(sac.critic, 'batched', False)):
        raise CheckpointError(
            'SAC state holds the critic Adam state of a '
            f'{"batched" if saved_batched else "loop"} critic ensemble, this SAC runs the '
            'other one: set networks.BATCHED_MIN_MEMBERS as when it was saved'
        )


def load_sac_state_dict(sac: Any, state: Mapping[str, torch.Tensor]) -> None:
    """Restore a :class:`~.modeling_sac.SAC` from :func:`sac_state_dict`, in place.

    Optimiser hyperparameters come back as saved (see :func:`restore_learning_rates`);
    missing ``counters.*``/``rng.*`` keys leave those untouched.

    Raises:
        CheckpointError: a network or ``log_alpha`` key is missing, unexpected, or has
            another shape (the checkpoint was trained with another config), or the
            optimiser or generator state does not fit (one line).
    """
    _check_keys(sac, state)
    with torch.no_grad():
        for prefix, module in _modules(sac):
            module.load_state_dict({k: state[f'{prefix}.{k}'] for k in module.state_dict()})
        sac.log_alpha.copy_(state['log_alpha'])
    try:
        _unflatten_optimizer('optim.critic', sac.critic_optimizer, state)
        _unflatten_optimizer('optim.actor', sac.actor_optimizer, state)
    except (ValueError, KeyError, RuntimeError) as exc:
        message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise CheckpointError(f'SAC optimizer state does not fit this config: {message}') from None
    for name in _COUNTERS:
        if f'counters.{name}' in state:
            setattr(sac, name, int(state[f'counters.{name}']))
    generators = dict(_generators(sac))
    generators.setdefault('rng.subset', sac._subset_generator)
    for key, generator in generators.items():
        if key in state:
            try:
                generator.set_state(state[key].to(torch.uint8).cpu())
            except RuntimeError:
                raise CheckpointError(
                    f'SAC state {key!r} is not a generator state of this device'
                ) from None


def load_actor_weights(actor: torch.nn.Module, state: Mapping[str, torch.Tensor]) -> None:
    """Copy ``state`` (keys of ``actor.state_dict()``) into ``actor`` in place.

    Raises:
        CheckpointError: a key is missing or unexpected, or a shape differs (one line).
    """
    own = actor.state_dict()
    for key, value in own.items():
        if key not in state:
            raise CheckpointError(f'actor weights have no {key!r}')
        if tuple(state[key].shape) != tuple(value.shape):
            raise CheckpointError(
                f'actor weight {key!r} has shape {tuple(state[key].shape)}, this policy needs '
                f'{tuple(value.shape)}'
            )
    for key in state:
        if key not in own:
            raise CheckpointError(f'actor weights have unexpected key {key!r}')
    with torch.no_grad():
        actor.load_state_dict({key: state[key] for key in own})


def restore_learning_rates(sac: Any) -> None:
    """Put ``sac.config``'s learning rates back on its optimisers.

    :func:`load_sac_state_dict` restores the saved Adam hyperparameters with the moments;
    the config of the process that continues training governs.
    """
    cfg = sac.config
    for group, lr in (
        (sac.critic_optimizer.param_groups[0], cfg.critic_lr),
        (sac.actor_optimizer.param_groups[0], cfg.actor_lr),
        (sac.actor_optimizer.param_groups[1], cfg.alpha_lr),
    ):
        group['lr'] = lr


# ----------------------------------------------------------------------------- files


def checkpoint_tensors(
    sac: Any, buffers: Mapping[str, Mapping[str, np.ndarray] | None] | None = None
) -> dict[str, torch.Tensor]:
    """Return the tensors of a SAC checkpoint: ``actor.*``, ``sac.*`` and ``buffer.<name>.*``.

    Args:
        sac: a :class:`~.modeling_sac.SAC`.
        buffers: buffer name (``'online'``, ``'demo'``) -> its ``ReplayBuffer.state()``
            arrays; ``None`` entries are left out.

    Returns:
        Detached tensor copies (``rng.*`` left out off the CPU).
    """
    state = sac_state_dict(sac)
    if sac.device.type != 'cpu':  # a CUDA generator state does not fit a CPU generator
        state = {k: v for k, v in state.items() if not k.startswith('rng.')}
    tensors = {ACTOR_PREFIX + k: v for k, v in sac.actor_state().items()}
    tensors.update({SAC_PREFIX + k: v for k, v in state.items()})
    for name, arrays in (buffers or {}).items():
        for k, v in (arrays or {}).items():
            tensors[BUFFER_PREFIX[name] + k] = torch.from_numpy(np.ascontiguousarray(v))
    return tensors


def sac_metadata(obs_cfg: Any, act_cfg: Any, sac_cfg: Any, **fields: Any) -> dict[str, Any]:
    """Return the sidecar of a SAC checkpoint (module docstring), with ``fields`` added.

    Args:
        obs_cfg: observation spec (``to_dict``, ``dim``).
        act_cfg: action spec (``to_dict``, ``dim``).
        sac_cfg: the :class:`SACConfig` trained with.
        fields: further sidecar fields (``version``, ``env_steps``, ``updates``, ...).
    """
    sac_config = sac_cfg.to_dict()
    sac_config['device'] = 'cpu'
    meta = policy_metadata(obs_cfg, act_cfg, sac_cfg.hidden, 'sac', sac_config=sac_config)
    meta.update(fields)  # a caller's field overrides one of the same name
    return meta


def save_sac_state(
    path: str | os.PathLike[str],
    sac: Any,
    obs_cfg: Any,
    act_cfg: Any,
    buffers: Mapping[str, Mapping[str, np.ndarray] | None] | None = None,
    **fields: Any,
) -> Path:
    """Write a SAC checkpoint directory atomically.

    Tensors of :func:`checkpoint_tensors`, sidecar of :func:`sac_metadata` with ``fields``.


    Raises:
        CheckpointError: the directory cannot be written (one line).
    """
    tensors = checkpoint_tensors(sac, buffers)
    meta = sac_metadata(obs_cfg, act_cfg, sac.config, **fields)
    return save_checkpoint(Path(path), tensors, meta)


def expected_spec(obs_cfg: Any, act_cfg: Any) -> dict[str, Any]:
    """Return the sidecar fields a checkpoint must match for this spec (``check_spec``)."""
    expected: dict[str, Any] = {'obs_dim': obs_cfg.dim, 'action_dim': act_cfg.dim}
    expected.update({f'observation.{k}': v for k, v in obs_cfg.to_dict().items()})
    expected.update({f'action.{k}': v for k, v in act_cfg.to_dict().items()})
    return expected


def read_checkpoint(
    path: str | os.PathLike[str], obs_cfg: Any, act_cfg: Any, sac_only: str = ''
) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
    """Load a checkpoint's tensors and sidecar, refused unless trained on this spec.

    Args:
        path: checkpoint directory.
        obs_cfg, act_cfg: the spec it must have been trained on.
        sac_only: when set (what and where, e.g. ``'init_from /path'``), a sidecar
            ``algorithm`` other than ``'sac'`` (a BC, IQL or success-classifier
            checkpoint) is refused first, before its spec is compared, and a spec
            mismatch is prefixed with it.

    Raises:
        CheckpointError: unreadable, another algorithm (``sac_only``), or another
            observation/action spec (one line).
    """
    tensors, meta = load_checkpoint(path)
    algorithm = meta.get('algorithm')
    if sac_only and algorithm != 'sac':
        raise CheckpointError(
            f'{sac_only} holds no SAC state (algorithm {algorithm!r}): use the output of '
            "'robot-learning train --algo sac' or a learner's checkpoints/latest"
        )
    try:
        check_spec(meta, expected_spec(obs_cfg, act_cfg))
    except CheckpointError as exc:
        if not sac_only:
            raise
        raise CheckpointError(f'{sac_only}: {exc}') from None
    return tensors, meta


def _check_network(meta: Mapping[str, Any], cfg: Any, source: str, who: str) -> None:
    saved = meta.get('sac_config') or {}
    for name, old_default in _NETWORK_FIELDS.items():
        mine = getattr(cfg, name)
        mine = list(mine) if isinstance(mine, tuple) else mine
        theirs = saved.get(name, mine if old_default is None else old_default)
        theirs = list(theirs) if isinstance(theirs, (list, tuple)) else theirs
        if theirs != mine:
            raise CheckpointError(
                f'{source} has sac.{name} {theirs}, {who} {mine}: '
                f'set sac.{name} to {theirs} or use another checkpoint'
            )


def load_sac_state(
    sac: Any,
    tensors: Mapping[str, torch.Tensor],
    meta: Mapping[str, Any],
    source: str,
    who: str = 'this learner',
) -> None:
    """Load the ``sac.*`` state of a checkpoint into ``sac``, then restore the learning rates.

    The one loader of a SAC state, used by the online learner (resume, ``init_from``) and
    offline pretraining (``--init-from``). The spec is checked by :func:`read_checkpoint`.

    Args:
        sac: the :class:`~.modeling_sac.SAC` to fill.
        tensors, meta: from :func:`read_checkpoint`.
        source: what and where, for messages (``'init_from /path'``).
        who: the loader, for messages.

    Raises:
        CheckpointError: other network options (``hidden``, ``critic_layer_norm``,
            ``num_critics``), no ``sac.*`` state in it, or a state that does not fit
            (one line naming the mismatch).
    """
    _check_network(meta, sac.config, source, who)
    state = prefixed(tensors, SAC_PREFIX)
    if not state:
        raise CheckpointError(
            f'{source} holds no SAC state (algorithm {meta.get("algorithm")!r}): '
            'use a checkpoint of SACPretrainer or of sac_learner'
        )
    if sac.device.type != 'cpu':
        state = {k: v for k, v in state.items() if not k.startswith('rng.')}
    load_sac_state_dict(sac, state)
    restore_learning_rates(sac)


def buffer_states(tensors: Mapping[str, torch.Tensor]) -> dict[str, dict[str, np.ndarray]]:
    """Return the replay-buffer arrays of a learner state by buffer name (absent: left out)."""
    out = {}
    for name, prefix in BUFFER_PREFIX.items():
        arrays = {k: v.numpy() for k, v in prefixed(tensors, prefix).items()}
        if arrays:
            out[name] = arrays
    return out


def latest_learner_state(run_dir: str | os.PathLike[str]) -> Path | None:
    """Return ``<run_dir>/checkpoints/latest`` if it holds a learner state, else ``None``.

    After a kill in the instant between moving the old one aside and renaming the new one
    in (:func:`~robot_learning.common.checkpoint.save_checkpoint`), the old one left next
    to it is returned.
    """
    root = Path(run_dir) / 'checkpoints'
    for path in [root / 'latest', *sorted(root.glob('.latest.old-*/checkpoint'))]:
        meta_file = path / METADATA_FILE
        if not meta_file.is_file():
            continue
        try:
            if json.loads(meta_file.read_text()).get('learner_state'):
                return path
        except (OSError, ValueError):
            continue
    return None
