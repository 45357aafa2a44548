# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 robot_learning maintainers
"""Behaviour of robot_learning.data.buffers (no rclpy)."""

from __future__ import annotations

import numpy as np
import pytest
from robot_learning.data.buffers import (
    NStepAccumulator,
    NStepTransition,
    ReplayBuffer,
    sample_mixed,
)
from robot_learning.errors import ConfigError
from robot_learning.types import Batch


def _fill(buffer: ReplayBuffer, start: int, count: int, reward: float | None = None) -> None:
    """Transitions whose every field encodes its index ``i`` (reward = i unless given)."""
    for i in range(start, start + count):
        buffer.add(
            np.full(buffer.obs_dim, i, np.float32),
            np.full(buffer.action_dim, i / 1000.0, np.float32),
            float(i if reward is None else reward),
            np.full(buffer.obs_dim, i + 1, np.float32),
            i % 2 == 0,
        )


def test_add_len_and_ring_wraparound():
    buffer = ReplayBuffer(3, 2, capacity=5, seed=0)
    assert len(buffer) == 0 and not buffer.full
    _fill(buffer, 0, 4)
    assert len(buffer) == 4
    _fill(buffer, 4, 3)  # 7 transitions into 5 slots: 0 and 1 are overwritten
    assert len(buffer) == 5 and buffer.full
    assert sorted(buffer.rewards.tolist()) == [2, 3, 4, 5, 6]
    # slots 0 and 1 hold the newest two (5, 6): FIFO ring
    assert buffer.rewards[:2].tolist() == [5, 6]
    np.testing.assert_array_equal(buffer.next_observations[0], [6, 6, 6])
    np.testing.assert_array_equal(buffer.terminated, (buffer.rewards % 2 == 0).astype(np.float32))
    batch = buffer.sample(1000)
    assert set(batch.rewards.tolist()) == {2, 3, 4, 5, 6}
    # every sampled row is one consistent transition
    np.testing.assert_array_equal(batch.observations[:, 0], batch.rewards)
    np.testing.assert_array_equal(batch.next_observations[:, 0], batch.rewards + 1)


@pytest.mark.parametrize('chunks', [[3], [2, 4], [9], [4, 4, 4], [1, 12]])
def test_add_many_equals_repeated_add(chunks):
    one, many = ReplayBuffer(2, 1, capacity=7, seed=0), ReplayBuffer(2, 1, capacity=7, seed=0)
    start = 0
    for count in chunks:
        idx = np.arange(start, start + count, dtype=np.float32)
        _fill(one, start, count)
        many.add_many(
            np.repeat(idx[:, None], 2, 1),
            idx[:, None] / 1000.0,
            idx,
            np.repeat(idx[:, None] + 1, 2, 1),
            idx % 2 == 0,
        )
        start += count
        assert len(one) == len(many)
        for name in Batch._fields:
            np.testing.assert_array_equal(getattr(one, name), getattr(many, name), err_msg=name)
    # and the next single add lands in the same slot
    _fill(one, 100, 1)
    _fill(many, 100, 1)
    np.testing.assert_array_equal(one.rewards, many.rewards)


def test_sample_shapes_dtypes():
    buffer = ReplayBuffer(4, 2, capacity=100, seed=1)
    _fill(buffer, 0, 10)
    batch = buffer.sample(32)
    assert isinstance(batch, Batch)
    shapes = [x.shape for x in batch]
    assert shapes == [(32, 4), (32, 2), (32,), (32, 4), (32,), (32,)]
    assert all(x.dtype == np.float32 for x in batch)
    assert batch.n_steps.tolist() == [1.0] * 32  # 1-step transitions unless told otherwise
    assert buffer.sample(0).observations.shape == (0, 4)


def test_errors():
    with pytest.raises(ConfigError, match='capacity'):
        ReplayBuffer(3, 2, capacity=0)
    buffer = ReplayBuffer(3, 2, capacity=4)
    with pytest.raises(ConfigError, match='empty'):
        buffer.sample(2)
    with pytest.raises(ConfigError, match='obs') as info:
        buffer.add(np.zeros(4), np.zeros(2), 0.0, np.zeros(3), False)
    assert '\n' not in str(info.value)
    with pytest.raises(ConfigError, match='actions'):
        buffer.add_many(
            np.zeros((2, 3)), np.zeros((3, 2)), np.zeros(2), np.zeros((2, 3)), np.zeros(2)
        )
    with pytest.raises(ConfigError):
        sample_mixed(buffer, None, 8)


def _online_demo(online_count: int = 50, demo_count: int = 50):
    online, demo = ReplayBuffer(2, 1, 100, seed=1), ReplayBuffer(2, 1, 100, seed=2)
    _fill(online, 0, online_count, reward=0.0)
    _fill(demo, 0, demo_count, reward=1.0)
    return online, demo


@pytest.mark.parametrize(
    'batch_size, fraction, n_demo',
    [(256, 0.5, 128), (255, 0.5, 127), (7, 0.5, 3), (100, 0.29, 29), (10, 0.0, 0), (10, 1.0, 10)],
)
def test_sample_mixed_exact_counts(batch_size, fraction, n_demo):
    online, demo = _online_demo()
    rng = np.random.default_rng(0)
    for _ in range(5):
        batch = sample_mixed(online, demo, batch_size, demo_fraction=fraction, rng=rng)
        assert batch.rewards.shape == (batch_size,)
        assert int(batch.rewards.sum()) == n_demo  # demo rows have reward 1, online 0
        assert batch.rewards[:n_demo].tolist() == [1.0] * n_demo  # demo rows first


def test_sample_mixed_mixes_every_utd_minibatch():
    # SAC.update splits a UTD-m batch into m consecutive minibatches and updates the
    # actor on the last: each must carry the demo share, not all demos up front.
    online, demo = _online_demo()
    batch = sample_mixed(online, demo, 4 * 64, 0.5, np.random.default_rng(0), minibatches=4)
    blocks = batch.rewards.reshape(4, 64)
    assert blocks.sum(1).tolist() == [32.0] * 4
    assert (blocks[:, :32] == 1.0).all() and (blocks[:, 32:] == 0.0).all()
    one = sample_mixed(online, demo, 64, 0.5, np.random.default_rng(3))
    np.testing.assert_array_equal(
        one.observations,
        sample_mixed(online, demo, 64, 0.5, np.random.default_rng(3), 1).observations,
    )
    for bad in (0, 3, True):
        with pytest.raises(ConfigError, match='minibatches'):
            sample_mixed(online, demo, 64, 0.5, minibatches=bad)


def test_sample_mixed_falls_back_when_one_side_is_empty():
    online, demo = _online_demo(online_count=10, demo_count=10)
    assert sample_mixed(online, None, 64).rewards.sum() == 0
    assert sample_mixed(online, ReplayBuffer(2, 1, 10), 64).rewards.sum() == 0
    assert sample_mixed(ReplayBuffer(2, 1, 10), demo, 64).rewards.sum() == 64
    with pytest.raises(ConfigError, match='both empty'):
        sample_mixed(ReplayBuffer(2, 1, 10), ReplayBuffer(2, 1, 10), 64)
    with pytest.raises(ConfigError, match='demo_fraction'):
        sample_mixed(online, demo, 64, demo_fraction=1.5)
    with pytest.raises(ConfigError, match='demo buffer'):
        sample_mixed(online, ReplayBuffer(3, 1, 10), 64)


def test_sample_mixed_is_reproducible_with_rng():
    online, demo = _online_demo()
    a = sample_mixed(online, demo, 32, rng=np.random.default_rng(5))
    b = sample_mixed(online, demo, 32, rng=np.random.default_rng(5))
    for x, y in zip(a, b, strict=True):
        np.testing.assert_array_equal(x, y)


@pytest.mark.parametrize('count', [3, 9])  # partly filled, wrapped around
def test_state_round_trip(count):
    buffer = ReplayBuffer(3, 2, capacity=6, seed=4)
    _fill(buffer, 0, count)
    buffer.sample(5)  # advance the RNG
    state = buffer.state()
    assert all(isinstance(v, np.ndarray) for v in state.values())
    restored = ReplayBuffer.from_state(state)
    assert len(restored) == len(buffer) and restored.capacity == 6
    for name in Batch._fields:
        np.testing.assert_array_equal(getattr(restored, name), getattr(buffer, name))
    # same RNG stream and same next write position
    for x, y in zip(buffer.sample(10), restored.sample(10), strict=True):
        np.testing.assert_array_equal(x, y)
    _fill(buffer, 50, 1)
    _fill(restored, 50, 1)
    np.testing.assert_array_equal(buffer.rewards, restored.rewards)


def test_state_survives_safetensors(tmp_path):
    from safetensors.numpy import load_file, save_file

    buffer = ReplayBuffer(3, 2, capacity=6, seed=4)
    _fill(buffer, 0, 4)
    save_file(buffer.state(), tmp_path / 'buffer.safetensors')
    restored = ReplayBuffer.from_state(load_file(tmp_path / 'buffer.safetensors'))
    np.testing.assert_array_equal(restored.observations, buffer.observations)


def test_from_state_rejects_bad_state():
    state = ReplayBuffer(3, 2, capacity=6).state()
    del state['rewards']
    with pytest.raises(ConfigError, match='rewards'):
        ReplayBuffer.from_state(state)


# ---------------------------------------------------------------- n_steps in the buffer


def test_n_steps_stored_sampled_and_validated():
    buffer = ReplayBuffer(2, 1, capacity=10, seed=0)
    buffer.add(np.zeros(2), np.zeros(1), 1.0, np.ones(2), False)
    buffer.add(np.zeros(2), np.zeros(1), 2.0, np.ones(2), False, n_steps=3)
    buffer.add_many(
        np.zeros((2, 2)), np.zeros((2, 1)), [3.0, 4.0], np.ones((2, 2)), [0, 1], n_steps=[[2], [1]]
    )
    buffer.add_many(np.zeros((1, 2)), np.zeros((1, 1)), [5.0], np.ones((1, 2)), [0])  # default: 1
    assert buffer.n_steps[:5].tolist() == [1, 3, 2, 1, 1]
    batch = buffer.sample(200)
    np.testing.assert_array_equal(
        batch.n_steps, np.array([1, 3, 2, 1, 1], np.float32)[batch.rewards.astype(int) - 1]
    )
    with pytest.raises(ConfigError, match='n_steps') as info:
        buffer.add(np.zeros(2), np.zeros(1), 0.0, np.ones(2), False, n_steps=0)
    assert '\n' not in str(info.value)
    with pytest.raises(ConfigError, match='n_steps'):
        buffer.add_many(
            np.zeros((2, 2)),
            np.zeros((2, 1)),
            [0, 0],
            np.ones((2, 2)),
            [0, 0],
            n_steps=[1, float('nan')],
        )
    with pytest.raises(ConfigError, match='n_steps'):
        buffer.add_many(
            np.zeros((2, 2)), np.zeros((2, 1)), [0, 0], np.ones((2, 2)), [0, 0], n_steps=[1, 2, 3]
        )
    assert len(buffer) == 5  # rejected rows were not written


def test_sample_mixed_carries_n_steps():
    online, demo = ReplayBuffer(2, 1, 10, seed=1), ReplayBuffer(2, 1, 10, seed=2)
    online.add(np.zeros(2), np.zeros(1), 0.0, np.ones(2), False, n_steps=3)
    demo.add(np.zeros(2), np.zeros(1), 1.0, np.ones(2), False)
    batch = sample_mixed(online, demo, 8, 0.25)
    assert len(batch) == 6 and batch.n_steps.tolist() == [1, 1] + [3] * 6


def test_version_1_state_loads_with_unit_n_steps():
    buffer = ReplayBuffer(3, 2, capacity=6, seed=4)
    _fill(buffer, 0, 4)
    state = buffer.state()
    assert state['meta'][0] == 2 and state['n_steps'].tolist() == [1] * 4
    old = {k: v for k, v in state.items() if k != 'n_steps'}
    old['meta'] = state['meta'].copy()
    old['meta'][0] = 1
    restored = ReplayBuffer.from_state(old)
    assert restored.n_steps[:4].tolist() == [1] * 4
    np.testing.assert_array_equal(restored.rewards, buffer.rewards)
    del state['n_steps']  # a version-2 state must have it
    with pytest.raises(ConfigError, match='n_steps'):
        ReplayBuffer.from_state(state)


# ---------------------------------------------------------------- NStepAccumulator


def _reference_n_step(steps, n, gamma):
    """Brute force: for each step t of each episode, k = min(n, steps left in the episode)."""
    out, start = [], 0
    for end, step in enumerate(steps):
        if not (step[4] or step[5]):
            continue
        episode = steps[start: end + 1]
        for t in range(len(episode)):
            k = min(n, len(episode) - t)
            ret = sum(gamma**i * episode[t + i][2] for i in range(k))
            last = episode[t + k - 1]
            out.append(
                (
                    episode[t][0],
                    episode[t][1],
                    ret,
                    last[3],
                    bool(last[4]) and t + k == len(episode),
                    k,
                )
            )
        start = end + 1
    return out, steps[start:]


@pytest.mark.parametrize('n', [1, 2, 3, 7])
def test_n_step_accumulator_matches_brute_force(n):
    gamma = 0.9
    rng = np.random.default_rng(n)
    steps, t = [], 0
    for length in (1, 2, 3, 5, 9, 4):  # episodes shorter and longer than n
        for i in range(length):
            last = i == length - 1
            terminated = last and length % 2 == 1  # odd lengths terminate, even ones are truncated
            steps.append(
                (
                    np.full(2, t, np.float32),
                    np.full(1, t / 100, np.float32),
                    float(rng.standard_normal()),
                    np.full(2, t + 1, np.float32),
                    terminated,
                    last and not terminated,
                )
            )
            t += 1
    acc = NStepAccumulator(n, gamma)
    got = []
    for step in steps:
        emitted = acc.add(*step)
        assert all(isinstance(e, NStepTransition) for e in emitted)
        got.extend(emitted)
        assert len(acc) < n
    expected, _ = _reference_n_step(steps, n, gamma)
    got.sort(
        key=lambda e: float(e.obs[0])
    )  # an episode's end emits its pending steps oldest first anyway
    assert len(got) == len(expected) == len(steps)  # every 1-step transition starts exactly one
    for e, (obs, act, ret, nxt, term, k) in zip(got, expected, strict=True):
        np.testing.assert_array_equal(e.obs, obs)
        np.testing.assert_array_equal(e.action, act)
        assert e.reward == pytest.approx(ret, rel=1e-12, abs=1e-12)
        np.testing.assert_array_equal(e.next_obs, nxt)
        assert (e.terminated, e.n_steps) == (term, k)


def test_n_step_accumulator_small_example_and_order():
    acc = NStepAccumulator(3, 0.5)
    obs = [np.array([float(i)]) for i in range(6)]
    assert acc.add(obs[0], [0.0], 1.0, obs[1], False) == []
    assert acc.add(obs[1], [0.0], 2.0, obs[2], False) == []
    (first,) = acc.add(obs[2], [0.0], 4.0, obs[3], False, False)
    assert (first.reward, float(first.next_obs[0]), first.terminated, first.n_steps) == (
        1 + 1 + 1,
        3.0,
        False,
        3,
    )
    ended = acc.add(obs[3], [0.0], 8.0, obs[4], True)  # terminated: flush 1, 2, 3 in order
    assert [float(e.obs[0]) for e in ended] == [1.0, 2.0, 3.0]
    assert [e.reward for e in ended] == [2 + 2 + 2, 4 + 4, 8]
    assert [e.n_steps for e in ended] == [3, 2, 1]
    assert all(e.terminated and float(e.next_obs[0]) == 4.0 for e in ended)
    assert len(acc) == 0


def test_n_step_accumulator_flush_reset_copy_and_errors():
    acc = NStepAccumulator(4, 0.9)
    obs = np.zeros(2, np.float32)
    acc.add(obs, [0.1], 1.0, np.ones(2), False)
    obs[:] = 7.0  # the caller reuses its array: the accumulator kept a copy
    acc.add(np.ones(2), [0.2], 1.0, np.full(2, 2.0), False)
    flushed = acc.flush()
    assert [e.n_steps for e in flushed] == [2, 1] and not any(e.terminated for e in flushed)
    assert flushed[0].obs.tolist() == [0.0, 0.0] and flushed[0].next_obs.tolist() == [2.0, 2.0]
    assert flushed[0].reward == pytest.approx(1.9)
    assert acc.flush() == []
    acc.add(obs, [0.0], 1.0, obs, False)
    acc.reset()
    assert len(acc) == 0 and acc.flush() == []
    # n = 1 is the identity
    one = NStepAccumulator(1, 0.99)
    (e,) = one.add(obs, [0.5], 3.0, np.ones(2), False)
    assert (e.reward, e.n_steps, e.terminated) == (3.0, 1, False)
    for bad in (
        {'n': 0, 'gamma': 0.9},
        {'n': 2.0, 'gamma': 0.9},
        {'n': 2, 'gamma': 1.0},
        {'n': True, 'gamma': 0.9},
    ):
        with pytest.raises(ConfigError):
            NStepAccumulator(**bad)
    with pytest.raises(ConfigError, match='finite'):
        one.add(obs, [0.0], float('nan'), obs, False)


def test_n_step_transitions_into_buffer_and_sac_update():
    from robot_learning.algos.sac.modeling_sac import SAC, SACConfig

    cfg = SACConfig(obs_dim=2, action_dim=1, hidden=(16,), batch_size=8, n_step=3, seed=3)
    acc, buffer = NStepAccumulator(cfg.n_step, cfg.gamma), ReplayBuffer(2, 1, 100, seed=cfg.seed)
    rng = np.random.default_rng(0)
    for t in range(20):
        for e in acc.add(
            rng.standard_normal(2),
            rng.uniform(-1, 1, 1),
            1.0,
            rng.standard_normal(2),
            False,
            t == 9,
        ):
            buffer.add(e.obs, e.action, e.reward, e.next_obs, e.terminated, n_steps=e.n_steps)
    assert len(buffer) == 18 and len(acc) == 2
    assert sorted(set(buffer.n_steps[:18].tolist())) == [1, 2, 3]
    metrics = SAC(cfg).update(buffer.sample(cfg.batch_size))
    assert np.isfinite(metrics['critic_loss'])
