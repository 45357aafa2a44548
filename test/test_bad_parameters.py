# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 robot_learning maintainers
"""Every node executable given one bad parameter exits with one line, never a traceback.

Each case starts an installed console script (``lib/<package>/<executable>``, as
``ros2 run`` would) with one ``--ros-args -p name:=value`` that is out of range, of the
wrong type, not one of the allowed values, or not YAML at all, and checks the contract of
``robot_learning_nodes.spin.spin_node``: exit code 2, no ``Traceback``, and exactly one
line (besides ROS log lines, which start with ``[``) that names the parameter. The
executables are read from each package's ``setup.py``, so a new node without a case here
fails :func:`test_every_executable_has_a_case`.
"""

from __future__ import annotations

from pathlib import Path
import re
import subprocess
import sys

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ('robot_learning_nodes', 'robot_learning_sim')

#: (package, executable, parameter, bad value, what is wrong with it)
CASES = [
    ('robot_learning_nodes', 'camera_ingest', 'width', '0', 'range'),
    ('robot_learning_nodes', 'camera_ingest', 'depth_max', 'far', 'type'),
    ('robot_learning_nodes', 'lidar_ingest', 'num_sectors', '0', 'range'),
    ('robot_learning_nodes', 'lidar_ingest', 'range_max', 'abc', 'type'),
    ('robot_learning_nodes', 'lidar_ingest', 'use_sim_time', 'abc', 'type'),
    ('robot_learning_nodes', 'demo_recorder', 'storage', 'zip', 'enum'),
    ('robot_learning_nodes', 'demo_recorder', 'flush_period_s', '5.0', 'range'),
    ('robot_learning_nodes', 'demo_recorder', 'topics', '[:x]', 'yaml'),
    ('robot_learning_nodes', 'policy_node', 'command_type', 'twist_stampd', 'enum'),
    ('robot_learning_nodes', 'policy_node', 'max_linear', '-1.0', 'range'),
    ('robot_learning_nodes', 'policy_node', 'deterministic', 'maybe', 'type'),
    ('robot_learning_nodes', 'policy_node', 'uncertainty_samples', '65', 'range'),
    ('robot_learning_nodes', 'policy_node', 'takeover_uncertainty', '3.0', 'range'),
    ('robot_learning_nodes', 'operator_node', 'task_services', 'sometimes', 'enum'),
    ('robot_learning_nodes', 'operator_node', 'debounce_s', '-1.0', 'range'),
    ('robot_learning_nodes', 'operator_node', 'buttons.start', 'A', 'type'),
    ('robot_learning_nodes', 'task_node', 'reward_mode', 'magic', 'enum'),
    ('robot_learning_nodes', 'task_node', 'task_file', '/no/such/task.yaml', 'file'),
    ('robot_learning_nodes', 'task_node', 'max_steps', '-5', 'range'),
    ('robot_learning_nodes', 'sac_learner', 'observation_type', 'pixels', 'enum'),
    ('robot_learning_nodes', 'sac_learner', 'torch_threads', '0', 'range'),
    ('robot_learning_sim', 'sim_node', 'mode', 'fast', 'enum'),
    ('robot_learning_sim', 'sim_node', 'control_rate', '0.0', 'range'),
    ('robot_learning_sim', 'sim_node', 'colors', '[purple]', 'world'),
    ('robot_learning_sim', 'sim_node', 'appearance', 'night', 'enum'),
    ('robot_learning_sim', 'sim_node', 'randomize.light', '0.95', 'range'),
    ('robot_learning_sim', 'gym_bridge', 'mode', 'fast', 'enum'),
    ('robot_learning_sim', 'gym_bridge', 'control_rate', 'abc', 'type'),
    ('robot_learning_sim', 'gym_bridge', 'env_kwargs', '{bad', 'yaml'),
    ('robot_learning_sim', 'expert_teleop', 'takeover', 'never', 'enum'),
    ('robot_learning_sim', 'expert_teleop', 'max_linear', 'fast', 'type'),
]


def console_scripts(package: str) -> list[str]:
    """Return the console script names of ``src/<package>/setup.py``."""
    text = (ROOT / 'src' / package / 'setup.py').read_text('utf8')
    return re.findall(r"'(\w+) = [\w.]+:main'", text)


def command(package: str, executable: str) -> list[str]:
    """Return the installed executable, else ``python -m`` of its module (no install)."""
    try:
        from ament_index_python.packages import get_package_prefix

        exe = Path(get_package_prefix(package)) / 'lib' / package / executable
        if exe.is_file():
            return [str(exe)]
    except (ImportError, LookupError, ValueError):
        pass
    text = (ROOT / 'src' / package / 'setup.py').read_text('utf8')
    module = re.search(rf"'{executable} = ([\w.]+):main'", text).group(1)
    return [sys.executable, '-m', module]


def test_every_executable_has_a_case():
    covered = {(pkg, exe) for pkg, exe, *_ in CASES}
    for package in PACKAGES:
        scripts = console_scripts(package)
        assert scripts, f'no console_scripts found in src/{package}/setup.py'
        missing = [s for s in scripts if (package, s) not in covered]
        assert not missing, f'{package} executables without a bad-parameter case: {missing}'


@pytest.mark.parametrize(
    'package,executable,name,value,kind',
    CASES,
    ids=[f'{exe}-{name}-{kind}' for _, exe, name, _, kind in CASES],
)
def test_bad_parameter_is_one_line(tmp_path, package, executable, name, value, kind):
    cmd = [*command(package, executable), '--ros-args', '-p', f'{name}:={value}']
    try:
        # cwd: a node that wrongly starts anyway must not write runs/ or bags/ here.
        proc = subprocess.run(
            cmd, cwd=tmp_path, capture_output=True, text=True, timeout=120, check=False
        )
    except subprocess.TimeoutExpired as exc:
        pytest.fail(f'{executable} -p {name}:={value} ({kind}) kept running: {exc.stderr!r}')
    out = proc.stdout + proc.stderr
    assert 'Traceback' not in out, f'{executable} -p {name}:={value} ({kind}):\n{out}'
    assert proc.returncode == 2, f'exit {proc.returncode}:\n{out}'
    # rcl and the nodes log with a "[LEVEL] [stamp] [name]:" prefix; the rest is the error.
    lines = [line for line in out.splitlines() if line.strip() and not line.startswith('[')]
    assert len(lines) == 1, f'expected one error line:\n{out}'
    assert name in lines[0], f'the error line does not name {name}: {lines[0]}'
