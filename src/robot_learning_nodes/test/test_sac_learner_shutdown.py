# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 robot_learning maintainers
"""The learner's shutdown path: a final checkpoint with the latest counters, or one line."""

import json

import numpy as np
from rclpy.parameter import Parameter
from robot_learning.common.checkpoint import METADATA_FILE
from robot_learning_nodes.sac_learner import SacLearner


def _learner(ros, tmp_path) -> SacLearner:
    values = {'run_dir': str(tmp_path), 'sac.hidden': [16, 16], 'warmup_transitions': 10**6}
    return ros.add(
        SacLearner(
            namespace=ros.ns,
            parameter_overrides=[Parameter(k, value=v) for k, v in values.items()],
        )
    )


def _fill(node: SacLearner, rows: int) -> None:
    rng = np.random.default_rng(0)
    d, a = node.obs_cfg.dim, node.act_cfg.dim
    node.learner.online.add_many(
        rng.random((rows, d)), rng.random((rows, a)), rng.random(rows), rng.random((rows, d)),
        np.zeros(rows),
    )
    node.learner.transitions += rows


def _meta(tmp_path) -> dict:
    return json.loads((tmp_path / 'checkpoints' / 'latest' / METADATA_FILE).read_text())


def test_close_writes_the_final_checkpoint_with_the_latest_counters(ros, tmp_path, capfd):
    node = _learner(ros, tmp_path)
    _fill(node, 500)
    node.close()
    meta = _meta(tmp_path)
    assert meta['learner_state'] and meta['env_steps'] == 500
    err = capfd.readouterr().err
    assert 'final checkpoint: 500 transitions, 0 updates, 500 buffer rows' in err


def test_close_that_cannot_fit_launchs_window_keeps_the_last_checkpoint_and_says_so(
    ros, tmp_path, capfd
):
    node = _learner(ros, tmp_path)
    _fill(node, 100)
    node.learner.save('latest')
    _fill(node, 100)
    node.learner.save_rate = 1e3  # bytes/s: a disk this slow would need minutes for the buffer
    node.close()
    assert _meta(tmp_path)['env_steps'] == 100  # the previous, complete checkpoint
    lines = [line for line in capfd.readouterr().err.splitlines() if 'final checkpoint' in line]
    assert len(lines) == 1 and 'final checkpoint not written' in lines[0]
    assert 'checkpoints/latest keeps its last state' in lines[0]
