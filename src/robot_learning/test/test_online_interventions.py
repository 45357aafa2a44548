# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 robot_learning maintainers
"""OnlineLearner interventions (HIL-SERL): both buffers, counts, n-step flags, resume."""

from __future__ import annotations

import json
from types import SimpleNamespace

import numpy as np
import pytest
from robot_learning.algos.sac import OnlineConfig, SACConfig
from robot_learning.algos.sac.online import OnlineLearner
from robot_learning.common.curves import plot_learning_curve
from robot_learning.common.features import JointActionConfig, VectorObservationConfig
from robot_learning.data.buffers import ReplayBuffer

OBS = VectorObservationConfig(dim=3, names=('a', 'b', 'c'))
ACT = JointActionConfig(low=(-2.0,), high=(2.0,), names=('hinge',))


def _learner(run_dir, n_step: int = 1, **cfg) -> OnlineLearner:
    sac = SACConfig(
        obs_dim=OBS.dim, action_dim=ACT.dim, hidden=(16, 16), batch_size=8, n_step=n_step
    )
    values = {'warmup_transitions': 4, 'checkpoint_every': 0, **cfg}
    return OnlineLearner(sac, OBS, ACT, run_dir, OnlineConfig(**values))


def _step(learner, robot, k, human, reward=None, terminated=False):
    """Add step ``k`` (stamps k -> k + 1) whose observation's first value is ``k``."""
    obs = np.array([k, 0.0, 0.0], np.float32)
    nxt = np.array([k + 1, 0.0, 0.0], np.float32)
    r = float(k if reward is None else reward)
    return learner.add(
        robot, obs, np.zeros(1, np.float32), r, nxt, terminated, False, k + 1, k, human=human
    )


def _episode(length: int, n: int = 0, outcome: str = 'success'):
    return SimpleNamespace(
        episode=n, instruction='', outcome=outcome, episode_return=1.0, length=length
    )


def _first_obs(buffer: ReplayBuffer) -> list[float]:
    return sorted(buffer.observations[: len(buffer), 0].tolist())


def test_a_human_step_goes_into_both_buffers_a_policy_step_only_online(tmp_path):
    learner = _learner(tmp_path)
    assert learner.demo is not None and len(learner.demo) == 0  # room without demo bags
    assert learner.demo.capacity == learner.cfg.intervention_capacity
    for k, human in enumerate([False, True, True, False]):
        assert _step(learner, 'r', k, human)
    assert _first_obs(learner.online) == [0, 1, 2, 3]
    assert _first_obs(learner.demo) == [1, 2]
    assert learner.human_steps == 2 and learner.robot('r').human_steps == 2
    # An update samples the human rows as prior data (half the batch by default).
    assert learner.update() is not None


def test_without_intervention_capacity_human_steps_stay_online(tmp_path):
    learner = _learner(tmp_path, intervention_capacity=0)
    assert learner.demo is None
    _step(learner, 'r', 0, True)
    assert len(learner.online) == 1 and learner.human_steps == 1


def test_n_step_rows_carry_the_flag_of_their_first_step(tmp_path):
    learner = _learner(tmp_path, n_step=3)
    flags = [True, False, False, True, False]
    for k, human in enumerate(flags):
        _step(learner, 'r', k, human, reward=1.0, terminated=k == len(flags) - 1)
    assert _first_obs(learner.online) == [0, 1, 2, 3, 4]
    assert _first_obs(learner.demo) == [0, 3]  # rows starting at steps 0 and 3
    n_steps = dict(zip(learner.demo.observations[:2, 0], learner.demo.n_steps[:2]))
    assert n_steps == {0.0: 3.0, 3.0: 2.0}  # step 3's row ends with the episode


def test_a_gap_flushes_with_the_right_flags(tmp_path):
    learner = _learner(tmp_path, n_step=3)
    _step(learner, 'r', 0, False)
    _step(learner, 'r', 1, True)
    # Stamp 3 follows stamp 2, which never came: the pending steps 0 and 1 are flushed.
    obs = np.array([5.0, 0, 0], np.float32)
    learner.add('r', obs, np.zeros(1), 0.0, obs, False, False, 4, 3, human=False)
    assert _first_obs(learner.demo) == [1]


def test_episode_rows_count_human_steps_per_robot_and_episode(tmp_path):
    learner = _learner(tmp_path)
    for k, human in enumerate([True, True, False, False]):
        _step(learner, 'a', k, human)
    _step(learner, 'b', 0, True)
    row_a = learner.on_episode('a', _episode(4))
    assert row_a['human_steps'] == 2 and row_a['intervention_rate'] == 0.5
    for k in range(4, 7):
        _step(learner, 'a', k, False)
    row_a2 = learner.on_episode('a', _episode(3, n=1))
    assert row_a2['human_steps'] == 0 and row_a2['intervention_rate'] == 0.0
    row_b = learner.on_episode('b', _episode(1))
    assert row_b['human_steps'] == 1 and row_b['intervention_rate'] == 1.0
    learner.close()
    rows = [json.loads(x) for x in (tmp_path / 'episodes.jsonl').read_text().splitlines()]
    assert [r['human_steps'] for r in rows] == [2, 0, 1]
    assert [r['intervention_rate'] for r in rows] == [0.5, 0.0, 1.0]


def test_add_transitions_takes_flags_or_the_records_own(tmp_path):
    learner = _learner(tmp_path)

    def rec(k, intervention):
        obs = np.array([k, 0, 0], np.float32)
        info = SimpleNamespace(stamp=k + 1, prev_stamp=k)
        return SimpleNamespace(
            observation=obs,
            action=np.zeros(1, np.float32),
            reward=0.0,
            next_observation=obs + 1,
            terminated=False,
            truncated=False,
            intervention=intervention,
            info=info,
        )

    assert learner.add_transitions('r', [rec(0, True), rec(1, False)]) == 0
    assert learner.add_transitions('r', [rec(2, False), rec(3, True)], [True, False]) == 0
    assert _first_obs(learner.demo) == [0, 2]
    with pytest.raises(ValueError, match='human_flags'):
        learner.add_transitions('r', [rec(4, False)], [True, True])


def test_resume_keeps_human_counts_and_the_demo_buffers_spare_room(tmp_path):
    learner = _learner(tmp_path, intervention_capacity=10)
    for k, human in enumerate([True, False, True]):
        _step(learner, 'r', k, human)
    learner.save('latest', plot=False)
    learner.close()
    again = _learner(tmp_path, intervention_capacity=10)
    assert again.human_steps == 2 and again.robot('r').human_steps == 2
    assert len(again.demo) == 2 and again.demo.capacity == 10  # 8 rows of room left
    _step(again, 'r', 3, True)
    assert again.human_steps == 3 and len(again.demo) == 3
    again.close()


def test_learning_curve_shows_the_intervention_rate(tmp_path):
    pytest.importorskip('matplotlib')
    import matplotlib.image

    base = [{'env_steps': 10 * i, 'return': -1.0, 'success': i % 2 == 0} for i in range(1, 40)]
    with_rate = [{**r, 'intervention_rate': 1.0 / r['env_steps']} for r in base]
    plain = plot_learning_curve(base, tmp_path / 'plain.png', window=5)
    hil = plot_learning_curve(with_rate, tmp_path / 'hil.png', window=5)
    assert hil.stat().st_size > 1000
    # The intervention panel makes the figure taller than return + success alone.
    assert matplotlib.image.imread(hil).shape[0] > matplotlib.image.imread(plain).shape[0]


def test_a_rescued_episode_is_no_success_for_the_best_checkpoint(tmp_path):
    learner = _learner(tmp_path, best_window=2)
    for n in range(2):  # two successes the expert took over in: the actor did not succeed
        _step(learner, 'r', 2 * n, True)
        _step(learner, 'r', 2 * n + 1, False)
        learner.on_episode('r', _episode(2, n=n))
    assert learner.best_success == 0.0
    for n in range(2, 4):
        _step(learner, 'r', 2 * n, False)
        learner.on_episode('r', _episode(1, n=n))
    assert learner.best_success == 1.0 and (tmp_path / 'checkpoints' / 'best').is_dir()
    learner.close()
