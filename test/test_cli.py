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


class _FakeEntryPoint:
    def __init__(self, run, value='fake.verbs:run'):
        self._run, self.value = run, value

    def load(self):
        if isinstance(self._run, Exception):
            raise self._run
        return self._run


def test_ros_verbs_are_found_through_entry_points(monkeypatch):
    from robot_learning import cli

    seen = {}

    def lookup(name):
        seen['name'] = name
        return [_FakeEntryPoint(lambda args: 7 if args.profile == 'p' else 1)]

    monkeypatch.setattr(cli, 'verb_entry_points', lookup)
    assert cli.main(['up', 'p', '--set', 'a.b=1']) == 7 and seen['name'] == 'up'


def test_ros_verbs_without_bringup_name_the_package_in_one_line(monkeypatch, capsys):
    from robot_learning import cli

    monkeypatch.setattr(cli, 'verb_entry_points', lambda name: [])
    for argv in (['up', 'x'], ['profiles'], ['demo'], ['eval', '--checkpoint', 'c']):
        assert cli.main(argv) == 2, argv
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and err[0].startswith(f'robot-learning {argv[0]}: '), err
        assert 'robot_learning_bringup' in err[0], err


def test_a_verb_whose_module_is_missing_gives_one_line(monkeypatch, capsys):
    from robot_learning import cli

    missing = ModuleNotFoundError("No module named 'rclpy'", name='rclpy')
    monkeypatch.setattr(cli, 'verb_entry_points', lambda name: [_FakeEntryPoint(missing)])
    assert cli.main(['profiles']) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "'rclpy'" in err[0] and 'ROS 2' in err[0], err


def test_core_only_install_every_verb_answers_in_one_line(tmp_path):
    """Without the ROS packages on the path, no verb ends in a traceback."""
    import os

    ros_pkgs = ('robot_learning_bringup', 'robot_learning_nodes', 'robot_learning_sim')
    path = os.pathsep.join(
        p
        for p in os.environ.get('PYTHONPATH', '').split(os.pathsep)
        if not any(pkg in p for pkg in ros_pkgs)
    )
    env = {**os.environ, 'PYTHONPATH': path}
    for argv in (
        ['up', 'x'],
        ['profiles'],
        ['demo'],
        ['eval', '--checkpoint', str(tmp_path)],
        ['eval', '--checkpoint', str(tmp_path / 'none'), '--offline', '--bags', str(tmp_path)],
        ['train', '--bags', str(tmp_path / 'none'), '--out', str(tmp_path / 'r')],
        ['bag', 'reindex', str(tmp_path / 'none')],
    ):
        r = subprocess.run(
            [sys.executable, '-m', 'robot_learning.cli', *argv],
            capture_output=True,
            text=True,
            timeout=120,
            env=env,
        )
        lines = [line for line in r.stderr.splitlines() if line.strip()]
        assert r.returncode == 2 and len(lines) == 1, (argv, r.stderr[-2000:])
        assert lines[0].startswith(f'robot-learning {argv[0]}: '), lines
        if '--offline' not in argv and argv[0] in ('up', 'profiles', 'demo', 'eval'):
            assert 'robot_learning_bringup' in lines[0], lines


def test_eval_set_reaches_the_sim(tmp_path):
    """``eval --set`` parameters reach the nodes (here: 5-step episodes), and are recorded."""
    import json

    from robot_learning.common.checkpoint import save_checkpoint
    from robot_learning.common.features import ActionConfig, ObservationConfig
    from robot_learning.common.networks import SquashedGaussianActor
    from robot_learning.policy import ACTOR_PREFIX, policy_metadata

    obs = ObservationConfig()
    actor = SquashedGaussianActor(obs.dim, 2, (32, 32))
    save_checkpoint(
        tmp_path / 'ckpt',
        {ACTOR_PREFIX + k: v for k, v in actor.state_dict().items()},
        policy_metadata(obs, ActionConfig(), (32, 32), 'sac'),
    )
    r = run('eval', '--checkpoint', str(tmp_path / 'ckpt'), '--episodes', '2', '--out',
            str(tmp_path / 'eval'), '--set', 'sim_node.max_episode_steps=5')
    assert r.returncode == 0, r.stderr[-2000:]
    m = json.loads((tmp_path / 'eval' / 'metrics.json').read_text())
    assert m['set'] == ['sim_node.max_episode_steps=5'] and m['eval_episodes'] == 2
    assert m['eval_length_mean'] <= 5
