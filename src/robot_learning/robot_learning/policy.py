# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 robot_learning maintainers
"""A deployable policy: an actor network plus the observation/action spec it was trained on.

Loaded from a checkpoint directory (safetensors + JSON sidecar) or from the weight blobs
the learner streams to the policy node; either way no code is executed on load.
"""

from __future__ import annotations

from typing import Any, Optional

import numpy as np
from robot_learning.common.checkpoint import bytes_to_weights, check_spec, load_checkpoint
from robot_learning.common.features import action_config_from_dict, observation_config_from_dict
from robot_learning.common.networks import SquashedGaussianActor
from robot_learning.errors import CheckpointError
import torch

ACTOR_PREFIX = 'actor.'


def policy_metadata(obs_cfg, act_cfg, hidden, algorithm: str, **extra: Any) -> dict:
    """Sidecar fields every actor carries (see design.md, Checkpoints).

    ``obs_cfg``: :class:`ObservationConfig` or
    :class:`~robot_learning.common.features.VectorObservationConfig`; ``act_cfg``:
    :class:`ActionConfig` (Twist) or :class:`~robot_learning.common.features.JointActionConfig`.
    """
    vector = getattr(obs_cfg, 'kind', '') == 'vector'
    return {
        'algorithm': algorithm,
        'observation': obs_cfg.to_dict(),
        'obs_dim': obs_cfg.dim,
        'action': act_cfg.to_dict(),
        'action_dim': act_cfg.dim,
        'actor_hidden': list(hidden),
        'normalization': (
            'none: the vector as published on joint_states'
            if vector
            else 'fixed scales in observation (features.encode_observation)'
        ),
        **extra,
    }


class Policy:
    """Actor + spec; ``act(obs)`` returns a float32 (action_dim,) action in [-1, 1].

    Acts on the low-dimensional observation vector alone (no camera, no history), so
    ``needs_image`` is false and ``reset`` has nothing to clear; both exist so the policy
    node drives every policy kind (see :func:`load_policy`) through one interface.

    Args:
        actor: the squashed-Gaussian actor.
        metadata: sidecar dict (``policy_metadata``); ``version`` when streamed.
    """

    def __init__(self, actor: SquashedGaussianActor, metadata: dict):
        self.actor = actor.eval()
        self.metadata = metadata
        self.obs_cfg = observation_config_from_dict(metadata['observation'])
        self.act_cfg = action_config_from_dict(metadata['action'])
        self.version = int(metadata.get('version', 0))

    needs_image = False
    image_size = None

    def reset(self) -> None:
        """Start a new episode: nothing to forget (the actor is memoryless)."""

    def act_observation(
        self, raw, image: Optional[np.ndarray] = None, deterministic: bool = True
    ) -> np.ndarray:
        """``features.RawObservation`` -> float32 (action_dim,) in [-1, 1]; ``image`` unused.

        Raises:
            MessageError: the streams do not fit the observation spec.
        """
        return self.act(raw.encode(self.obs_cfg), deterministic=deterministic)

    @classmethod
    def _build(cls, tensors: dict[str, torch.Tensor], metadata: dict, source: str) -> 'Policy':
        for key in ('observation', 'action', 'obs_dim', 'action_dim', 'actor_hidden'):
            if key not in metadata:
                raise CheckpointError(
                    f'{source}: sidecar lacks {key!r}; not a robot_learning policy'
                )
        state = {
            k[len(ACTOR_PREFIX):]: v for k, v in tensors.items() if k.startswith(ACTOR_PREFIX)
        }
        if not state:
            raise CheckpointError(f'{source}: no actor weights (keys starting {ACTOR_PREFIX!r})')
        actor = SquashedGaussianActor(
            int(metadata['obs_dim']), int(metadata['action_dim']), tuple(metadata['actor_hidden'])
        )
        try:
            actor.load_state_dict(state)
        except RuntimeError as exc:
            first = str(exc).strip().splitlines()
            raise CheckpointError(
                f'{source}: actor weights do not fit the sidecar spec '
                f'({first[1].strip() if len(first) > 1 else first[0]})'
            ) from None
        return cls(actor, metadata)

    @classmethod
    def from_checkpoint(cls, path, expected: Optional[dict] = None) -> 'Policy':
        """Load from a checkpoint directory.

        Raises:
            CheckpointError: missing/corrupt files, or a spec that differs from ``expected``
                (e.g. ``{'obs_dim': 41}``), with one line naming the mismatch.
        """
        tensors, meta = load_checkpoint(path)
        if expected:
            check_spec(meta, expected)
        return cls._build(tensors, meta, str(path))

    @classmethod
    def from_bytes(cls, blob: bytes) -> 'Policy':
        """Load from a streamed weights blob (``checkpoint.weights_to_bytes``)."""
        tensors, meta = bytes_to_weights(blob)
        return cls._build(tensors, meta, 'weights message')

    @torch.no_grad()
    def act(self, obs: np.ndarray, deterministic: bool = True) -> np.ndarray:
        """Map obs float32 (obs_dim,) to an action float32 (action_dim,) in [-1, 1]."""
        o = torch.as_tensor(np.asarray(obs, np.float32)).unsqueeze(0)
        if deterministic:
            mean, _ = self.actor(o)
            a = torch.tanh(mean)
        else:
            a, _, _ = self.actor.sample(o)
        return a.squeeze(0).numpy().astype(np.float32)


def _from_parts(tensors: dict, metadata: dict, source: str):
    algorithm = metadata.get('algorithm', '')
    if algorithm == 'bc':
        from robot_learning.algos.bc.modeling_bc import BCPolicy

        try:
            policy = BCPolicy.from_tensors(tensors, metadata)
            if not hasattr(policy, 'act_observation'):
                policy.act_observation = policy.act
            return policy
        except CheckpointError:
            raise
        except (KeyError, ValueError, RuntimeError, TypeError) as exc:
            raise CheckpointError(
                f'{source}: not a loadable behaviour-cloning policy ({exc})'
            ) from None
    return Policy._build(tensors, metadata, source)


def load_policy(path, expected: Optional[dict] = None):
    """Any robot_learning policy checkpoint -> an object with the policy-node interface.

    ``algorithm`` in the sidecar picks the class: ``bc`` ->
    :class:`robot_learning.algos.bc.modeling_bc.BCPolicy`
    (camera / history / language tokens), everything else (``sac``, ``iql``) ->
    :class:`Policy`. Both offer ``needs_image``, ``image_size``, ``reset()``,
    ``act_observation(raw, image, deterministic)``, ``obs_cfg``, ``act_cfg``, ``metadata``.

    Raises:
        CheckpointError: missing/corrupt files or a spec that differs from ``expected``.
    """
    tensors, meta = load_checkpoint(path)
    if expected:
        check_spec(meta, expected)
    return _from_parts(tensors, meta, str(path))


def policy_from_bytes(blob: bytes):
    """Like :func:`load_policy` for a streamed weights blob."""
    tensors, meta = bytes_to_weights(blob)
    return _from_parts(tensors, meta, 'weights message')
