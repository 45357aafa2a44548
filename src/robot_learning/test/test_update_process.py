# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 robot_learning maintainers
"""OnlineLearner(update_process=True) without ROS: gate, weights, resume, restarts, cleanup."""

from __future__ import annotations

import os
from pathlib import Path
import signal
import subprocess
import sys
import time

import numpy as np
import pytest
from robot_learning.algos.sac import OnlineConfig, SACConfig
from robot_learning.algos.sac.online import OnlineLearner
from robot_learning.common.checkpoint import bytes_to_weights, load_checkpoint
from robot_learning.common.features import JointActionConfig, VectorObservationConfig
from robot_learning.data.buffers import ReplayBuffer
from robot_learning.data.shared_replay import SharedReplayBuffer
import torch

OBS = VectorObservationConfig(dim=3, names=('a', 'b', 'c'))
ACT = JointActionConfig(low=(-2.0,), high=(2.0,), names=('hinge',))
#: Seconds a condition may take: a fresh interpreter imports torch first (slow on a busy CPU).
WAIT_S = 90.0


def _sac_cfg(**kw) -> SACConfig:
    values = {'hidden': (16, 16), 'batch_size': 8, 'n_step': 1, **kw}
    return SACConfig(obs_dim=OBS.dim, action_dim=ACT.dim, **values)


def _learner(run_dir, remote=True, logs=None, **cfg) -> OnlineLearner:
    values = {'warmup_transitions': 4, 'checkpoint_every': 0, **cfg}
    log = (lambda level, text: logs.append((level, text))) if logs is not None else None
    return OnlineLearner(
        _sac_cfg(), OBS, ACT, run_dir, OnlineConfig(**values), log=log,
        update_process=remote, update_threads=1,
    )


def _feed(learner, steps: int, start: int = 0) -> None:
    rng = np.random.default_rng(start)
    for k in range(steps):
        assert learner.add(
            'r',
            rng.uniform(-1, 1, 3).astype(np.float32),
            rng.uniform(-1, 1, 1).astype(np.float32),
            -float(k),
            rng.uniform(-1, 1, 3).astype(np.float32),
            False,
            False,
            start + k + 1,
            start + k,
        )


def _run_until(learner, condition, what: str, timeout: float = WAIT_S) -> list:
    """Call ``learner.update()`` until ``condition()``; return the stats it gave."""
    got, deadline = [], time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f'timed out waiting for {what}'
        stats = learner.update()
        if stats is None:
            time.sleep(0.002)
        else:
            got.append(stats)
    return got


def _segments(learner) -> list[str]:
    remote = learner._remote
    names = [remote._online.name, remote._control.shm.name]
    return names + ([remote._demo.name] if remote._demo is not None else [])


def test_the_gate_holds_and_each_update_comes_back_one_by_one(tmp_path):
    learner = _learner(tmp_path, warmup_transitions=10, max_env_steps=25)
    try:
        assert isinstance(learner.online, SharedReplayBuffer)
        _feed(learner, 9)  # below the warmup: nothing runs, whatever the wait
        _feed(learner, 11, start=9)  # 20 transitions: 20 updates, no more
        got = _run_until(learner, lambda: learner.updates >= 20, '20 updates')
        assert len(got) == 20 and 'critic_loss' in got[-1] and learner.last_stats == got[-1]
        assert learner.updates == 20 and learner.trained_through('r') == 20
        # The child stops at the limit: let it run a while more, and still 20.
        deadline = time.monotonic() + 1.0
        while time.monotonic() < deadline:
            assert learner.update() is None
        _feed(learner, 10, start=20)  # 30 transitions, max_env_steps 25: 25 updates
        _run_until(learner, lambda: learner.updates >= 25, '25 updates')
        deadline = time.monotonic() + 1.0
        while time.monotonic() < deadline:
            assert learner.update() is None
        assert learner.updates == 25 and learner.transitions == 30
    finally:
        learner.close()


def test_weights_come_back_and_a_save_has_the_childs_full_state(tmp_path):
    learner = _learner(tmp_path / 'p')
    try:
        before = learner.sac.actor_state()
        _feed(learner, 30)
        _run_until(learner, lambda: learner.updates >= 30, '30 updates')
        tensors, meta = bytes_to_weights(learner.weights_blob())
        assert meta['version'] == 1
        moved = [k for k, v in before.items() if not torch.equal(v, tensors['actor.' + k])]
        assert moved, 'the actor in the blob is the trained one'
        path = learner.save('latest')
        saved, meta = load_checkpoint(path)
        assert meta['updates'] == 30 and meta['learner_state']
        # The child's counters and Adam moments, not the parent's initial ones.
        assert int(saved['sac.counters.num_updates']) == 30
        assert any(k.startswith('sac.optim.critic.state.') for k in saved)
        assert int(saved['buffer.online.meta'][5]) == 30
    finally:
        learner.close()


def test_save_and_resume_keep_the_thread_modes_layout(tmp_path):
    thread, remote = _learner(tmp_path / 't', remote=False), _learner(tmp_path / 'p')
    try:
        for learner in (thread, remote):
            _feed(learner, 12)
        while thread.update() is not None:
            pass
        _run_until(remote, lambda: remote.updates >= 12, '12 updates')
        t_tensors, t_meta = load_checkpoint(thread.save('latest'))
        p_tensors, p_meta = load_checkpoint(remote.save('latest'))
    finally:
        thread.close()
        remote.close()
    assert {k: tuple(v.shape) for k, v in t_tensors.items()} == {
        k: tuple(v.shape) for k, v in p_tensors.items()
    }
    assert set(t_meta) - {'saved_unix'} == set(p_meta) - {'saved_unix'}
    assert p_meta['updates'] == t_meta['updates'] == 12
    resumed = _learner(tmp_path / 'p')  # continues, in a process again
    try:
        assert resumed.resumed_from and (resumed.transitions, resumed.updates) == (12, 12)
        assert len(resumed.online) == 12
        _feed(resumed, 5, start=12)
        _run_until(resumed, lambda: resumed.updates >= 17, '17 updates after the resume')
        _, meta = load_checkpoint(resumed.save('latest'))
        assert meta['updates'] == 17
    finally:
        resumed.close()


def test_a_killed_update_process_is_restarted_from_the_last_state(tmp_path):
    logs: list = []
    learner = _learner(tmp_path, logs=logs)
    try:
        _feed(learner, 10)
        _run_until(learner, lambda: learner.updates >= 10, '10 updates')
        learner.weights_blob()
        first = learner._remote.pid
        os.kill(first, signal.SIGKILL)
        _feed(learner, 10, start=10)
        _run_until(learner, lambda: learner.updates >= 20, 'updates after the restart')
        assert learner.update_process_restarts == 1 and learner._remote.pid != first
        died = [(level, text) for level, text in logs if 'died' in text]
        assert len(died) == 1 and died[0][0] == 'error'
        assert 'killed by signal 9' in died[0][1] and '\n' not in died[0][1]
        _, meta = load_checkpoint(learner.save('latest'))
        assert meta['updates'] == 20
    finally:
        learner.close()


def test_close_stops_the_child_and_unlinks_the_shared_memory(tmp_path):
    learner = _learner(tmp_path)
    names = _segments(learner)
    pid = learner._remote.pid
    assert all(Path('/dev/shm', n).exists() for n in names)
    _feed(learner, 6)
    _run_until(learner, lambda: learner.updates >= 6, '6 updates')
    learner.close()
    assert not any(Path('/dev/shm', n).exists() for n in names)
    assert not _running(pid)


def test_a_stuck_child_is_killed_at_close(tmp_path):
    learner = _learner(tmp_path)
    pid = learner._remote.pid
    os.kill(pid, signal.SIGSTOP)  # it can no longer read 'stop'
    t0 = time.monotonic()
    learner.close()
    assert time.monotonic() - t0 < 5.0
    assert not _running(pid)


def test_the_child_exits_with_a_parent_killed_by_sigkill(tmp_path):
    script = (
        'import sys, time\n'
        'sys.path[:0] = %r\n'
        'from test_update_process import _learner\n'
        'learner = _learner(sys.argv[1])\n'
        'print(learner._remote.pid, *[n for n in (learner._remote._online.name,\n'
        '      learner._remote._control.shm.name)], flush=True)\n'
        'time.sleep(600)\n' % [str(Path(__file__).parent)]
    )
    parent = subprocess.Popen(
        [sys.executable, '-c', script, str(tmp_path)], stdout=subprocess.PIPE, text=True
    )
    try:
        pid, *names = parent.stdout.readline().split()
        parent.kill()
        parent.wait(10)
        deadline = time.monotonic() + 30.0
        while _running(int(pid)) or any(Path('/dev/shm', n).exists() for n in names):
            assert time.monotonic() < deadline, 'the child outlived its parent (or its memory did)'
            time.sleep(0.05)
    finally:
        parent.kill()


def test_shared_buffer_equals_the_private_one():
    private = ReplayBuffer(3, 1, 10, seed=3)
    rng = np.random.default_rng(0)
    for _ in range(13):  # wraps
        private.add(rng.random(3), rng.random(1), 1.0, rng.random(3), False, n_steps=2)
    shared = SharedReplayBuffer.share(private, 'test')
    name = shared.name
    reader = SharedReplayBuffer.attach(name)
    try:
        assert len(reader) == 10 and reader._ptr == private._ptr == 3
        a, b = private.state(), shared.state()
        assert all(np.array_equal(a[k], b[k]) for k in a)
        shared.add(np.ones(3), np.ones(1), 5.0, np.ones(3), True)  # the writer's row ...
        assert reader._ptr == 4 and reader.rewards[3] == 5.0  # ... is the reader's
        assert reader.sample(4, np.random.default_rng(0)).observations.shape == (4, 3)
    finally:
        reader.release()
        shared.release()
    assert not Path('/dev/shm', name).exists()


def _running(pid: int) -> bool:
    try:
        os.waitpid(pid, os.WNOHANG)  # reap it if it is our child
    except ChildProcessError:
        pass
    try:
        with open(f'/proc/{pid}/stat') as f:
            return f.read().split(')')[-1].split()[0] != 'Z'
    except FileNotFoundError:
        return False


@pytest.fixture(autouse=True)
def _no_leaked_segments():
    before = {p.name for p in Path('/dev/shm').glob('rl_*_%d_*' % os.getpid())}
    yield
    after = {p.name for p in Path('/dev/shm').glob('rl_*_%d_*' % os.getpid())}
    assert after <= before, f'leaked shared memory: {sorted(after - before)}'
