# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 robot_learning maintainers
"""The shared records and interfaces of the core, in one place.

Two :class:`typing.Protocol` classes say what the rest of the suite may rely on:

- :class:`Policy`: what the policy node, the evaluation and the demo drive. Every
  deployable policy (:class:`robot_learning.policy.ActorPolicy` for SAC/IQL actors,
  :class:`robot_learning.algos.bc.BCPolicy`) implements it, and
  :func:`robot_learning.policy.load_policy` returns one.
- :class:`Trainer`: what ``robot-learning train`` (:mod:`robot_learning.train`) drives;
  each algorithm of :mod:`robot_learning.registry` has one.

The observation records are those the nodes already build (defined next to their
encoders in :mod:`robot_learning.common.features`, re-exported here):
:class:`RawObservation` (LiDAR sectors, detections, velocity, instruction and the camera
frame when the policy needs one) and :class:`VectorObservation` (a ``JointState`` vector).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Iterable, Mapping, Optional, Protocol, runtime_checkable, Union

import numpy as np
from robot_learning.common.features import RawObservation, VectorObservation

__all__ = ['Batch', 'Observation', 'Policy', 'RawObservation', 'Trainer', 'VectorObservation']

#: What :meth:`Policy.act` takes: one synchronized observation of one stamp.
Observation = Union[RawObservation, VectorObservation]


@runtime_checkable
class Policy(Protocol):
    """A deployable policy: one observation in, one normalized action out.

    Attributes:
        obs_cfg: the observation spec it was trained on (``ObservationConfig`` or
            ``VectorObservationConfig``).
        act_cfg: the action spec (``ActionConfig`` for Twist, ``JointActionConfig``);
            ``act_cfg.to_twist`` / ``to_command`` turn an action into physical units.
        metadata: the checkpoint sidecar (design.md, Checkpoints).
        version: weights version (0 for a checkpoint, the learner's count when streamed).
        needs_image: ``act`` needs ``observation.image`` (camera policies).
        image_size: (width, height) in pixels of that image, or None.
    """

    obs_cfg: Any
    act_cfg: Any
    metadata: dict
    version: int

    @property
    def needs_image(self) -> bool:
        """Return whether :meth:`act` needs ``observation.image``."""

    @property
    def image_size(self) -> Optional[tuple[int, int]]:
        """Return (width, height) in pixels of the camera frames, or None."""

    def reset(self) -> None:
        """Start a new episode (forget any observation history)."""

    def act(self, observation: Observation, deterministic: bool = True) -> np.ndarray:
        """Map one observation to a float32 (action_dim,) action in [-1, 1].

        Args:
            observation: a :class:`RawObservation` (with ``image`` when
                :attr:`needs_image`) or a :class:`VectorObservation`.
            deterministic: the mode of the action distribution; False draws a sample.

        Raises:
            MessageError: the observation does not fit the policy's spec.
        """


@runtime_checkable
class Trainer(Protocol):
    """An offline algorithm as ``robot-learning train`` drives it.

    Built as ``cls(data, cfg, obs_cfg, act_cfg, train_indices, device=...)`` (``data`` a
    :class:`~robot_learning.data.bagdataset.BagDataset` or a view of it, ``train_indices``
    int64 transition indices the normalization statistics come from). Then the loop:
    ``sample`` a batch, ``update`` on it, now and then ``evaluate`` held-out batches and
    ``save`` the best; ``load`` starts from a checkpoint (``--init-from``).
    """

    def sample(self, indices: np.ndarray, batch_size: int, rng: np.random.Generator) -> Any:
        """Draw ``batch_size`` rows of the transition ``indices`` (with replacement)."""

    def update(self, batch: Any) -> Mapping[str, float]:
        """Take one gradient step on ``batch``; return its statistics (``loss``, ...)."""

    def evaluate(self, batch: Any) -> Mapping[str, float]:
        """Score ``batch`` without learning; the result holds ``val_loss``."""

    def save(self, path: Path, extra_metadata: Optional[Mapping[str, Any]] = None) -> Path:
        """Write a checkpoint directory that :func:`robot_learning.policy.load_policy` reads."""

    def load(self, path: Union[str, Path]) -> None:
        """Start from a checkpoint of the same algorithm.

        Raises:
            CheckpointError: another algorithm, or weights that do not fit.
        """


class Batch(tuple):
    """A batch of transitions; numpy arrays (from the buffers) or torch tensors.

    A tuple with the interface of a ``NamedTuple`` (field access, ``_fields``,
    ``_replace``, ``_asdict``, ``_make``), of length 5 when ``n_steps`` is ``None``
    and 6 otherwise: code written for the five-field batch (``obs, act, rew, nobs, term =
    batch``, ``len(batch) == 5``) keeps working on the batches it builds itself.

    Fields (``B`` rows):
        observations: ``(B, obs_dim)`` float32.
        actions: ``(B, action_dim)`` float32, normalised to [-1, 1].
        rewards: ``(B,)`` float32, reward of the transition; for an n-step transition the
            discounted sum ``sum_{i<k} gamma^i r_{t+i}`` (:class:`buffers.NStepAccumulator`).
        next_observations: ``(B, obs_dim)`` float32; ``obs_{t+k}`` for an n-step transition.
        terminated: ``(B,)`` float32, 1.0 only for a true termination (the MDP ended:
            goal reached, crash). A time-limit truncation is 0.0, so that the critic still
            bootstraps from the next observation (Pardo et al. 2018, "Time Limits in
            Reinforcement Learning"; gymnasium ``terminated``/``truncated``).
        n_steps: optional ``(B,)`` float32, the number ``k >= 1`` of environment steps
            between ``observations`` and ``next_observations`` (the critic target
            discounts the bootstrap by ``gamma ** k``); ``None`` means all ones (1-step
            transitions).
    """

    __slots__ = ()
    _fields = ('observations', 'actions', 'rewards', 'next_observations', 'terminated', 'n_steps')

    def __new__(
        cls,
        observations: Any,
        actions: Any,
        rewards: Any,
        next_observations: Any,
        terminated: Any,
        n_steps: Any = None,
    ) -> Batch:
        items = (observations, actions, rewards, next_observations, terminated)
        return tuple.__new__(cls, items if n_steps is None else (*items, n_steps))

    observations = property(lambda self: self[0], doc='``(B, obs_dim)`` float32.')
    actions = property(lambda self: self[1], doc='``(B, action_dim)`` float32 in [-1, 1].')
    rewards = property(lambda self: self[2], doc='``(B,)`` float32.')
    next_observations = property(lambda self: self[3], doc='``(B, obs_dim)`` float32.')
    terminated = property(
        lambda self: self[4], doc='``(B,)`` float32, 1.0 for a true termination.'
    )
    n_steps = property(
        lambda self: self[5] if len(self) > 5 else None,
        doc='``(B,)`` float32 step counts, or ``None`` (all ones).',
    )

    @classmethod
    def _make(cls, iterable: Iterable[Any]) -> Batch:
        return cls(*iterable)

    def _replace(self, **changes: Any) -> Batch:
        unknown = sorted(set(changes) - set(self._fields))
        if unknown:
            raise ValueError(f'Batch has no field {unknown[0]!r}')
        return Batch(**{**self._asdict(), **changes})

    def _asdict(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self._fields}

    def __getnewargs__(self) -> tuple[Any, ...]:  # pickle and copy
        return tuple(self)

    def __repr__(self) -> str:
        shapes = ', '.join(
            f'{name}={getattr(getattr(self, name), "shape", None)}'
            for name in self._fields[: len(self)]
        )
        return f'Batch({shapes})'
