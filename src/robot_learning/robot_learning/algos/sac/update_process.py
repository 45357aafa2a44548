# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 robot_learning maintainers
"""SAC updates in a process of their own (``OnlineLearner(update_process=True)``).

Why: in the ``sac_learner`` node the updates ran in a thread of the node's process, so
every message callback of the rclpy executor and every update took turns at one
interpreter lock; here :meth:`SAC.update` runs in a child process, and the node's process
only converts messages and writes rows.

How (:class:`RemoteUpdates`, the parent's side, and :func:`child_main`, the child's):

- The child is a fresh interpreter (``python -c``, a socket pair as its pipe: never
  ``fork`` a process that has rclpy/DDS threads, and unlike multiprocessing's ``spawn``
  it does not re-run the parent's ``__main__``), started from the full SAC state the
  parent has (networks, targets, Adam moments, temperature, counters:
  :func:`.checkpoint_sac.sac_state_dict`, as a safetensors blob), its own ``torch``
  thread count, and the names of three shared-memory segments: the online and demo replay buffers
  (:class:`~robot_learning.data.shared_replay.SharedReplayBuffer`, written by the
  parent's :meth:`OnlineLearner.add`, sampled by the child) and a control block.
- Control block (int64 header, float64 slots, float32 actor): the UTD gate as an
  absolute ``limit`` (the child runs update ``k + 1`` only while ``k < limit``; the parent
  sets ``limit`` from :meth:`OnlineLearner.ready`'s rule: the transitions received after
  ``warmup_transitions``, capped at ``max_env_steps``), ``actor_from`` (updates below it
  are critic-only, ``update(update_actor=False)``), ``demo_ratio``, and the actor's
  weights after each update behind a sequence lock (odd while the child writes).
- A pipe: the child sends ``('u', count, stats)`` after every update (so the parent's
  :meth:`OnlineLearner.update` still returns one update's metrics at a time, and the
  node's per-update pushes, progress and checkpoints keep their numbers), ``('state',
  count, blob)`` on request (a checkpoint save gets the child's full SAC state) and
  ``('error', line)`` before dying of an exception; the parent sends ``('state',)``,
  ``('buffers', online, demo)`` (a buffer was replaced) and ``('stop',)``.
- The child ignores SIGINT/SIGTERM (a terminal's Ctrl-C reaches the whole process group;
  the parent decides when it stops, after taking its last state) and exits when the pipe
  closes or its parent changes, so a parent killed with SIGKILL leaves no orphan.
- A child that dies (killed, or an exception) is restarted by :meth:`RemoteUpdates.poll`
  from the last state the parent has: the full state of the last save (or of the start)
  with the last actor weights received; the updates since then are lost, the counters do
  not go back, and the robots act on their last weights meanwhile.
  :attr:`RemoteUpdates.restarts` counts it.

Nothing here imports rclpy.
"""

from __future__ import annotations

from collections import deque
from multiprocessing import resource_tracker, shared_memory
from multiprocessing.connection import Connection
import os
from pathlib import Path
import signal
import socket
import subprocess
import sys
import threading
import time
from typing import Any

import numpy as np
from robot_learning.data.buffers import sample_mixed
from robot_learning.data.shared_replay import segment_name, SharedReplayBuffer
from robot_learning.errors import one_line
from safetensors.torch import load as _st_load
from safetensors.torch import save as _st_save
import torch

from .checkpoint_sac import load_sac_state_dict, restore_learning_rates, sac_state_dict
from .configuration_sac import SACConfig
from .modeling_sac import SAC, tune_cpu_allocator

__all__ = ['RemoteUpdates']

# Control block: int64 words, then float64 slots, then the actor (float32).
_LIMIT, _ACTOR_FROM, _SEQ, _ACTOR_COUNT = 0, 1, 2, 3
_DEMO_RATIO = 0
_INTS, _FLOATS = 8, 4
_ACTOR_OFFSET = (_INTS + _FLOATS) * 8
#: Seconds a checkpoint waits for the child's state before saving the parent's last one.
STATE_TIMEOUT_S = 3.0
#: Seconds between two restarts (a child that dies at once is not respawned in a loop).
RESTART_BACKOFF_S = 2.0
_IDLE_S = 0.002  # the child's wait for a command while the gate is closed
_POLL_WAIT_S = 0.005  # the parent's wait for the child's next update in poll()


class _Control:
    """The control block: gate, demo ratio and the actor under a sequence lock."""

    def __init__(self, shm: shared_memory.SharedMemory, shapes: list[tuple[str, tuple]]):
        self.shm, self.shapes = shm, shapes
        self.ints = np.ndarray((_INTS,), np.int64, shm.buf, 0)
        self.floats = np.ndarray((_FLOATS,), np.float64, shm.buf, _INTS * 8)
        numel = sum(int(np.prod(s)) for _, s in shapes)
        self.actor = np.ndarray((numel,), np.float32, shm.buf, _ACTOR_OFFSET)

    @classmethod
    def create(cls, shapes: list[tuple[str, tuple]]) -> _Control:
        numel = sum(int(np.prod(s)) for _, s in shapes)
        size = _ACTOR_OFFSET + 4 * max(numel, 1)
        return cls(shared_memory.SharedMemory(segment_name('ctl'), create=True, size=size), shapes)

    def write_actor(self, state: dict[str, torch.Tensor], count: int) -> None:
        self.ints[_SEQ] += 1  # odd: being written
        offset = 0
        for name, shape in self.shapes:
            n = int(np.prod(shape))
            self.actor[offset: offset + n] = state[name].detach().reshape(-1).numpy()
            offset += n
        self.ints[_ACTOR_COUNT] = count
        self.ints[_SEQ] += 1

    def read_actor(self) -> tuple[int, dict[str, torch.Tensor]] | None:
        """Return ``(count, actor state)`` of a consistent copy, or None (none yet / busy)."""
        for _ in range(20):
            seq = int(self.ints[_SEQ])
            if seq == 0:
                return None  # the child has not written one yet
            if seq % 2:
                time.sleep(1e-4)
                continue
            flat, count = self.actor.copy(), int(self.ints[_ACTOR_COUNT])
            if int(self.ints[_SEQ]) == seq:
                out, offset = {}, 0
                for name, shape in self.shapes:
                    n = int(np.prod(shape))
                    out[name] = torch.from_numpy(flat[offset: offset + n].reshape(shape))
                    offset += n
                return count, out
        return None

    def release(self, unlink: bool) -> None:
        self.ints = self.floats = self.actor = None
        try:
            self.shm.close()
        except BufferError:
            pass
        if unlink:
            try:
                self.shm.unlink()
            except FileNotFoundError:
                pass


def state_blob(sac: SAC) -> bytes:
    """Return :func:`.checkpoint_sac.sac_state_dict` of ``sac`` as a safetensors blob."""
    return _st_save({k: v.contiguous() for k, v in sac_state_dict(sac).items()})


class RemoteUpdates:
    """The parent's side of the update process of one :class:`~.online.OnlineLearner`.

    Built by the learner at the end of its construction: shares its buffers (replacing
    ``learner.online`` / ``learner.demo`` by shared copies) and starts the child.

    Args:
        learner: the :class:`~.online.OnlineLearner` (its ``sac``, buffers, counters,
            ``lock``, ``train_lock`` and ``_log`` are used).
        threads: ``torch`` intra-op threads of the child (0 = this process's count).

    Updates below ``learner.critic_warmup_until`` are critic-only
    (``OnlineConfig.critic_warmup_updates`` after an ``init_from``), as in-process.

    Attributes:
        restarts: children restarted after one died (also ``learner.update_process_restarts``).
        pid: the running child's process id.
    """

    def __init__(self, learner: Any, threads: int = 0) -> None:
        self.learner = learner
        self.threads = int(threads) if threads and threads > 0 else torch.get_num_threads()
        self._pipe_lock = threading.RLock()  # the pipe, the pending records, the counters
        self._pending: deque[tuple[int, dict]] = deque()
        self.restarts, self.pid = 0, None
        self._proc = self._conn = None
        self._last_check = self._started = 0.0
        self._error = ''
        shapes = [(k, tuple(v.shape)) for k, v in learner.sac.actor_state().items()]
        self._control = _Control.create(shapes)
        self._online = self._demo = None
        with learner.lock:
            self._share_buffers()
        self._start(state_blob(learner.sac))

    # --- buffers ----------------------------------------------------------------------
    def _share_buffers(self) -> bool:
        """Share whichever of the learner's buffers is not this process's shared one."""
        learner, changed = self.learner, False
        for attr in ('online', 'demo'):
            buffer, mine = getattr(learner, attr), getattr(self, f'_{attr}')
            if buffer is mine or buffer is None:
                continue
            shared = SharedReplayBuffer.share(buffer, attr)
            setattr(learner, attr, shared)
            if mine is not None:
                mine.release()  # the child keeps its mapping until it attaches the new one
            setattr(self, f'_{attr}', shared)
            changed = True
        return changed

    def _names(self) -> tuple[str, str | None]:
        return self._online.name, self._demo.name if self._demo is not None else None

    # --- the child ----------------------------------------------------------------------
    def _start(self, blob: bytes) -> None:
        online, demo = self._names()
        spec = {
            'config': self.learner.sac_cfg.to_dict(),
            'state': blob,
            'online': online,
            'demo': demo,
            'control': self._control.shm.name,
            'shapes': self._control.shapes,
            'start': int(self.learner.updates),
            'threads': self.threads,
            'seed': [int(self.learner.sac_cfg.seed), self.restarts],
            'parent': os.getpid(),
        }
        self._gate()
        parent, child = socket.socketpair()
        # A fresh interpreter (fork would copy rclpy/DDS threads' locks mid-state), started
        # as a plain command rather than multiprocessing's spawn, which would re-run the
        # parent's __main__ script in it; robot_learning is found where this process has it.
        root = str(Path(__file__).resolve().parents[3])
        env = dict(os.environ)
        env['PYTHONPATH'] = os.pathsep.join(p for p in (root, env.get('PYTHONPATH')) if p)
        proc = subprocess.Popen(
            [sys.executable, '-c', _CHILD_COMMAND, str(child.fileno())],
            pass_fds=(child.fileno(),),
            env=env,
        )
        child.close()
        conn = Connection(parent.detach())
        conn.send(spec)
        self._proc, self._conn, self.pid = proc, conn, proc.pid
        self._started = time.monotonic()
        self._error = ''
        self._updated = False  # no update since the start: the parent's state is the child's

    def _gate(self) -> None:
        learner, cfg = self.learner, self.learner.cfg
        n = learner.transitions
        limit = n if n >= cfg.warmup_transitions else 0
        if cfg.max_env_steps:
            limit = min(limit, cfg.max_env_steps)
        ints, floats = self._control.ints, self._control.floats
        ints[_LIMIT] = limit
        ints[_ACTOR_FROM] = int(getattr(learner, 'critic_warmup_until', 0))
        floats[_DEMO_RATIO] = float(learner.sac_cfg.demo_ratio)

    def _receive(self, timeout: float = 0.0) -> tuple | None:
        """Return the next message of the child (None: none within ``timeout``, or dead)."""
        conn = self._conn
        try:
            if conn is None or not conn.poll(timeout):
                return None
            msg = conn.recv()
        except (EOFError, OSError):
            return None
        if msg[0] == 'u':
            self._updated = True
            self._pending.append((msg[1], msg[2]))
        elif msg[0] == 'error':
            self._error = msg[1]
        return msg

    def _drain(self) -> None:
        while self._receive() is not None:
            pass

    def alive(self) -> bool:
        """Tell whether the child process is running."""
        return self._proc is not None and self._proc.poll() is None

    def _restart_if_dead(self) -> None:
        # Lock order everywhere: learner.train_lock, then the pipe lock (as save() does).
        now = time.monotonic()
        if now - self._last_check < 0.05:
            return
        self._last_check = now
        if self._proc is None or self.alive() or now - self._started < RESTART_BACKOFF_S:
            return
        proc, learner = self._proc, self.learner
        with learner.train_lock, self._pipe_lock:
            self._drain()
            self._pending.clear()  # their state died with the child
            code = proc.returncode
            how = f'killed by signal {-code}' if code is not None and code < 0 else f'exit {code}'
            self._close_conn()
            self.restarts += 1
            learner.update_process_restarts = self.restarts
            self._install_actor()
            self._start(state_blob(learner.sac))
        why = f': {self._error}' if self._error else ''
        learner._log(
            'error',
            f'update process (pid {proc.pid if proc else "?"}) died ({how}{why}); restarted '
            f'it (pid {self.pid}, restart {self.restarts}) from the last state it sent, at '
            f'{learner.updates} updates; the robots keep acting on weights version '
            f'{learner.version}',
        )

    def _install_actor(self) -> None:
        """Copy the child's latest actor into the parent's SAC (caller holds train_lock)."""
        got = self._control.read_actor()
        if got is not None:
            self.learner.sac.load_actor_state(got[1])

    # --- what OnlineLearner calls -------------------------------------------------------
    def poll(self) -> dict[str, float] | None:
        """Refresh the gate, restart a dead child, and take one update's record.

        Returns:
            The metrics of the next update the child finished (``learner.updates`` and
            ``learner.last_stats`` advance by one), or None when there is none yet.
        """
        learner = self.learner
        self._restart_if_dead()
        if learner.online is not self._online or learner.demo is not self._demo:
            with learner.lock, self._pipe_lock:  # lock order: train_lock, lock, pipe lock
                if self._share_buffers():
                    self._send(('buffers', *self._names()))
        with self._pipe_lock:
            self._gate()
            if not self._pending:
                # Wait in select (off the interpreter lock) for the next update rather than
                # have the caller spin: fewer wake-ups stealing the lock from the executor.
                self._receive(_POLL_WAIT_S)
            while self._pending and self._pending[0][0] <= learner.updates:
                self._pending.popleft()  # already counted by a state pull
            if not self._pending:
                return None
            count, stats = self._pending.popleft()
            learner.updates = count
            learner.last_stats = stats
            return stats

    def _send(self, msg: tuple) -> bool:
        try:
            self._conn.send(msg)
            return True
        except (OSError, AttributeError, ValueError):
            return False

    def pull_actor(self) -> None:
        """Load the child's latest actor weights into ``learner.sac`` (for weights_blob)."""
        with self.learner.train_lock:
            self._install_actor()

    def pull_state(self, timeout: float = STATE_TIMEOUT_S) -> bool:
        """Load the child's full SAC state into ``learner.sac`` (caller holds train_lock).

        The updates the child reported up to that state are counted (``learner.updates``
        jumps to the state's count). When the child does not answer within ``timeout``
        (dead, stuck), the parent's last state with the latest actor is kept, with one
        warning.

        Returns:
            True when the state came from the child.
        """
        learner = self.learner
        with self._pipe_lock:
            self._drain()
            if not self._updated:
                return True  # still the state it was started from (maybe still importing)
            if self.alive() and self._send(('state',)):
                deadline = time.monotonic() + timeout
                while time.monotonic() < deadline:
                    msg = self._receive(min(0.05, max(deadline - time.monotonic(), 0.0)))
                    if msg is not None and msg[0] == 'state':
                        count, blob = msg[1], msg[2]
                        load_sac_state_dict(learner.sac, _st_load(blob))
                        restore_learning_rates(learner.sac)
                        while self._pending and self._pending[0][0] <= count:
                            learner.last_stats = self._pending.popleft()[1]
                        learner.updates = max(learner.updates, count)
                        return True
                    if msg is None and not self.alive():
                        break
            self._install_actor()
        learner._log(
            'warning',
            'update process did not send its state: saving the last state it sent, with '
            'its latest actor weights',
        )
        return False

    def _close_conn(self) -> None:
        if self._conn is not None:
            try:
                self._conn.close()
            except OSError:
                pass
        self._conn = None

    def close(self, timeout: float = 2.0) -> None:
        """Stop the child (SIGKILL after ``timeout`` s) and unlink every segment."""
        with self.learner.lock, self._pipe_lock:
            proc = self._proc
            if proc is not None:
                self._send(('stop',))
                deadline = time.monotonic() + timeout
                while proc.poll() is None and time.monotonic() < deadline:
                    self._drain()  # a child blocked on a full pipe must see 'stop'
                    time.sleep(0.01)
                if proc.poll() is None:
                    proc.kill()  # stuck: SIGKILL, so that it never outlives its parent
                    proc.wait(1.0)
                self._proc = None
            self._close_conn()
            for attr in ('online', 'demo'):
                shared = getattr(self, f'_{attr}')
                if shared is not None:
                    shared.release()  # the learner's buffers read as empty from now on
                setattr(self, f'_{attr}', None)
            if self._control.ints is not None:
                self._control.release(unlink=True)


# ------------------------------------------------------------------------ the child


_CHILD_COMMAND = (
    'import sys; from robot_learning.algos.sac.update_process import child_main; '
    'child_main(int(sys.argv[1]))'
)


def child_main(fd: int) -> None:
    """Run updates until told to stop or the parent is gone (the child process's body).

    Args:
        fd: the child's end of the socket pair; the first message is the start spec.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    # The parent owns the segments and its resource tracker unlinks them if it is killed;
    # a tracker of this process would unlink them when this process ends (CPython
    # gh-82300, fixed by SharedMemory(track=False) in 3.13), under the parent's feet.
    resource_tracker.register = lambda name, rtype: None
    conn = Connection(fd)
    try:
        _child_loop(conn, conn.recv())
    except (EOFError, BrokenPipeError, ConnectionResetError):
        pass  # the parent is gone
    except Exception as exc:  # one line to the parent, which restarts from its last state
        try:
            conn.send(('error', one_line(exc)))
        except OSError:
            pass
        raise SystemExit(1)


def _child_loop(conn: Any, spec: dict) -> None:
    torch.set_num_threads(int(spec['threads']))
    tune_cpu_allocator()
    sac = SAC(SACConfig.from_dict(spec['config']))
    load_sac_state_dict(sac, _st_load(spec['state']))
    restore_learning_rates(sac)
    control = _Control(shared_memory.SharedMemory(spec['control']), spec['shapes'])
    buffers = _attach(spec['online'], spec['demo'])
    rng = np.random.default_rng(spec['seed'])
    parent, count = spec['parent'], int(spec['start'])
    try:
        while os.getppid() == parent:
            online, demo = buffers
            closed = count >= int(control.ints[_LIMIT]) or not (
                len(online) or (demo is not None and len(demo))
            )
            if conn.poll(_IDLE_S if closed else 0):
                msg = conn.recv()
                if msg[0] == 'stop':
                    return
                if msg[0] == 'state':
                    conn.send(('state', count, state_blob(sac)))
                elif msg[0] == 'buffers':
                    for b in buffers:
                        if b is not None:
                            b.release()
                    buffers = _attach(msg[1], msg[2])
                continue
            if closed:
                continue
            batch = sample_mixed(
                online,
                demo,
                sac.rows_per_update,
                float(control.floats[_DEMO_RATIO]),
                rng,
                sac.config.utd_ratio,
            )
            stats = sac.update(batch, update_actor=count >= int(control.ints[_ACTOR_FROM]))
            count += 1
            control.write_actor(sac.actor.state_dict(), count)
            conn.send(('u', count, stats))
    finally:
        for b in buffers:
            if b is not None:
                b.release()
        control.release(unlink=False)


def _attach(online: str, demo: str | None) -> tuple[SharedReplayBuffer, SharedReplayBuffer | None]:
    return (
        SharedReplayBuffer.attach(online),
        SharedReplayBuffer.attach(demo) if demo else None,
    )
