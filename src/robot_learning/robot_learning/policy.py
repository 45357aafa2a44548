# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 robot_learning maintainers
"""Deployable policies: load any checkpoint as a :class:`robot_learning.types.Policy`.

:class:`ActorPolicy` is a squashed-Gaussian actor plus the observation/action spec it was
trained on (SAC, IQL, SAC pretraining); :func:`load_policy` / :func:`policy_from_bytes`
pick the class of a checkpoint by its sidecar's ``algorithm`` through
:mod:`robot_learning.registry` (``bc`` -> :class:`robot_learning.algos.bc.BCPolicy`).
Loaded from a checkpoint directory (safetensors + JSON sidecar) or from the weight blobs
the learner streams to the policy node; either way no code is executed on load.
"""

from __future__ import annotations

from typing import Optional

import numpy as np
from robot_learning.common.checkpoint import (  # noqa: F401 (some re-exported)
    ACTOR_PREFIX,
    bytes_to_weights,
    check_spec,
    load_checkpoint,
    load_prefixed,
    policy_metadata,
)
from robot_learning.common.features import action_config_from_dict, observation_config_from_dict
from robot_learning.common.networks import SquashedGaussianActor
from robot_learning.errors import CheckpointError
from robot_learning.registry import policy_class
from robot_learning.types import Observation
import torch

# ACTOR_PREFIX, policy_metadata and load_prefixed live in common.checkpoint (the algorithms
# use them, and they must not import this top-level module); the old names stay here.
__all__ = [
    'ACTOR_PREFIX',
    'ActorPolicy',
    'Policy',
    'load_policy',
    'load_prefixed',
    'policy_from_bytes',
    'policy_metadata',
]


class ActorPolicy:
    """Actor + spec, a :class:`robot_learning.types.Policy` (SAC, IQL, SAC pretraining).

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

    def act(self, observation: Observation, deterministic: bool = True) -> np.ndarray:
        """Map an observation record to a float32 (action_dim,) action in [-1, 1].

        Args:
            observation: ``RawObservation`` (its ``image`` is unused) or
                ``VectorObservation``, encoded with :attr:`obs_cfg`.
            deterministic: tanh of the mean; False draws a sample.

        Raises:
            MessageError: the streams do not fit the observation spec.
        """
        return self.act_vector(observation.encode(self.obs_cfg), deterministic=deterministic)

    @torch.no_grad()
    def act_vector(self, obs: np.ndarray, deterministic: bool = True) -> np.ndarray:
        """Map an encoded obs float32 (obs_dim,) to an action float32 (action_dim,) in [-1, 1]."""
        o = torch.as_tensor(np.asarray(obs, np.float32)).unsqueeze(0)
        if deterministic:
            mean, _ = self.actor(o)
            a = torch.tanh(mean)
        else:
            a, _, _ = self.actor.sample(o)
        return a.squeeze(0).numpy().astype(np.float32)

    @classmethod
    def from_tensors(
        cls, tensors: dict[str, torch.Tensor], metadata: dict, source: str = 'weights'
    ) -> 'ActorPolicy':
        """Build from checkpoint tensors (``actor.*``) and sidecar.

        Raises:
            CheckpointError: the sidecar lacks a spec field or the weights do not fit it.
        """
        for key in ('observation', 'action', 'obs_dim', 'action_dim', 'actor_hidden'):
            if key not in metadata:
                raise CheckpointError(
                    f'{source}: sidecar lacks {key!r}; not a robot_learning policy'
                )
        if not any(k.startswith(ACTOR_PREFIX) for k in tensors):
            raise CheckpointError(f'{source}: no actor weights (keys starting {ACTOR_PREFIX!r})')
        actor = SquashedGaussianActor(
            int(metadata['obs_dim']), int(metadata['action_dim']), tuple(metadata['actor_hidden'])
        )
        what = f'{source}: actor weights do not fit the sidecar spec'
        load_prefixed(actor, tensors, ACTOR_PREFIX, what)
        return cls(actor, metadata)

    @classmethod
    def from_checkpoint(cls, path, expected: Optional[dict] = None) -> 'ActorPolicy':
        """Load from a checkpoint directory.

        Raises:
            CheckpointError: missing/corrupt files, or a spec that differs from ``expected``
                (e.g. ``{'obs_dim': 41}``), with one line naming the mismatch.
        """
        tensors, meta = load_checkpoint(path)
        if expected:
            check_spec(meta, expected)
        return cls.from_tensors(tensors, meta, str(path))

    @classmethod
    def from_bytes(cls, blob: bytes) -> 'ActorPolicy':
        """Load from a streamed weights blob (``checkpoint.weights_to_bytes``)."""
        tensors, meta = bytes_to_weights(blob)
        return cls.from_tensors(tensors, meta, 'weights message')


#: The name up to issue 8 (``robot_learning.types.Policy`` is now the interface).
Policy = ActorPolicy


def _from_parts(tensors: dict, metadata: dict, source: str):
    algorithm = metadata.get('algorithm', '')
    cls = policy_class(algorithm)
    try:
        return cls.from_tensors(tensors, metadata, source)
    except CheckpointError:
        raise
    except (KeyError, ValueError, RuntimeError, TypeError) as exc:
        raise CheckpointError(
            f'{source}: not a loadable {algorithm or "robot_learning"} policy ({exc})'
        ) from None


def load_policy(path, expected: Optional[dict] = None):
    """Load any robot_learning policy checkpoint as a :class:`robot_learning.types.Policy`.

    ``algorithm`` in the sidecar picks the class through :mod:`robot_learning.registry`:
    ``bc`` -> :class:`robot_learning.algos.bc.BCPolicy` (camera / history / language
    tokens), everything else (``sac``, ``iql``) -> :class:`ActorPolicy`. Both offer
    ``needs_image``, ``image_size``, ``reset()``, ``act(observation, deterministic)``,
    ``obs_cfg``, ``act_cfg``, ``metadata``, ``version``.

    Raises:
        CheckpointError: missing/corrupt files or a spec that differs from ``expected``.
    """
    tensors, meta = load_checkpoint(path)
    # A checkpoint that is no policy (a classifier, an encoder) is refused by its own
    # class in one line that says what it is, before any spec comparison.
    if expected and not getattr(policy_class(meta.get('algorithm', '')), 'not_a_policy', False):
        check_spec(meta, expected)
    return _from_parts(tensors, meta, str(path))


def policy_from_bytes(blob: bytes):
    """Like :func:`load_policy` for a streamed weights blob."""
    tensors, meta = bytes_to_weights(blob)
    return _from_parts(tensors, meta, 'weights message')
