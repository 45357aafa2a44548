# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 robot_learning maintainers
"""Every launch/*.launch.py under the real launch/launch_ros, as ``ros2 launch`` runs it.

One LaunchService run per launch file: every node comes up with its parameter files
applied (read back over its parameter services), launch stops it cleanly on Ctrl-C (no
orphan process, no node that died), and a learner leaves a final checkpoint with its
latest counters. Bad launch arguments stop the launch with one line before any node runs.
"""

from pathlib import Path
import re

from launch_support import (
    checkpoint_meta,
    expected_parameters,
    fresh_domain,
    launch_available,
    LAUNCH_DIR,
    LaunchRun,
    Probe,
    same_value,
    tiny_navigation_checkpoint,
)
import pytest

pytestmark = pytest.mark.skipif(
    not launch_available(), reason='launch_ros not importable (make test-deps installs it)'
)

#: The Gazebo launch files start Gazebo and ros_gz, which cannot run here; what can be
#: checked without them (the description, its arguments, the bridge) is in
#: test/test_gazebo_launch.py.
_NEEDS_GAZEBO = pytest.mark.skip(reason='needs Gazebo and ros_gz (test_gazebo_launch.py checks)')
LAUNCH_FILES = [
    pytest.param(p.name, marks=_NEEDS_GAZEBO) if p.name.startswith('gazebo_') else p.name
    for p in sorted(LAUNCH_DIR.glob('*.launch.py'))
]
_FINAL = re.compile(r'final checkpoint: (\d+) transitions, (\d+) updates')


def _profile(launch_file: str) -> str:
    return launch_file[: -len('.launch.py')]


def _learner_run_dir(node: dict, cwd: Path) -> Path:
    return cwd / expected_parameters(node)['run_dir']


@pytest.mark.parametrize('launch_file', LAUNCH_FILES)
def test_launch_file_runs_with_its_parameters_and_stops_cleanly(launch_file, tmp_path):
    from robot_learning_bringup.launch_description import profile_nodes
    from robot_learning_bringup.profiles import load_profile

    profile = _profile(launch_file)
    args, options = [], {}
    if load_profile(profile).get('checkpoint_node'):
        ckpt = tiny_navigation_checkpoint(tmp_path / 'ckpt')
        args.append(f'checkpoint:={ckpt}')
        options['checkpoint'] = str(ckpt)
    nodes = profile_nodes(profile, **options)
    # A learner of a real-robot profile (robot_learn) has no robot here to learn from: its
    # parameters and clean stop are checked, its transitions and checkpoint cannot be.
    has_robot = any(n['executable'] in ('sim_node', 'gym_bridge') for n in nodes)
    learners = [n for n in nodes if n['executable'] == 'sac_learner' and has_robot]
    domain = fresh_domain()
    probe = Probe(domain)
    run = LaunchRun(launch_file, args, cwd=tmp_path, domain=domain, log=tmp_path / 'launch.log')
    try:
        _check_run(run, probe, launch_file, nodes, learners, tmp_path)
    except AssertionError as exc:
        raise AssertionError(f'{exc}\n--- launch output ---\n{run.text()[-4000:]}') from None
    finally:
        run.kill()
        probe.close()


def _check_run(run, probe, launch_file, nodes, learners, tmp_path):
    """Parameters of every node, a transition per learner, a clean stop, checkpoints."""
    for n in nodes:
        fqn = f'{n["namespace"]}/{n["name"]}'
        want = expected_parameters(n)
        got = probe.get_parameters(fqn, sorted(want))
        # A node declares what its mode needs (the learner in joint_state mode has no
        # observation.*): the profile's own overrides and some of each file must be there.
        undeclared = sorted(set(n['parameters']) - set(got))
        assert not undeclared, f'{launch_file}: {fqn} does not declare {undeclared}'
        for f in n['params_files']:
            from_file = expected_parameters({**n, 'params_files': [f], 'parameters': {}})
            assert set(from_file) & set(got), f'{launch_file}: {fqn} ignores {f}'
        wrong = {k: (v, want[k]) for k, v in got.items() if not same_value(v, want[k])}
        assert not wrong, f'{launch_file}: {fqn} (got, want): {wrong}'
    seen = {}
    for n in learners:  # something to checkpoint: at least one transition
        fqn = f'{n["namespace"]}/{n["name"]}'
        seen[fqn] = int(
            probe.wait_for(
                lambda fqn=fqn: int(probe.diagnostics.get(fqn, {}).get('transitions', 0)),
                180,
                f'{fqn} to receive a transition',
            )
        )
    rc, stop_s, orphans = run.stop()
    text = run.text()
    assert rc == 0, f'{launch_file}: launch exited {rc}'
    assert not orphans, f'{launch_file}: processes left running: {orphans}'
    assert 'process has died' not in text and 'Traceback' not in text
    assert text.count('process has finished cleanly') == len(nodes)
    for n in learners:
        final = _FINAL.findall(text)
        assert final, f'{launch_file}: no final checkpoint line'
        meta = checkpoint_meta(_learner_run_dir(n, tmp_path) / 'checkpoints' / 'latest')
        assert meta.get('learner_state'), f'{launch_file}: no final learner checkpoint'
        assert (meta['env_steps'], meta['updates']) == tuple(map(int, final[-1]))
        assert meta['env_steps'] >= seen[f'{n["namespace"]}/{n["name"]}']


def _failed_launch(tmp_path: Path, launch_file: str, args: list[str]) -> str:
    """Run a launch that must refuse to start; its one error line."""
    with LaunchRun(
        launch_file, args, cwd=tmp_path, domain=fresh_domain(), log=tmp_path / 'bad.log'
    ) as run:
        rc = run.proc.wait(60)
        _, _, orphans = run.stop()
        text = run.text()
    assert rc != 0, text
    assert not orphans, f'processes left running: {orphans}'
    assert 'process started' not in text, f'a node was started:\n{text}'
    assert 'Traceback' not in text, text
    errors = [line for line in text.splitlines() if '[ERROR]' in line]
    assert len(errors) == 1, text
    return errors[0]


def test_bad_launch_arguments_say_what_to_fix_and_start_nothing(tmp_path):
    assert 'use_sim_time:=maybe: write true or false' in _failed_launch(
        tmp_path, 'sim_teleop.launch.py', ['use_sim_time:=maybe']
    )
    line = _failed_launch(tmp_path, 'sim_learn.launch.py', [f'params_file:={tmp_path}/no.yaml'])
    assert 'no.yaml: no such file' in line
    bad = tmp_path / 'bad.yaml'
    bad.write_text('policy_node:\n  ros__parameters:\n    max_linear: 1\n')
    line = _failed_launch(tmp_path, 'sim_learn.launch.py', [f'params_file:={bad}'])
    assert 'max_linear is a double' in line and 'write 1.0' in line
    typo = tmp_path / 'typo.yaml'
    typo.write_text('polcy_node:\n  ros__parameters:\n    max_linear: 1.0\n')
    assert 'names no node' in _failed_launch(
        tmp_path, 'sim_learn.launch.py', [f'params_file:={typo}']
    )
    assert 'log_level:=loud' in _failed_launch(
        tmp_path, 'sim_learn.launch.py', ['log_level:=loud']
    )
    assert 'namespace:=1robot' in _failed_launch(
        tmp_path, 'sim_learn.launch.py', ['namespace:=1robot']
    )
    assert 'cmd_vel:=a b' in _failed_launch(tmp_path, 'sim_learn.launch.py', ['cmd_vel:=a b'])


def test_deploy_launch_refuses_to_start_without_a_checkpoint(tmp_path):
    line = _failed_launch(tmp_path, 'robot_deploy.launch.py', [])
    assert 'robot_deploy needs a policy checkpoint: pass checkpoint:=DIR' in line
    line = _failed_launch(tmp_path, 'robot_deploy.launch.py', [f'checkpoint:={tmp_path}'])
    assert 'no checkpoint.json there' in line


def test_a_node_refusing_a_parameter_stops_the_whole_launch(tmp_path):
    # range_min is not in our lidar_ingest.yaml, so only the node can tell it is a double.
    user = tmp_path / 'user.yaml'
    user.write_text('lidar_ingest:\n  ros__parameters:\n    range_min: 1\n')
    ckpt = tiny_navigation_checkpoint(tmp_path / 'ckpt')
    with LaunchRun(
        'robot_deploy.launch.py',
        [f'checkpoint:={ckpt}', f'params_file:={user}'],
        cwd=tmp_path,
        domain=fresh_domain(),
        log=tmp_path / 'launch.log',
    ) as run:
        run.proc.wait(120)
        _, _, orphans = run.stop()
        text = run.text()
    assert not orphans, f'processes left running: {orphans}\n{text}'
    lines = [line for line in text.splitlines() if 'parameter range_min' in line]
    assert len(lines) == 1, text
    assert 'process[lidar_ingest-1] was required: shutting down' in text, text
    # Nodes still importing torch when launch stops them print Python's KeyboardInterrupt
    # (rclpy's handler is not installed yet); no other error.
    errors = re.findall(r'\] (\w+(?:Error|Exception))\b', text)
    assert not errors, text
