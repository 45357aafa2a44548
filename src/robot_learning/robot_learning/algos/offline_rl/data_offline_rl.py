# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 robot_learning maintainers
"""The dataset side of the offline trainers: validated transitions, batches, devices.

:class:`TransitionData` reads ``data.frames['observation']`` (float32 ``(N, obs_cfg.dim)``,
:func:`~robot_learning.common.features.encode_observation`: the vector the SAC learner and
the policy node use) and ``data.transitions`` (``obs``/``next_obs`` frame indices,
``action`` in [-1, 1], ``reward``, ``terminated``) of a bag dataset
(:mod:`robot_learning.data.bagdataset`) once, and draws :class:`Batch` rows from it.

Nothing here imports rclpy.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
from robot_learning.common.features import ActionConfig, ObservationConfig
from robot_learning.errors import ConfigError
from robot_learning.types import Batch
import torch
import torch.distributed as dist

from .configuration_offline_rl import _check_positive_int

__all__ = ['TransitionData', 'distributed', 'returns_to_go', 'to_tensors', 'torch_device']


def returns_to_go(
    rewards: np.ndarray,
    terminated: np.ndarray,
    episodes: np.ndarray,
    order: np.ndarray,
    gamma: float,
    tail_reward: float | None = None,
) -> np.ndarray:
    """Discounted Monte-Carlo return-to-go of every transition, episode by episode.

    ``G_t = r_t + gamma * (1 - terminated_t) * G_{t+1}`` backwards through each episode
    (transitions of one ``episodes`` id, in ``order``), the value of the behaviour policy
    that recorded it: Cal-QL's reference value ``V^mu(s_t)`` (Nakamoto et al. 2023,
    "Cal-QL: Calibrated Offline RL Pre-Training for Efficient Online Fine-Tuning",
    NeurIPS 2023, arXiv:2303.05479, sec. 4, eq. 4.1; their estimate is the same
    discounted return-to-go of the dataset trajectory).

    An episode whose last transition is not terminated (a time limit, a crash, a bag cut
    short) went on unobserved: its tail is ``G_{T+1} = tail_reward / (1 - gamma)``, every
    later reward taken as ``tail_reward`` (default the lowest reward in ``rewards``), so
    that ``G`` stays a lower bound of the behaviour policy's return whenever no reward is
    below it -- what the calibration needs (Cal-QL sec. 4: the bound only has to hold from
    below; a too-low reference just leaves the CQL term as it is).

    Args:
        rewards: float32 ``(M,)`` rewards of the transitions.
        terminated: bool ``(M,)``, true terminations (no bootstrap).
        episodes: int ``(M,)`` episode id of each transition.
        order: int ``(M,)`` position key within an episode (e.g. the ``obs`` frame index).
        gamma: discount in [0, 1).
        tail_reward: reward assumed after a truncated episode's end; None = ``rewards.min()``.

    Returns:
        float32 ``(M,)``, ``G`` of each transition in the input order.

    Raises:
        ConfigError: arrays of different lengths or ``gamma`` outside [0, 1).
    """
    rewards = np.asarray(rewards, np.float64)
    terminated = np.asarray(terminated, bool)
    episodes, order = np.asarray(episodes), np.asarray(order)
    m = rewards.shape[0]
    if not (rewards.ndim == 1 and terminated.shape == episodes.shape == order.shape == (m,)):
        raise ConfigError(
            f'returns_to_go needs (M,) arrays, got rewards {rewards.shape}, terminated '
            f'{terminated.shape}, episodes {episodes.shape}, order {order.shape}'
        )
    if not 0.0 <= gamma < 1.0:
        raise ConfigError(f'returns_to_go: gamma must be in [0, 1), got {gamma}')
    out = np.zeros(m, np.float32)
    if m == 0:
        return out
    floor = float(rewards.min()) if tail_reward is None else float(tail_reward)
    tail = floor / (1.0 - gamma)
    # Group by episode, then by position: the last row of each group ends the episode.
    rows = np.lexsort((order, episodes))
    ends = np.flatnonzero(np.diff(episodes[rows]) != 0).tolist() + [m - 1]
    start = 0
    for end in ends:
        g = tail
        for row in rows[start:end + 1][::-1].tolist():
            g = rewards[row] + gamma * (0.0 if terminated[row] else g)
            out[row] = g
        start = end + 1
    return out


def distributed() -> bool:
    """Return whether ``torch.distributed`` is initialised (several training processes)."""
    return dist.is_available() and dist.is_initialized()


class TransitionData:
    """The dataset fields the offline trainers read, validated once.

    Raises:
        ConfigError: a field is missing or has a shape that does not fit ``obs_cfg``/``act_cfg``,
            or the indices are out of range.
    """

    def __init__(
        self,
        data: Any,
        obs_cfg: ObservationConfig,
        act_cfg: ActionConfig,
        train_indices: np.ndarray,
    ) -> None:
        frames = getattr(data, 'frames', None)
        transitions = getattr(data, 'transitions', None)
        if not isinstance(frames, Mapping) or not isinstance(transitions, Mapping):
            raise ConfigError(
                'offline RL needs a dataset with frames and transitions dicts '
                '(robot_learning.data.bagdataset)'
            )
        if 'observation' not in frames:
            raise ConfigError(
                "dataset frames have no 'observation' vector: build the dataset with observations"
            )
        obs = np.asarray(frames['observation'])
        if obs.ndim != 2 or obs.shape[1] != obs_cfg.dim:
            raise ConfigError(
                f'dataset observation has shape {obs.shape}, the observation parameters give '
                f'(N, {obs_cfg.dim}): build the dataset with the same observation parameters'
            )
        for key in ('obs', 'next_obs', 'action', 'reward', 'terminated'):
            if key not in transitions:
                raise ConfigError(f'dataset transitions have no {key!r}')
        self.observations = obs
        self.obs_index = np.asarray(transitions['obs'], np.int64)
        self.next_obs_index = np.asarray(transitions['next_obs'], np.int64)
        self.actions = np.asarray(transitions['action'], np.float32)
        self.rewards = np.asarray(transitions['reward'], np.float32)
        self.terminated = np.asarray(transitions['terminated'], bool)
        m = self.obs_index.shape[0]
        if self.actions.shape != (m, act_cfg.dim):
            raise ConfigError(
                f'dataset actions have shape {self.actions.shape}, expected ({m}, {act_cfg.dim})'
            )
        for name, array in (
            ('next_obs', self.next_obs_index),
            ('reward', self.rewards),
            ('terminated', self.terminated),
        ):
            if array.shape != (m,):
                raise ConfigError(
                    f'dataset transitions {name!r} has shape {array.shape}, expected ({m},)'
                )
        if m and (
            min(self.obs_index.min(), self.next_obs_index.min()) < 0
            or max(self.obs_index.max(), self.next_obs_index.max()) >= obs.shape[0]
        ):
            raise ConfigError(
                f'dataset transitions point outside the {obs.shape[0]} observation frames'
            )
        self.train_indices = self.check_indices(train_indices, 'train_indices')
        episodes = transitions.get('episode')
        self.episodes = None if episodes is None else np.asarray(episodes, np.int64)
        rew = self.rewards[self.train_indices]
        self.stats = {
            'train_transitions': int(self.train_indices.size),
            'train_episodes': (
                int(np.unique(np.asarray(episodes)[self.train_indices]).size)
                if episodes is not None
                else None
            ),
            'reward_mean': float(rew.mean()),
            'reward_std': float(rew.std()),
            'reward_min': float(rew.min()),
            'reward_max': float(rew.max()),
            'terminated_fraction': float(self.terminated[self.train_indices].mean()),
        }

    def check_indices(self, indices: Any, name: str = 'indices') -> np.ndarray:
        idx = np.asarray(indices)
        if idx.ndim != 1 or idx.size == 0 or not np.issubdtype(idx.dtype, np.integer):
            raise ConfigError(
                f'{name} must be a non-empty 1-D integer array of transition indices, '
                f'got shape {idx.shape} dtype {idx.dtype}'
            )
        if idx.min() < 0 or idx.max() >= self.obs_index.shape[0]:
            raise ConfigError(
                f'{name} reach outside the {self.obs_index.shape[0]} transitions of the dataset'
            )
        return idx.astype(np.int64, copy=False)

    def returns_to_go(self, gamma: float) -> np.ndarray:
        """Monte-Carlo return-to-go of every transition (:func:`returns_to_go`), float32 (M,).

        Episodes are the dataset's ``episode`` ids (all one episode without them), in
        frame order.
        """
        m = self.obs_index.shape[0]
        episodes = self.episodes if self.episodes is not None else np.zeros(m, np.int64)
        return returns_to_go(self.rewards, self.terminated, episodes, self.obs_index, gamma)

    def sample_rows(self, indices: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
        """``n`` transition indices drawn uniformly with replacement from ``indices``."""
        idx = self.check_indices(indices)
        n = _check_positive_int('sample', 'batch_size', n)
        return idx[rng.integers(0, idx.size, size=n)]

    def sample(self, indices: np.ndarray, n: int, rng: np.random.Generator) -> Batch:
        """``n`` transitions drawn uniformly with replacement from ``indices``."""
        return self.batch(self.sample_rows(indices, n, rng))

    def batch(self, rows: np.ndarray) -> Batch:
        """Return the transitions ``rows`` (int64 ``(B,)``) as a :class:`Batch` of numpy arrays."""
        return Batch(
            np.ascontiguousarray(self.observations[self.obs_index[rows]], np.float32),
            self.actions[rows],
            self.rewards[rows],
            np.ascontiguousarray(self.observations[self.next_obs_index[rows]], np.float32),
            self.terminated[rows].astype(np.float32),
        )


def to_tensors(batch: Batch, device: torch.device) -> tuple[torch.Tensor, ...]:
    """Return the five fields of ``batch`` as float32 tensors on ``device``."""
    if not isinstance(batch, tuple) or len(batch) != 5:
        raise ConfigError(
            'expected a Batch(observations, actions, rewards, next_observations, terminated)'
        )
    return tuple(torch.as_tensor(np.asarray(v, np.float32), device=device) for v in batch)


def torch_device(device: str | torch.device) -> torch.device:
    """Return ``device`` as a torch device; ConfigError when it is unusable."""
    try:
        dev = torch.device(device)
    except (RuntimeError, TypeError):
        raise ConfigError(f'device {device!r} is not a torch device') from None
    if dev.type == 'cuda' and not torch.cuda.is_available():
        raise ConfigError(f'device is {device!r} but CUDA is not available: use device cpu')
    return dev
