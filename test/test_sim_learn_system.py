# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 robot_learning maintainers
"""System test: the sim_learn profile in lockstep, real processes over real DDS topics.

Asserts the loop closes: the policy node commands the sim, the learner turns those
steps into transitions and updates, and the policy node receives newer weights.
"""

import json
import time

from diagnostic_msgs.msg import DiagnosticArray
from geometry_msgs.msg import TwistStamped
import pytest
import rclpy
from robot_learning_bringup.launcher import ProfileProcesses
from robot_learning_nodes.common import COMMAND_QOS


@pytest.fixture
def ros():
    rclpy.init()
    node = rclpy.create_node('system_test_observer')
    yield node
    node.destroy_node()
    rclpy.shutdown()


def test_sim_learn_lockstep_closes_the_loop(ros, tmp_path):
    procs = ProfileProcesses(
        'sim_learn',
        [
            f'sac_learner.run_dir={tmp_path / "learner"}',
            'sac_learner.warmup_transitions=64',
            'sac_learner.sac.batch_size=64',
            'sac_learner.sac.hidden=[64, 64]',
            'sac_learner.push_every=10',
            'sac_learner.checkpoint_every=0',
            'sac_learner.best_window=2',
            'sim_node.seed=3',
            'sim_node.max_episode_steps=60',
            'policy_node.deterministic=false',
        ],
        log_dir=tmp_path / 'logs',
    )
    seen = {'cmd': 0, 'updates': 0, 'transitions': 0, 'policy_version': 0, 'weights_received': 0}

    def on_cmd(_msg):
        seen['cmd'] += 1

    def on_diag(msg):
        for st in msg.status:
            kv = {v.key: v.value for v in st.values}
            node = st.name.split(':')[0]  # statuses are named '<node>: <task>'
            if node == 'sac_learner':
                seen['updates'] = max(seen['updates'], int(kv.get('updates', 0)))
                seen['transitions'] = max(seen['transitions'], int(kv.get('transitions', 0)))
            elif node == 'policy_node':
                seen['policy_version'] = max(
                    seen['policy_version'], int(kv.get('weights_version', 0))
                )
                seen['weights_received'] = max(
                    seen['weights_received'], int(kv.get('weights_received', 0))
                )

    ros.create_subscription(TwistStamped, 'cmd_vel', on_cmd, COMMAND_QOS)
    ros.create_subscription(DiagnosticArray, '/diagnostics', on_diag, 50)
    deadline = time.monotonic() + 150
    try:
        while time.monotonic() < deadline:
            rclpy.spin_once(ros, timeout_sec=0.1)
            assert (
                not procs.failed()
            ), f'a process group died: {procs.failed()} (logs in {tmp_path / "logs"})'
            # Diagnostics arrive at 1 Hz, so wait for every figure, not just the commands.
            if (
                seen['cmd'] >= 300
                and seen['transitions'] >= 200
                and seen['updates'] >= 20
                and seen['weights_received'] >= 2
            ):
                break
    finally:
        procs.stop()
    assert seen['cmd'] >= 300, seen  # commands flowed in lockstep
    assert seen['transitions'] >= 200, seen  # the learner assembled transitions from topics
    assert seen['updates'] >= 20, seen  # and took gradient steps
    assert (
        seen['weights_received'] >= 2 and seen['policy_version'] >= 2
    ), seen  # new weights reached the policy
    assert list(
        (tmp_path / 'learner').glob('checkpoints/latest/model.safetensors')
    )  # final checkpoint on exit
    best = json.loads(
        (tmp_path / 'learner' / 'checkpoints' / 'best' / 'checkpoint.json').read_text()
    )
    assert 0.0 <= best['best_training_success'] <= 1.0  # the best rolling-success actor is kept
