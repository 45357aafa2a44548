# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 robot_learning maintainers
"""A replay buffer in POSIX shared memory: one process writes rows, another samples them.

:class:`SharedReplayBuffer` is a :class:`~robot_learning.data.buffers.ReplayBuffer` whose
six arrays and ring position live in one :class:`multiprocessing.shared_memory.SharedMemory`
segment, so the online learner's process adds transitions with the ordinary ``add`` /
``add_many`` and its update process (:mod:`robot_learning.algos.sac.update_process`)
samples them with the ordinary ``sample`` / ``sample_mixed``, without copies or pickles.

Segment layout (all little-endian, each part 64-byte aligned): an int64 header
``[obs_dim, action_dim, capacity, ptr, size, 0, 0, 0]``, then ``observations``
``(capacity, obs_dim)``, ``actions`` ``(capacity, action_dim)``, ``rewards``,
``next_observations``, ``terminated``, ``n_steps`` (float32). The segment is named
``rl_replay_<pid>_<random>`` (``/dev/shm`` on Linux): the creator unlinks it in
:meth:`SharedReplayBuffer.release`; if the creator is killed, multiprocessing's resource
tracker unlinks it when the last process that used it is gone.

One writer: only the creating process adds rows, under its own lock. A reader takes
``size`` from the header and samples rows below it; a row is written before ``size`` or
``ptr`` moves past it, so a reader sees whole rows except, once the ring is full, a row
being overwritten at that instant (one row of a batch mixes an old and a new transition,
rarely: the cost of sampling without a cross-process lock).

Nothing here imports rclpy.
"""

from __future__ import annotations

from multiprocessing import shared_memory
import os
import secrets

import numpy as np

from .buffers import ReplayBuffer

__all__ = ['SharedReplayBuffer', 'SEGMENT_PREFIX']

#: Name prefix of every segment this module creates (look for leaks in /dev/shm).
SEGMENT_PREFIX = 'rl_'
_HEADER = 8  # int64 words
_ALIGN = 64
_PTR, _SIZE = 3, 4


def _layout(obs_dim: int, action_dim: int, capacity: int) -> tuple[list[tuple], int]:
    """Return ``[(field, offset, shape)]`` and the segment's size in bytes."""
    shapes = (
        ('observations', (capacity, obs_dim)),
        ('actions', (capacity, action_dim)),
        ('rewards', (capacity,)),
        ('next_observations', (capacity, obs_dim)),
        ('terminated', (capacity,)),
        ('n_steps', (capacity,)),
    )
    offset, out = _HEADER * 8, []
    for name, shape in shapes:
        out.append((name, offset, shape))
        offset += -(-int(np.prod(shape)) * 4 // _ALIGN) * _ALIGN
    return out, offset


def segment_name(kind: str) -> str:
    """Return a fresh segment name ``rl_<kind>_<pid>_<random>`` (short: macOS allows 31)."""
    return f'{SEGMENT_PREFIX}{kind}_{os.getpid()}_{secrets.token_hex(4)}'


class SharedReplayBuffer(ReplayBuffer):
    """A :class:`ReplayBuffer` whose arrays and position are in a shared-memory segment.

    Build one with :meth:`share` (the writer: copies a buffer in, owns the segment) or
    :meth:`attach` (a reader in another process, by :attr:`name`); every other method is
    :class:`ReplayBuffer`'s. Sampling draws from the buffer's own ``rng`` (per process)
    unless a generator is passed.
    """

    def __init__(self, shm: shared_memory.SharedMemory, owner: bool, seed: int | None = 0):
        # ReplayBuffer.__init__ would allocate private arrays: the segment has them.
        self._shm, self._owner = shm, owner
        self._header = np.ndarray((_HEADER,), np.int64, shm.buf, 0)
        obs_dim, action_dim, capacity = (int(v) for v in self._header[:3])
        self.obs_dim, self.action_dim, self.capacity = obs_dim, action_dim, capacity
        for name, offset, shape in _layout(obs_dim, action_dim, capacity)[0]:
            setattr(self, name, np.ndarray(shape, np.float32, shm.buf, offset))
        self.rng = np.random.default_rng(seed)

    @property
    def name(self) -> str:
        """Return the segment's name, what :meth:`attach` opens."""
        return self._shm.name

    # The ring position is shared: ReplayBuffer's code reads and assigns these two.
    @property
    def _ptr(self) -> int:
        return int(self._header[_PTR])

    @_ptr.setter
    def _ptr(self, value: int) -> None:
        self._header[_PTR] = value

    @property
    def _size(self) -> int:
        return int(self._header[_SIZE])

    @_size.setter
    def _size(self, value: int) -> None:
        self._header[_SIZE] = value

    @classmethod
    def share(cls, buffer: ReplayBuffer, kind: str = 'replay') -> SharedReplayBuffer:
        """Return a shared copy of ``buffer`` (contents, position, RNG state), owning its segment.

        Args:
            buffer: the buffer to copy (only its filled rows are copied; the segment's
                pages are mapped as they are written, like ``np.zeros``).
            kind: a word in the segment name (``online``, ``demo``).

        Raises:
            OSError: the segment cannot be created (``/dev/shm`` full or missing).
        """
        fields, nbytes = _layout(buffer.obs_dim, buffer.action_dim, buffer.capacity)
        shm = shared_memory.SharedMemory(name=segment_name(kind), create=True, size=nbytes)
        header = np.ndarray((_HEADER,), np.int64, shm.buf, 0)
        header[:] = [buffer.obs_dim, buffer.action_dim, buffer.capacity, 0, 0, 0, 0, 0]
        del header
        out = cls(shm, owner=True)
        n = len(buffer)
        for name, _, _ in fields:
            getattr(out, name)[:n] = getattr(buffer, name)[:n]
        out.rng.bit_generator.state = buffer.rng.bit_generator.state
        out._ptr, out._size = buffer._ptr, n
        return out

    @classmethod
    def attach(cls, name: str, seed: int | None = 0) -> SharedReplayBuffer:
        """Open the segment ``name`` that another process shared (a reader; not the owner).

        Raises:
            FileNotFoundError: no such segment (its owner released it).
        """
        return cls(shared_memory.SharedMemory(name=name), owner=False, seed=seed)

    def release(self) -> None:
        """Unmap the segment, and unlink it when this process created it (idempotent).

        The buffer is unusable afterwards (zero-size arrays).
        """
        shm, self._shm = getattr(self, '_shm', None), None
        if shm is None:
            return
        self._header = np.zeros(_HEADER, np.int64)  # keeps len() answering, as empty
        for name, _, _ in _layout(1, 1, 1)[0]:
            setattr(self, name, np.zeros((0,) * 1, np.float32))
        try:
            shm.close()
        except BufferError:  # a view is still held somewhere: the unmap waits for it
            pass
        if self._owner:
            try:
                shm.unlink()
            except FileNotFoundError:
                pass
