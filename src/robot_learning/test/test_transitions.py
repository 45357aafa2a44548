# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 robot_learning maintainers
"""Transition assembly and observation features (pure, no rclpy)."""

import numpy as np
import pytest
from robot_learning.common.features import (
    ActionConfig,
    encode_instruction,
    encode_observation,
    instructed_color,
    ObservationConfig,
    StepInfo,
)
from robot_learning.data.transitions import (
    EpisodeTracker,
    StampedSync,
    success_by_instruction,
    TransitionAssembler,
    TransitionPipeline,
)
from robot_learning.errors import ConfigError, MessageError

CFG = ObservationConfig(num_sectors=8)
NEAR = ObservationConfig(num_sectors=8, near_range=1.0)
ACT = ActionConfig()


def step(
    stamp,
    prev,
    reward=1.0,
    term=False,
    trunc=False,
    outcome='running',
    ep=0,
    n=1,
    instruction='go to the red pillar',
):
    return StepInfo(stamp, prev, reward, term, trunc, outcome, ep, n, 0.0, instruction)


def feed_step(pipe, stamp, order, v=0.1):
    """Push the three observation streams of one stamp in the given order."""
    out = []
    for s in order:
        if s == 'scan':
            out += pipe.push_scan(stamp, np.full(8, 2.0, np.float32))
        elif s == 'odom':
            out += pipe.push_odom(stamp, (v, 0.0))
        else:
            out += pipe.push_detections(
                stamp, np.array([[1, 0], [0, 1], [np.nan, np.nan]], np.float32)
            )
    return out


def test_sync_emits_once_per_stamp_when_all_streams_arrive():
    sync = StampedSync(('a', 'b'), tolerance_us=10)
    assert sync.push('a', 100, 1) is None
    assert sync.push('b', 105, 2) == (105, {'a': 1, 'b': 2})
    assert sync.push('a', 105, 3) is None  # same stamp again: no second emission
    assert sync.push('b', 200, 4) is None  # 'a' far away
    assert sync.push('a', 200, 5) == (200, {'a': 5, 'b': 4})


@pytest.mark.parametrize(
    'order',
    [
        ('obs0', 'act0', 'step1', 'obs1'),
        ('step1', 'obs1', 'act0', 'obs0'),
        ('act0', 'step1', 'obs0', 'obs1'),
        ('obs1', 'step1', 'obs0', 'act0'),
    ],
)
def test_pipeline_pairs_any_arrival_order(order):
    pipe = TransitionPipeline(CFG, ACT)
    out = []
    for ev in order:
        if ev == 'obs0':
            out += feed_step(pipe, 1000, ('odom', 'detections', 'scan'), v=0.1)
        elif ev == 'obs1':
            out += feed_step(pipe, 101000, ('scan', 'detections', 'odom'), v=0.3)
        elif ev == 'act0':
            out += pipe.push_action(1000, 0.6, 0.0)
        else:
            out += pipe.push_step(step(101000, 1000, reward=0.5, term=True, outcome='success'))
    assert len(out) == 1
    t = out[0]
    assert t.reward == 0.5 and t.terminated and not t.truncated
    np.testing.assert_allclose(t.action, [1.0, 0.0], atol=1e-6)  # 0.6 m/s is the top of the range
    assert t.observation.shape == (CFG.dim,) and t.observation.dtype == np.float32
    vel = CFG.num_sectors + 4 * len(CFG.colors)
    assert t.observation[vel] == pytest.approx(0.1 / CFG.max_linear)
    assert t.next_observation[vel] == pytest.approx(0.3 / CFG.max_linear)


def test_pipeline_uses_step_instruction_and_drops_nonfinite():
    pipe = TransitionPipeline(CFG, ACT)
    pipe.push_instruction('go to the blue pillar')  # stale: the step says red
    feed_step(pipe, 0, ('scan', 'odom', 'detections'))
    feed_step(pipe, 100000, ('scan', 'odom', 'detections'))
    pipe.push_action(0, 0.2, 0.1)
    (t,) = pipe.push_step(step(100000, 0, instruction='go to the red pillar'))
    start = CFG.num_sectors + 4 * len(CFG.colors) + 2
    bow = t.observation[start: start + len(CFG.vocabulary)]
    assert bow[CFG.vocabulary.index('red')] == 1 and bow[CFG.vocabulary.index('blue')] == 0
    assert pipe.push_step(step(200000, 100000, reward=float('nan'))) == []
    assert pipe.dropped['nonfinite_reward'] == 1
    assert pipe.push_action(100000, float('inf'), 0.0) == []


def test_first_observation_of_episode_is_not_a_transition():
    asm = TransitionAssembler()
    asm.add_observation(5, 'o')
    assert asm.add_step(step(5, -1, reward=0.0, n=0)) == []


def test_assembler_forgets_old_entries():
    asm = TransitionAssembler(horizon=4)
    for k in range(10):
        asm.add_observation(k, k)
    assert len(asm._obs) == 4


def test_encode_observation_layout_and_errors():
    det = np.array([[3.0, 4.0], [np.nan, np.nan], [0.0, -1.0]], np.float32)
    o = encode_observation(np.full(8, 7.0), det, (0.3, -3.0), 'Go to the RED pillar!', CFG)
    n = CFG.num_sectors
    assert o.shape == (CFG.dim,) and np.isfinite(o).all()
    np.testing.assert_allclose(o[:n], 1.0)  # clipped at range_max
    np.testing.assert_allclose(o[n: n + 4], [1.0, 0.6, 0.8, 1.0])
    np.testing.assert_allclose(o[n + 4: n + 8], [1.0, 0.0, 0.0, 0.0])  # absent pillar
    assert o[n + 12] == pytest.approx(0.5) and o[n + 13] == -1.0
    with pytest.raises(MessageError, match='sectors'):
        encode_observation(np.ones(5), det, (0, 0), '', CFG)
    with pytest.raises(MessageError, match='poses'):
        encode_observation(np.ones(8), det[:2], (0, 0), '', CFG)


def test_goal_detection_repeats_the_instructed_block_and_old_sidecars_lack_it():
    det = np.array([[3.0, 4.0], [np.nan, np.nan], [0.0, -1.0]], np.float32)
    n, k = CFG.num_sectors, 4 * len(CFG.colors)
    assert CFG.goal_detection and CFG.dim == n + k + 2 + len(CFG.vocabulary) + 4
    assert CFG.near_range == 0.0 and NEAR.dim == CFG.dim + n
    ranges = np.array([0.17, 0.5, 1.0, 3.5, 0.12, 2.0, 0.75, 0.25])
    o = encode_observation(ranges, det, (0.0, 0.0), 'go to the red pillar', NEAR)
    np.testing.assert_allclose(o[-n:], np.clip(1 - ranges / NEAR.near_range, 0, 1), atol=1e-6)
    np.testing.assert_allclose(o[-n - 4: -n], [1.0, 0.6, 0.8, 1.0])  # the red block again
    without = ObservationConfig(num_sectors=8, goal_detection=False)
    assert without.dim == CFG.dim - 4
    o = encode_observation(ranges, det, (0.0, 0.0), 'go to the red pillar', without)
    np.testing.assert_allclose(o[-len(CFG.vocabulary):], encode_instruction(
        'go to the red pillar', CFG.vocabulary))
    for text, block in (
        ('go to the blue pillar', (0.2, 0.0, -1.0, 1.0)),
        ('go to the green pillar', (1.0, 0.0, 0.0, 0.0)),  # absent this episode
        ('go to the pillar', (1.0, 0.0, 0.0, 0.0)),  # names no colour
    ):
        o = encode_observation(np.full(8, 1.0), det, (0.0, 0.0), text, CFG)
        np.testing.assert_allclose(o[-4:], block, atol=1e-6)
    assert instructed_color('Go to the RED pillar!', CFG.colors) == 0
    legacy = ObservationConfig.from_dict({k: v for k, v in NEAR.to_dict().items()
                                          if k not in ('goal_detection', 'near_range')})
    assert not legacy.goal_detection and legacy.near_range == 0.0
    assert legacy.dim == NEAR.dim - 4 - n
    assert ObservationConfig.from_dict(CFG.to_dict()) == CFG
    with pytest.raises(ConfigError, match='goal_detection'):
        ObservationConfig(goal_detection='yes')
    with pytest.raises(ConfigError, match='near_range'):
        ObservationConfig(near_range=-1.0)


def test_instruction_unknown_words_map_to_unk():
    bow = encode_instruction('go to the purple pillar', CFG.vocabulary)
    assert bow[0] == 1 and bow[CFG.vocabulary.index('pillar')] == 1


def test_action_twist_round_trip_and_config_errors():
    for a in ([-1, -1], [0, 0], [1, 1], [0.3, -0.7]):
        np.testing.assert_allclose(ACT.from_twist(*ACT.to_twist(np.array(a))), a, atol=1e-6)
    assert ACT.to_twist(np.array([5.0, -5.0])) == pytest.approx((0.6, -1.5))
    with pytest.raises(ConfigError):
        ActionConfig(linear=(1.0, 0.0))
    with pytest.raises(ConfigError):
        ObservationConfig(vocabulary=('go',))


def test_episode_tracker_and_success_table():
    tr = EpisodeTracker()
    tr.add_step(step(1, 0, term=True, outcome='success', ep=1, instruction='a'))
    tr.add_step(step(1, 0, term=True, outcome='success', ep=1, instruction='a'))  # duplicate
    tr.add_step(step(2, 1, trunc=True, outcome='timeout', ep=2, instruction='a'))
    tr.add_step(step(3, 2, term=True, outcome='success', ep=3, instruction='b'))
    table = success_by_instruction(tr.records)
    assert table == {
        'a': {'episodes': 2, 'success_rate': 0.5},
        'b': {'episodes': 1, 'success_rate': 1.0},
    }
