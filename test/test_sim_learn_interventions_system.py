# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 robot_learning maintainers
"""System test: sim_learn with interventions:=true, real processes over real DDS topics.

The scripted expert supervises the stochastic SAC policy in lockstep and takes over when
the robot stalls; its commands go out through policy_node's teleop marked as
interventions, and the learner counts them as human steps: in ``episodes.jsonl`` and on
its diagnostics. The episodes keep flowing through the takeovers and hand-backs.
"""

import json
import time

from diagnostic_msgs.msg import DiagnosticArray
import pytest
import rclpy
from robot_learning_bringup.launcher import ProfileProcesses


@pytest.fixture
def ros():
    rclpy.init()
    node = rclpy.create_node('system_test_observer')
    yield node
    node.destroy_node()
    rclpy.shutdown()


def _rows(path):
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def test_sim_learn_with_interventions_counts_human_steps(ros, tmp_path):
    run = tmp_path / 'learner'
    procs = ProfileProcesses(
        'sim_learn',
        [
            f'sac_learner.run_dir={run}',
            'sac_learner.warmup_transitions=1000000',  # no updates: this is about the data
            'sac_learner.sac.hidden=[32, 32]',
            'sac_learner.checkpoint_every=0',
            'sim_node.seed=5',
            'sim_node.max_episode_steps=60',
        ],
        log_dir=tmp_path / 'logs',
        switches={'interventions': True},
    )
    seen = {'human_steps': 0, 'unmatched': 0}

    def on_diag(msg):
        for st in msg.status:
            if st.name.split(':')[0] != 'sac_learner':
                continue
            kv = {v.key: v.value for v in st.values}
            seen['human_steps'] = max(seen['human_steps'], int(kv.get('human_steps', 0)))
            seen['unmatched'] = int(kv.get('dropped_intervention_unmatched', seen['unmatched']))

    ros.create_subscription(DiagnosticArray, '/diagnostics', on_diag, 50)
    deadline = time.monotonic() + 80
    rows = []
    try:
        while time.monotonic() < deadline:
            rclpy.spin_once(ros, timeout_sec=0.1)
            assert not procs.failed(), f'a group died: {procs.failed()} (logs: {tmp_path})'
            rows = _rows(run / 'episodes.jsonl')
            if len(rows) >= 4 and seen['human_steps'] > 0:
                break
    finally:
        procs.stop()
    rows = _rows(run / 'episodes.jsonl')
    assert len(rows) >= 4, rows  # episodes kept flowing through takeovers and hand-backs
    human = sum(r['human_steps'] for r in rows)
    assert human > 0 and seen['human_steps'] > 0, (rows, seen)
    for r in rows:
        assert 0 <= r['human_steps'] <= r['length']
        assert r['intervention_rate'] == round(r['human_steps'] / max(r['length'], 1), 4)
    # Not every step: the expert hands back, and the policy acts again.
    assert human < sum(r['length'] for r in rows), rows
    print(
        f'{len(rows)} episodes, {human} human steps of {sum(r["length"] for r in rows)}, '
        f'unmatched flags {seen["unmatched"]}'
    )
