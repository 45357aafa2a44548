"""A deployable policy: an actor network plus the observation/action spec it was trained on.

Loaded from a checkpoint directory (safetensors + JSON sidecar) or from the weight blobs
the learner streams to the policy node; either way no code is executed on load.
"""

from __future__ import annotations

from typing import Any, Optional

import numpy as np
import torch

from .checkpoint import bytes_to_weights, check_spec, load_checkpoint
from .errors import CheckpointError
from .features import ActionConfig, ObservationConfig
from .networks import SquashedGaussianActor

ACTOR_PREFIX = 'actor.'


def policy_metadata(obs_cfg: ObservationConfig, act_cfg: ActionConfig, hidden, algorithm: str,
                    **extra: Any) -> dict:
    """The sidecar fields every actor carries (see design.md, Checkpoints)."""
    return {'algorithm': algorithm, 'observation': obs_cfg.to_dict(), 'obs_dim': obs_cfg.dim,
            'action': act_cfg.to_dict(), 'action_dim': act_cfg.dim,
            'actor_hidden': list(hidden),
            'normalization': 'fixed scales in observation (features.encode_observation)',
            **extra}


class Policy:
    """Actor + spec; ``act(obs)`` returns a float32 (action_dim,) action in [-1, 1].

    Args:
        actor: the squashed-Gaussian actor.
        metadata: sidecar dict (``policy_metadata``); ``version`` when streamed.
    """

    def __init__(self, actor: SquashedGaussianActor, metadata: dict):
        self.actor = actor.eval()
        self.metadata = metadata
        self.obs_cfg = ObservationConfig.from_dict(metadata['observation'])
        self.act_cfg = ActionConfig.from_dict(metadata['action'])
        self.version = int(metadata.get('version', 0))

    @classmethod
    def _build(cls, tensors: dict[str, torch.Tensor], metadata: dict, source: str) -> 'Policy':
        for key in ('observation', 'action', 'obs_dim', 'action_dim', 'actor_hidden'):
            if key not in metadata:
                raise CheckpointError(f'{source}: sidecar lacks {key!r}; not a robot_learning policy')
        state = {k[len(ACTOR_PREFIX):]: v for k, v in tensors.items() if k.startswith(ACTOR_PREFIX)}
        if not state:
            raise CheckpointError(f'{source}: no actor weights (keys starting {ACTOR_PREFIX!r})')
        actor = SquashedGaussianActor(int(metadata['obs_dim']), int(metadata['action_dim']),
                                      tuple(metadata['actor_hidden']))
        try:
            actor.load_state_dict(state)
        except RuntimeError as exc:
            first = str(exc).strip().splitlines()
            raise CheckpointError(f'{source}: actor weights do not fit the sidecar spec '
                                  f'({first[1].strip() if len(first) > 1 else first[0]})') from None
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
        """obs float32 (obs_dim,) -> action float32 (action_dim,) in [-1, 1]."""
        o = torch.as_tensor(np.asarray(obs, np.float32)).unsqueeze(0)
        if deterministic:
            mean, _ = self.actor(o)
            a = torch.tanh(mean)
        else:
            a, _, _ = self.actor.sample(o)
        return a.squeeze(0).numpy().astype(np.float32)
