# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 robot_learning maintainers
"""Replay buffers.

A numpy ring buffer of transitions, RLPD symmetric sampling and an n-step return
accumulator.

Sources
-------
- Replay memory: Lin 1992; Mnih et al. 2015 (DQN). Layout as SB3
  ``common/buffers.ReplayBuffer`` (separate ``next_observations`` array, i.e. SB3 with
  ``optimize_memory_usage=False``), uniform sampling with replacement.
- Symmetric sampling: Ball, Smith, Kostrikov, Levine, "Efficient Online Reinforcement
  Learning with Offline Data" (RLPD), ICML 2023, arXiv:2302.02948, "Symmetric Sampling":
  each batch is half offline (demonstration) data, half online data.
- n-step returns: Sutton, Barto, "Reinforcement Learning: An Introduction", 2nd ed. 2018,
  sec. 7.1, eq. 7.1 (``G_{t:t+n}``); as replayed off-policy without correction by Rainbow
  (Hessel et al., AAAI 2018, "Multi-step learning": n = 3) and D4PG (Barth-Maron et al.,
  ICLR 2018, "N-step returns": N = 5).

All arrays are float32; ``terminated`` is 1.0 only for a true termination, 0.0 for a
time-limit truncation (see :class:`robot_learning.algos.sac.modeling_sac.Batch`); ``n_steps``
is the
number of environment steps a transition spans (1 for ordinary transitions). Nothing
here imports rclpy or torch tensors; batches are numpy arrays that :meth:`SAC.update`
accepts.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping
import json
import math
from typing import Any, NamedTuple

import numpy as np
from robot_learning.errors import ConfigError
from robot_learning.types import Batch

__all__ = ['NStepAccumulator', 'NStepTransition', 'ReplayBuffer', 'sample_mixed']

_FIELDS = ('observations', 'actions', 'rewards', 'next_observations', 'terminated', 'n_steps')
#: 2 added ``n_steps``; version-1 states (without it) load as all ones.
_STATE_VERSION = 2
_READABLE_VERSIONS = (1, 2)


def _positive_int(name: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value <= 0:
        raise ConfigError(f'ReplayBuffer {name} must be a positive integer, got {value!r}')
    return int(value)


class ReplayBuffer:
    """Fixed-capacity FIFO ring buffer of transitions, stored as float32 numpy arrays.

    Memory: ``capacity * (2 * obs_dim + action_dim + 3) * 4`` bytes, allocated up front
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
        self.n_steps = np.zeros(self.capacity, dtype=np.float32)  # every written row gets >= 1
        self._ptr = 0  # next row to write
        self._size = 0

    def __len__(self) -> int:
        """Return the number of stored transitions (at most ``capacity``)."""
        return self._size

    @property
    def full(self) -> bool:
        """Tell whether ``capacity`` transitions were added (older ones get overwritten)."""
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
            raise ConfigError(
                f'ReplayBuffer {name} has shape {array.shape}, the buffer needs {expected}'
            )
        return array

    def add(
        self,
        obs: Any,
        action: Any,
        reward: float,
        next_obs: Any,
        terminated: bool | float,
        n_steps: int = 1,
    ) -> None:
        """Append one transition (copied, cast to float32).

        Args:
            obs: ``(obs_dim,)``.
            action: ``(action_dim,)`` in [-1, 1].
            reward: scalar (for an n-step transition the discounted sum of its rewards).
            next_obs: ``(obs_dim,)``.
            terminated: true termination (not time-limit truncation); stored as 1.0/0.0.
            n_steps: environment steps from ``obs`` to ``next_obs``, >= 1 (see
                :class:`NStepAccumulator`).

        Raises:
            ConfigError: an array has the wrong shape, or ``n_steps`` < 1.
        """
        o = self._rows('obs', obs, None, self.obs_dim)
        a = self._rows('action', action, None, self.action_dim)
        no = self._rows('next_obs', next_obs, None, self.obs_dim)
        r = self._rows('reward', reward, None, None)
        d = self._rows('terminated', terminated, None, None)
        if not n_steps >= 1:  # also rejects NaN
            raise ConfigError(f'ReplayBuffer n_steps must be >= 1, got {n_steps!r}')
        i = self._ptr
        self.observations[i] = o
        self.actions[i] = a
        self.rewards[i] = r
        self.next_observations[i] = no
        self.terminated[i] = d
        self.n_steps[i] = n_steps
        self._ptr = (i + 1) % self.capacity
        self._size = min(self._size + 1, self.capacity)

    def add_many(
        self,
        obs: Any,
        actions: Any,
        rewards: Any,
        next_obs: Any,
        terminated: Any,
        n_steps: Any = None,
    ) -> None:
        """Append ``n`` transitions in order, vectorised (same result as ``n`` :meth:`add`).

        Args:
            obs: ``(n, obs_dim)``; actions ``(n, action_dim)``; rewards ``(n,)``;
            next_obs ``(n, obs_dim)``; terminated ``(n,)`` (bool or 0/1); n_steps
            ``(n,)`` step counts >= 1 or ``None`` (all 1). ``(n, 1)`` is accepted for
            rewards, terminated and n_steps. If ``n > capacity`` only the last
            ``capacity`` rows are kept.

        Raises:
            ConfigError: the arrays disagree on ``n`` or have the wrong width, or an
                ``n_steps`` is < 1.
        """
        o = np.asarray(obs, dtype=np.float32)
        if o.ndim != 2:
            raise ConfigError(
                f'ReplayBuffer obs has shape {o.shape}, add_many needs (n, {self.obs_dim})'
            )
        n = o.shape[0]
        o = self._rows('obs', o, n, self.obs_dim)
        a = self._rows('actions', actions, n, self.action_dim)
        r = self._rows('rewards', rewards, n, None)
        no = self._rows('next_obs', next_obs, n, self.obs_dim)
        d = self._rows('terminated', terminated, n, None)
        k = np.ones(n, np.float32) if n_steps is None else self._rows('n_steps', n_steps, n, None)
        if not np.all(k >= 1):  # also rejects NaN
            raise ConfigError(
                f'ReplayBuffer n_steps must be >= 1, got minimum {float(np.min(k))!r}'
            )
        if n == 0:
            return
        if n > self.capacity:
            # Rows that a sequence of add() would overwrite anyway; keep the ring position
            # identical to n add() calls.
            skip = n - self.capacity
            self._ptr = (self._ptr + skip) % self.capacity
            o, a, r, no, d, k = o[skip:], a[skip:], r[skip:], no[skip:], d[skip:], k[skip:]
            n = self.capacity
        first = min(n, self.capacity - self._ptr)
        for dst, src in zip(
            (
                self.observations,
                self.actions,
                self.rewards,
                self.next_observations,
                self.terminated,
                self.n_steps,
            ),
            (o, a, r, no, d, k),
            strict=True,
        ):
            dst[self._ptr: self._ptr + first] = src[:first]
            if first < n:
                dst[: n - first] = src[first:]
        self._ptr = (self._ptr + n) % self.capacity
        self._size = min(self._size + n, self.capacity)

    def _gather(self, idx: np.ndarray) -> Batch:
        return Batch(
            self.observations[idx],
            self.actions[idx],
            self.rewards[idx],
            self.next_observations[idx],
            self.terminated[idx],
            self.n_steps[idx],
        )

    def sample(self, n: int, rng: np.random.Generator | None = None) -> Batch:
        """``n`` transitions drawn uniformly with replacement (as SB3).

        Args:
            n: batch size (``0`` gives an empty batch).
            rng: generator to draw indices with; default the buffer's own.

        Returns:
            :class:`Batch` of six fresh float32 numpy arrays: ``(n, obs_dim)``,
            ``(n, action_dim)``, ``(n,)``, ``(n, obs_dim)``, ``(n,)``, ``n_steps`` ``(n,)``.

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
        """Return contents and position as a flat dict of numpy arrays.

        For e.g. ``safetensors.numpy.save_file``. Only the filled rows are stored.

        Keys: the six field names (``len(self)`` rows, ``n_steps`` included), ``meta``
        (int64 ``[version, obs_dim, action_dim, capacity, ptr, size]``, version 2) and
        ``rng_state`` (uint8, the generator's state as UTF-8 JSON).
        """
        n = self._size
        out = {name: getattr(self, name)[:n].copy() for name in _FIELDS}
        out['meta'] = np.array(
            [_STATE_VERSION, self.obs_dim, self.action_dim, self.capacity, self._ptr, self._size],
            dtype=np.int64,
        )
        rng_json = json.dumps(self.rng.bit_generator.state).encode()
        out['rng_state'] = np.frombuffer(rng_json, dtype=np.uint8).copy()
        return out

    @classmethod
    def from_state(cls, state: Mapping[str, np.ndarray]) -> ReplayBuffer:
        """Rebuild a buffer from :meth:`state` (same contents, position and RNG).

        States of version 1 (written before ``n_steps`` existed) load with ``n_steps`` all ones.

        Raises:
            ConfigError: a key is missing or the arrays do not fit the stored sizes.
        """
        for key in (*_FIELDS[:5], 'meta'):
            if key not in state:
                raise ConfigError(f'ReplayBuffer state has no {key!r}')
        meta = np.asarray(state['meta']).astype(np.int64).tolist()
        if len(meta) != 6 or meta[0] not in _READABLE_VERSIONS:
            raise ConfigError(
                f'ReplayBuffer state meta {meta} is not version 1 or {_STATE_VERSION}'
            )
        _, obs_dim, action_dim, capacity, ptr, size = meta
        buffer = cls(obs_dim, action_dim, capacity, seed=None)
        if not (0 <= size <= capacity and 0 <= ptr < capacity):
            raise ConfigError(
                f'ReplayBuffer state has size {size}, ptr {ptr} for capacity {capacity}'
            )
        widths = {'observations': obs_dim, 'actions': action_dim, 'next_observations': obs_dim}
        if 'n_steps' not in state:
            if meta[0] != 1:
                raise ConfigError("ReplayBuffer state has no 'n_steps'")
            state = {**state, 'n_steps': np.ones(size, np.float32)}
        for name in _FIELDS:
            array = np.asarray(state[name], dtype=np.float32)
            expected = (size, widths[name]) if name in widths else (size,)
            if array.shape != expected:
                raise ConfigError(
                    f'ReplayBuffer state {name} has shape {array.shape}, expected {expected}'
                )
            getattr(buffer, name)[:size] = array
        if not np.all(buffer.n_steps[:size] >= 1):
            raise ConfigError('ReplayBuffer state n_steps has values < 1')
        buffer._ptr, buffer._size = ptr, size
        if 'rng_state' in state:
            try:
                buffer.rng.bit_generator.state = json.loads(
                    np.asarray(state['rng_state'], dtype=np.uint8).tobytes()
                )
            except (ValueError, TypeError, KeyError) as exc:
                raise ConfigError(f'ReplayBuffer state rng_state is invalid: {exc}') from None
        return buffer


def sample_mixed(
    online: ReplayBuffer,
    demo: ReplayBuffer | None,
    batch_size: int,
    demo_fraction: float = 0.5,
    rng: np.random.Generator | None = None,
    minibatches: int = 1,
) -> Batch:
    """Symmetric sampling (RLPD, Ball et al. 2023, "Symmetric Sampling"): part demos, part online.

    ``n_demo = floor(batch_size * demo_fraction)`` rows come from ``demo`` and the
    remaining ``batch_size - n_demo`` from ``online``, both uniform with replacement.
    When ``demo`` is ``None`` or empty all rows come from ``online``; when ``online`` is
    empty all rows come from ``demo``. Demo rows come first in the batch.

    With ``minibatches = m > 1`` (a UTD-``m`` batch that ``SAC.update`` splits into ``m``
    consecutive minibatches) the batch is ``m`` such blocks of ``batch_size / m`` rows, each
    mixed on its own: every critic step and the actor step see the demo share, where one
    block of all demo rows then all online rows would give the first steps only demos and
    the last (the actor's) only online rows.

    Args:
        online: buffer of the agent's own transitions.
        demo: buffer of demonstrations / offline data, or ``None``.
        batch_size: total rows.
        demo_fraction: share of demo rows, in [0, 1]; 0.5 is RLPD's (the learner passes
            ``SACConfig.demo_ratio``).
        rng: generator for the indices; default each buffer's own.
        minibatches: blocks mixed one by one (``SACConfig.utd_ratio``); must divide
            ``batch_size``.

    Returns:
        :class:`Batch` with ``batch_size`` rows (numpy float32, ``n_steps`` included).

    Raises:
        ConfigError: ``demo_fraction`` outside [0, 1], ``batch_size`` not positive or not
            a multiple of ``minibatches``, the two buffers differ in obs/action size, or
            both are empty.
    """
    if (
        isinstance(batch_size, bool)
        or not isinstance(batch_size, (int, np.integer))
        or batch_size <= 0
    ):
        raise ConfigError(f'batch_size must be a positive integer, got {batch_size!r}')
    if not 0.0 <= float(demo_fraction) <= 1.0:
        raise ConfigError(f'demo_fraction must be in [0, 1], got {demo_fraction!r}')
    if (
        isinstance(minibatches, bool)
        or not isinstance(minibatches, (int, np.integer))
        or minibatches < 1
        or batch_size % minibatches
    ):
        raise ConfigError(
            f'minibatches must be a positive integer dividing batch_size {batch_size}, '
            f'got {minibatches!r}'
        )
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
    rows = int(batch_size) // int(minibatches)
    # floor; the epsilon keeps e.g. 100 * 0.29 (= 28.999999999999996 in binary) at 29.
    n_demo = min(int(rows * float(demo_fraction) + 1e-9), rows)
    parts = []
    for _ in range(int(minibatches)):
        parts += [demo.sample(n_demo, rng), online.sample(rows - n_demo, rng)]
    return Batch(*(np.concatenate(field) for field in zip(*parts, strict=True)))


class NStepTransition(NamedTuple):
    """One n-step transition from :class:`NStepAccumulator`.

    Fields:
        obs: ``(obs_dim,)`` float32, ``s_t``.
        action: ``(action_dim,)`` float32, ``a_t``.
        reward: float, ``R = sum_{i<k} gamma^i r_{t+i}`` (float64 sum, exact up to the
            final cast when stored).
        next_obs: ``(obs_dim,)`` float32, ``s_{t+k}``.
        terminated: bool, the episode truly terminated at step ``t + k`` (then ``R`` is
            the whole remaining return and nothing is bootstrapped).
        n_steps: ``k``, 1 <= k <= n; below ``n`` only at the end of an episode.
    """

    obs: np.ndarray
    action: np.ndarray
    reward: float
    next_obs: np.ndarray
    terminated: bool
    n_steps: int


class NStepAccumulator:
    """Turn the 1-step transitions of ONE stream into n-step transitions.

    One stream is one robot or one environment, in time order (Sutton & Barto 2018 sec. 7.1,
    eq. 7.1; Rainbow, Hessel et al. 2018; D4PG, Barth-Maron et al. 2018).

    The transition starting at step ``t`` is emitted once ``n`` steps are known
    (``R = sum_{i<n} gamma^i r_{t+i}``, next observation ``s_{t+n}``, ``terminated``
    false, ``k = n``) or when the episode ends at step ``t + k - 1`` with ``k <= n``: then
    every pending transition is emitted at once with ``s_{t+k}`` the episode's last
    next-observation and the episode's ``terminated`` flag (a truncated episode keeps
    ``terminated = False``, so its last transitions still bootstrap from ``s_{t+k}``
    with ``gamma^k``; Pardo et al. 2018). Every 1-step transition thus starts exactly
    one emitted transition, and the critic target is
    ``R + gamma^k (1 - terminated) V(s_{t+k})``
    (:class:`robot_learning.algos.sac.modeling_sac.SAC`).

    With ``n = 1`` every transition comes back unchanged (``k = 1``). Use one
    accumulator per stream: interleaving two robots' steps would splice their
    trajectories. ``gamma`` must be the learner's ``SACConfig.gamma``.

    Args:
        n: horizon, >= 1 (``SACConfig.n_step``).
        gamma: discount in [0, 1).

    Raises:
        ConfigError: ``n`` not a positive integer or ``gamma`` outside [0, 1).
    """

    def __init__(self, n: int, gamma: float) -> None:
        if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
            raise ConfigError(f'NStepAccumulator n must be a positive integer, got {n!r}')
        if (
            isinstance(gamma, bool)
            or not isinstance(gamma, (int, float, np.integer, np.floating))
            or not 0.0 <= float(gamma) < 1.0
        ):
            raise ConfigError(f'NStepAccumulator gamma must be in [0, 1), got {gamma!r}')
        self.n = int(n)
        self.gamma = float(gamma)
        # Pending 1-step transitions (obs, action, reward, next_obs), oldest first.
        self._pending: deque[tuple[np.ndarray, np.ndarray, float, np.ndarray]] = deque()

    def __len__(self) -> int:
        """Transitions received but not emitted yet (at most ``n - 1`` between calls)."""
        return len(self._pending)

    def _emit(self, next_obs: np.ndarray, terminated: bool) -> NStepTransition:
        """Return the n-step transition of the oldest pending step (bootstraps ``next_obs``)."""
        ret = 0.0
        for i, (_, _, reward, _) in enumerate(self._pending):
            ret += self.gamma**i * reward
        obs, action, _, _ = self._pending.popleft()
        return NStepTransition(obs, action, ret, next_obs, terminated, len(self._pending) + 1)

    def add(
        self,
        obs: Any,
        action: Any,
        reward: float,
        next_obs: Any,
        terminated: bool,
        truncated: bool = False,
    ) -> list[NStepTransition]:
        """Feed the next 1-step transition of the stream.

        Args:
            obs: ``s_t``, ``(obs_dim,)`` (copied as float32).
            action: ``a_t``, ``(action_dim,)`` (copied as float32).
            reward: ``r_t``, finite.
            next_obs: ``s_{t+1}``, ``(obs_dim,)`` (copied as float32).
            terminated: the episode truly ended at ``s_{t+1}``.
            truncated: the episode was cut at ``s_{t+1}`` (time limit, operator reset);
                the episode ends on either flag.

        Returns:
            The n-step transitions completed by this step, oldest first: none (fewer
            than ``n`` pending), one, or at the end of an episode all pending ones
            (``min(n, episode length)`` of them).

        Raises:
            ConfigError: ``reward`` is not finite.
        """
        reward = float(reward)
        if not math.isfinite(reward):
            raise ConfigError(f'NStepAccumulator reward must be finite, got {reward!r}')
        nxt = np.array(next_obs, dtype=np.float32)
        self._pending.append(
            (np.array(obs, dtype=np.float32), np.array(action, dtype=np.float32), reward, nxt)
        )
        if terminated or truncated:
            done = bool(terminated)
            return [self._emit(nxt, done) for _ in range(len(self._pending))]
        if len(self._pending) == self.n:
            return [self._emit(nxt, False)]
        return []

    def flush(self) -> list[NStepTransition]:
        """End the stream's current episode as a truncation.

        Emit every pending transition bootstrapping from the last received ``next_obs``
        (``terminated`` false, ``k`` < ``n``). For a stream that stops without an
        end-of-episode flag (robot disconnected, learner shutting down) when its data should
        be kept.

        Returns:
            The pending transitions as n-step transitions, oldest first (maybe none).
        """
        if not self._pending:
            return []
        nxt = self._pending[-1][3]
        return [self._emit(nxt, False) for _ in range(len(self._pending))]

    def reset(self) -> None:
        """Drop the pending transitions without emitting them.

        For a stream that lost continuity (e.g. messages were dropped): its next step must
        not be chained to the previous ones.
        """
        self._pending.clear()
