"""Behaviour of robot_learning.buffers (no rclpy)."""

from __future__ import annotations

import numpy as np
import pytest

from robot_learning.buffers import ReplayBuffer, sample_mixed
from robot_learning.errors import ConfigError
from robot_learning.sac import Batch


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
            np.repeat(idx[:, None], 2, 1), idx[:, None] / 1000.0, idx, np.repeat(idx[:, None] + 1, 2, 1), idx % 2 == 0
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
    assert shapes == [(32, 4), (32, 2), (32,), (32, 4), (32,)]
    assert all(x.dtype == np.float32 for x in batch)
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
        buffer.add_many(np.zeros((2, 3)), np.zeros((3, 2)), np.zeros(2), np.zeros((2, 3)), np.zeros(2))
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
