# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 robot_learning maintainers
"""``sac_learner init_from:=`` a checkpoint of another algorithm or spec: one line, exit 2.

The executable is started as ``ros2 run`` would (``python -m`` of its module) with
``init_from`` pointing at a behaviour-cloning checkpoint and at a SAC state of another
observation spec (the success-classifier case is a unit test in
``src/robot_learning/test/test_calql.py``); each must exit with code 2 and one error
line (ROS log lines start with ``[``), never a traceback.
"""

from __future__ import annotations

import subprocess
import sys

import pytest
from robot_learning.algos.sac import OnlineConfig, OnlineLearner, SACConfig
from robot_learning.common.checkpoint import policy_metadata, save_checkpoint
from robot_learning.common.features import ActionConfig, ObservationConfig
import torch


def _checkpoint(tmp_path, kind: str) -> str:
    act = ActionConfig()
    if kind == 'other_spec':
        obs = ObservationConfig(num_sectors=12)
        learner = OnlineLearner(
            SACConfig(obs_dim=obs.dim, action_dim=2), obs, act, tmp_path / 'src',
            OnlineConfig(checkpoint_every=0),
        )
        path = learner.save('latest', plot=False)
        learner.close()
        return str(path)
    meta = policy_metadata(ObservationConfig(), act, (256, 256), kind)
    return str(save_checkpoint(tmp_path / kind, {'actor.x': torch.zeros(2)}, meta))


@pytest.mark.parametrize(
    'kind,words',
    [
        ('bc', "algorithm 'bc'"),
        ('other_spec', 'checkpoint obs_dim is'),
    ],
)
def test_init_from_of_another_algorithm_or_spec_is_one_line(tmp_path, kind, words):
    path = _checkpoint(tmp_path, kind)
    cmd = [sys.executable, '-m', 'robot_learning_nodes.sac_learner', '--ros-args']
    cmd += ['-p', f'init_from:={path}', '-p', f'run_dir:={tmp_path / "run"}']
    proc = subprocess.run(
        cmd, cwd=tmp_path, capture_output=True, text=True, timeout=120, check=False
    )
    out = proc.stdout + proc.stderr
    assert 'Traceback' not in out, out
    assert proc.returncode == 2, f'exit {proc.returncode}:\n{out}'
    lines = [line for line in out.splitlines() if line.strip() and not line.startswith('[')]
    assert len(lines) == 1 and words in lines[0] and 'init_from' in lines[0], out
