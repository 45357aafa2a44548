"""The user CLI fails with one line that says what to fix."""

import subprocess
import sys


def run(*args):
    return subprocess.run([sys.executable, '-m', 'robot_learning.cli', *args],
                          capture_output=True, text=True, timeout=120)


def test_bad_profile_name_exits_nonzero_with_one_line():
    r = run('up', 'no_such_profile')
    assert r.returncode == 2
    lines = [l for l in r.stderr.splitlines() if l.strip()]
    assert len(lines) == 1 and "unknown profile 'no_such_profile'" in lines[0] and 'sim_learn' in lines[0]


def test_missing_checkpoint_exits_nonzero_with_one_line(tmp_path):
    r = run('eval', '--checkpoint', str(tmp_path / 'nothing'), '--episodes', '1')
    assert r.returncode == 2
    lines = [l for l in r.stderr.splitlines() if l.strip()]
    assert len(lines) == 1 and 'nothing' in lines[0]


def test_profiles_lists_the_sim_profiles():
    r = run('profiles')
    assert r.returncode == 0
    for name in ('sim_teleop', 'sim_learn', 'sim_deploy'):
        assert name in r.stdout
