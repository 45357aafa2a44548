# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 robot_learning maintainers
"""The user CLI fails with one line that says what to fix."""

import subprocess
import sys


def run(*args):
    return subprocess.run(
        [sys.executable, '-m', 'robot_learning.cli', *args],
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_bad_profile_name_exits_nonzero_with_one_line():
    r = run('up', 'no_such_profile')
    assert r.returncode == 2
    lines = [line for line in r.stderr.splitlines() if line.strip()]
    assert (
        len(lines) == 1
        and "unknown profile 'no_such_profile'" in lines[0]
        and 'sim_learn' in lines[0]
    )


def test_missing_checkpoint_exits_nonzero_with_one_line(tmp_path):
    r = run('eval', '--checkpoint', str(tmp_path / 'nothing'), '--episodes', '1')
    assert r.returncode == 2
    lines = [line for line in r.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and 'nothing' in lines[0]


def test_profiles_lists_the_sim_profiles():
    r = run('profiles')
    assert r.returncode == 0
    for name in ('sim_teleop', 'sim_learn', 'sim_deploy'):
        assert name in r.stdout


def test_checkpoint_of_wrong_shape_exits_nonzero_with_one_line(tmp_path):
    from robot_learning.common.checkpoint import save_checkpoint
    from robot_learning.common.features import ActionConfig, ObservationConfig
    from robot_learning.common.networks import SquashedGaussianActor
    from robot_learning.policy import ACTOR_PREFIX, policy_metadata

    obs = ObservationConfig(num_sectors=10)
    actor = SquashedGaussianActor(obs.dim, 2, (32, 32))
    save_checkpoint(
        tmp_path / 'ckpt',
        {ACTOR_PREFIX + k: v for k, v in actor.state_dict().items()},
        policy_metadata(obs, ActionConfig(), (32, 32), 'sac'),
    )
    r = run('eval', '--checkpoint', str(tmp_path / 'ckpt'), '--episodes', '1')
    assert r.returncode == 2
    lines = [line for line in r.stderr.splitlines() if line.strip()]
    assert (
        len(lines) == 1 and 'observation.num_sectors is 10, this policy needs 24' in lines[0]
    ), lines


def test_missing_demo_bag_exits_nonzero_with_one_line():
    r = subprocess.run(
        [
            sys.executable,
            '-m',
            'robot_learning.cli',
            'up',
            'sim_learn',
            '--set',
            'sac_learner.demo_bags=["/no/such/bag"]',
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert r.returncode == 2
    errors = [line for line in r.stderr.splitlines() if line.startswith('robot-learning')]
    assert errors == [
        'robot-learning up: bag path /no/such/bag does not exist: '
        'pass a bag directory or a session of them'
    ], r.stderr[-2000:]
