"""Replay buffers: a numpy ring buffer of transitions and RLPD symmetric sampling.

Sources
-------
- Replay memory: Lin 1992; Mnih et al. 2015 (DQN). Layout as SB3
  ``common/buffers.ReplayBuffer`` (separate ``next_observations`` array, i.e. SB3 with
  ``optimize_memory_usage=False``), uniform sampling with replacement.
- Symmetric sampling: Ball, Smith, Kostrikov, Levine, "Efficient Online Reinforcement
  Learning with Offline Data" (RLPD), ICML 2023, arXiv:2302.02948, "Symmetric Sampling": each batch is
  half offline (demonstration) data, half online data.

All arrays are float32; ``terminated`` is 1.0 only for a true termination, 0.0 for a
time-limit truncation (see :class:`robot_learning.sac.Batch`). Nothing here imports
rclpy or torch tensors; batches are numpy arrays that :meth:`SAC.update` accepts.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import numpy as np

from .errors import ConfigError
from .sac import Batch

__all__ = ['ReplayBuffer', 'sample_mixed']

_FIELDS = ('observations', 'actions', 'rewards', 'next_observations', 'terminated')
_STATE_VERSION = 1


def _positive_int(name: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value <= 0:
        raise ConfigError(f'ReplayBuffer {name} must be a positive integer, got {value!r}')
    return int(value)


class ReplayBuffer:
    """Fixed-capacity FIFO ring buffer of transitions, stored as float32 numpy arrays.

    Memory: ``capacity * (2 * obs_dim + action_dim + 2) * 4`` bytes, allocated up front
    (``np.zeros``; the OS maps pages as they are written).

    Args:
        obs_dim: observation features.
        action_dim: action dimensions (actions normalised to [-1, 1]).
        capacity: transitions kept; when full the oldest is overwritten.
        seed: seed of the buffer's ``numpy.random.Generator`` (PCG64) used by
            :meth:`sample` when no ``rng`` is passed; ``None`` for OS entropy.

    Raises:
        ConfigError: a size is not a positive integer.
    """

    def __init__(self, obs_dim: int, action_dim: int, capacity: int, seed: int | None = 0) -> None:
        self.obs_dim = _positive_int('obs_dim', obs_dim)
        self.action_dim = _positive_int('action_dim', action_dim)
        self.capacity = _positive_int('capacity', capacity)
        self.rng = np.random.default_rng(seed)
        self.observations = np.zeros((self.capacity, self.obs_dim), dtype=np.float32)
        self.actions = np.zeros((self.capacity, self.action_dim), dtype=np.float32)
        self.rewards = np.zeros(self.capacity, dtype=np.float32)
        self.next_observations = np.zeros((self.capacity, self.obs_dim), dtype=np.float32)
        self.terminated = np.zeros(self.capacity, dtype=np.float32)
        self._ptr = 0  # next row to write
        self._size = 0

    def __len__(self) -> int:
        """Number of stored transitions (at most ``capacity``)."""
        return self._size

    @property
    def full(self) -> bool:
        """True once ``capacity`` transitions were added (older ones are being overwritten)."""
        return self._size == self.capacity

    def _rows(self, name: str, value: Any, n: int | None, width: int | None) -> np.ndarray:
        array = np.asarray(value, dtype=np.float32)
        if n is None:  # single transition
            expected: tuple[int, ...] = (width,) if width is not None else ()
            if width is None and array.shape == (1,):
                array = array.reshape(())
        else:
            expected = (n, width) if width is not None else (n,)
            if width is None and array.shape == (n, 1):
                array = array.reshape(n)
        if array.shape != expected:
            raise ConfigError(f'ReplayBuffer {name} has shape {array.shape}, the buffer needs {expected}')
        return array

    def add(self, obs: Any, action: Any, reward: float, next_obs: Any, terminated: bool | float) -> None:
        """Append one transition (copied, cast to float32).

        Args:
            obs: ``(obs_dim,)``.
            action: ``(action_dim,)`` in [-1, 1].
            reward: scalar.
            next_obs: ``(obs_dim,)``.
            terminated: true termination (not time-limit truncation); stored as 1.0/0.0.

        Raises:
            ConfigError: an array has the wrong shape.
        """
        o = self._rows('obs', obs, None, self.obs_dim)
        a = self._rows('action', action, None, self.action_dim)
        no = self._rows('next_obs', next_obs, None, self.obs_dim)
        r = self._rows('reward', reward, None, None)
        d = self._rows('terminated', terminated, None, None)
        i = self._ptr
        self.observations[i] = o
        self.actions[i] = a
        self.rewards[i] = r
        self.next_observations[i] = no
        self.terminated[i] = d
        self._ptr = (i + 1) % self.capacity
        self._size = min(self._size + 1, self.capacity)

    def add_many(self, obs: Any, actions: Any, rewards: Any, next_obs: Any, terminated: Any) -> None:
        """Append ``n`` transitions in order, vectorised (same result as ``n`` :meth:`add`).

        Args:
            obs: ``(n, obs_dim)``; actions ``(n, action_dim)``; rewards ``(n,)``;
            next_obs ``(n, obs_dim)``; terminated ``(n,)`` (bool or 0/1). ``(n, 1)`` is
            accepted for rewards and terminated. If ``n > capacity`` only the last
            ``capacity`` rows are kept.

        Raises:
            ConfigError: the arrays disagree on ``n`` or have the wrong width.
        """
        o = np.asarray(obs, dtype=np.float32)
        if o.ndim != 2:
            raise ConfigError(f'ReplayBuffer obs has shape {o.shape}, add_many needs (n, {self.obs_dim})')
        n = o.shape[0]
        o = self._rows('obs', o, n, self.obs_dim)
        a = self._rows('actions', actions, n, self.action_dim)
        r = self._rows('rewards', rewards, n, None)
        no = self._rows('next_obs', next_obs, n, self.obs_dim)
        d = self._rows('terminated', terminated, n, None)
        if n == 0:
            return
        if n > self.capacity:
            # Rows that a sequence of add() would overwrite anyway; keep the ring position
            # identical to n add() calls.
            skip = n - self.capacity
            self._ptr = (self._ptr + skip) % self.capacity
            o, a, r, no, d = o[skip:], a[skip:], r[skip:], no[skip:], d[skip:]
            n = self.capacity
        first = min(n, self.capacity - self._ptr)
        for dst, src in zip((self.observations, self.actions, self.rewards, self.next_observations, self.terminated),
                            (o, a, r, no, d), strict=True):
            dst[self._ptr:self._ptr + first] = src[:first]
            if first < n:
                dst[:n - first] = src[first:]
        self._ptr = (self._ptr + n) % self.capacity
        self._size = min(self._size + n, self.capacity)

    def _gather(self, idx: np.ndarray) -> Batch:
        return Batch(
            self.observations[idx],
            self.actions[idx],
            self.rewards[idx],
            self.next_observations[idx],
            self.terminated[idx],
        )

    def sample(self, n: int, rng: np.random.Generator | None = None) -> Batch:
        """``n`` transitions drawn uniformly with replacement (as SB3).

        Args:
            n: batch size (``0`` gives an empty batch).
            rng: generator to draw indices with; default the buffer's own.

        Returns:
            :class:`Batch` of fresh float32 numpy arrays: ``(n, obs_dim)``,
            ``(n, action_dim)``, ``(n,)``, ``(n, obs_dim)``, ``(n,)``.

        Raises:
            ConfigError: ``n`` is negative, or ``n > 0`` and the buffer is empty.
        """
        if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 0:
            raise ConfigError(f'sample size must be a non-negative integer, got {n!r}')
        if n and not self._size:
            raise ConfigError('cannot sample from an empty ReplayBuffer: add transitions first')
        idx = (rng if rng is not None else self.rng).integers(0, max(self._size, 1), size=int(n))
        return self._gather(idx)

    # ------------------------------------------------------------------ state

    def state(self) -> dict[str, np.ndarray]:
        """Contents and position as a flat dict of numpy arrays (e.g. for
        ``safetensors.numpy.save_file``). Only the filled rows are stored.

        Keys: the five field names (``len(self)`` rows), ``meta`` (int64
        ``[version, obs_dim, action_dim, capacity, ptr, size]``) and ``rng_state``
        (uint8, the generator's state as UTF-8 JSON).
        """
        n = self._size
        out = {name: getattr(self, name)[:n].copy() for name in _FIELDS}
        out['meta'] = np.array(
            [_STATE_VERSION, self.obs_dim, self.action_dim, self.capacity, self._ptr, self._size], dtype=np.int64
        )
        rng_json = json.dumps(self.rng.bit_generator.state).encode()
        out['rng_state'] = np.frombuffer(rng_json, dtype=np.uint8).copy()
        return out

    @classmethod
    def from_state(cls, state: Mapping[str, np.ndarray]) -> ReplayBuffer:
        """Rebuild a buffer from :meth:`state` (same contents, position and RNG).

        Raises:
            ConfigError: a key is missing or the arrays do not fit the stored sizes.
        """
        for key in (*_FIELDS, 'meta'):
            if key not in state:
                raise ConfigError(f'ReplayBuffer state has no {key!r}')
        meta = np.asarray(state['meta']).astype(np.int64).tolist()
        if len(meta) != 6 or meta[0] != _STATE_VERSION:
            raise ConfigError(f'ReplayBuffer state meta {meta} is not version {_STATE_VERSION}')
        _, obs_dim, action_dim, capacity, ptr, size = meta
        buffer = cls(obs_dim, action_dim, capacity, seed=None)
        if not (0 <= size <= capacity and 0 <= ptr < capacity):
            raise ConfigError(f'ReplayBuffer state has size {size}, ptr {ptr} for capacity {capacity}')
        widths = {'observations': obs_dim, 'actions': action_dim, 'next_observations': obs_dim}
        for name in _FIELDS:
            array = np.asarray(state[name], dtype=np.float32)
            expected = (size, widths[name]) if name in widths else (size,)
            if array.shape != expected:
                raise ConfigError(f'ReplayBuffer state {name} has shape {array.shape}, expected {expected}')
            getattr(buffer, name)[:size] = array
        buffer._ptr, buffer._size = ptr, size
        if 'rng_state' in state:
            try:
                buffer.rng.bit_generator.state = json.loads(np.asarray(state['rng_state'], dtype=np.uint8).tobytes())
            except (ValueError, TypeError, KeyError) as exc:
                raise ConfigError(f'ReplayBuffer state rng_state is invalid: {exc}') from None
        return buffer


def sample_mixed(
    online: ReplayBuffer,
    demo: ReplayBuffer | None,
    batch_size: int,
    demo_fraction: float = 0.5,
    rng: np.random.Generator | None = None,
) -> Batch:
    """Symmetric sampling (RLPD, Ball et al. 2023, "Symmetric Sampling"): part demos, part online.

    ``n_demo = floor(batch_size * demo_fraction)`` rows come from ``demo`` and the
    remaining ``batch_size - n_demo`` from ``online``, both uniform with replacement.
    When ``demo`` is ``None`` or empty all rows come from ``online``; when ``online`` is
    empty all rows come from ``demo``. Demo rows come first in the batch.

    Args:
        online: buffer of the agent's own transitions.
        demo: buffer of demonstrations / offline data, or ``None``.
        batch_size: total rows.
        demo_fraction: share of demo rows, in [0, 1]; 0.5 is RLPD's.
        rng: generator for the indices; default each buffer's own.

    Returns:
        :class:`Batch` with ``batch_size`` rows (numpy float32).

    Raises:
        ConfigError: ``demo_fraction`` outside [0, 1], ``batch_size`` not positive, the
            two buffers differ in obs/action size, or both are empty.
    """
    if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) or batch_size <= 0:
        raise ConfigError(f'batch_size must be a positive integer, got {batch_size!r}')
    if not 0.0 <= float(demo_fraction) <= 1.0:
        raise ConfigError(f'demo_fraction must be in [0, 1], got {demo_fraction!r}')
    if demo is not None and (demo.obs_dim, demo.action_dim) != (online.obs_dim, online.action_dim):
        raise ConfigError(
            f'demo buffer has obs/action size {demo.obs_dim}/{demo.action_dim}, '
            f'online buffer {online.obs_dim}/{online.action_dim}'
        )
    have_demo = demo is not None and len(demo) > 0
    if not have_demo:
        if not len(online):
            raise ConfigError('cannot sample: the online and demo buffers are both empty')
        return online.sample(batch_size, rng)
    if not len(online):
        return demo.sample(batch_size, rng)
    # floor; the epsilon keeps e.g. 100 * 0.29 (= 28.999999999999996 in binary) at 29.
    n_demo = min(int(batch_size * float(demo_fraction) + 1e-9), int(batch_size))
    from_demo = demo.sample(n_demo, rng)
    from_online = online.sample(batch_size - n_demo, rng)
    return Batch(*(np.concatenate(pair) for pair in zip(from_demo, from_online, strict=True)))
