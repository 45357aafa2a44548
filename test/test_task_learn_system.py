# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 robot_learning maintainers
"""System test: the sim_task_learn profile, SAC learning from task_node's stream alone.

Real processes over real DDS topics: sim_node with ``publish_task: false`` (no episode
stream of its own), task_node (dense reward from odom and the sim's ``sim/objects``
ground truth, resets through ``sim/reset``), policy_node and sac_learner. Asserts every
``episode`` status came from task_node, the learner's episodes (episodes.jsonl) are
task_node's, and transitions reached the learner.
"""

import json
import time

from diagnostic_msgs.msg import DiagnosticArray
from geometry_msgs.msg import TwistStamped
import rclpy
from rclpy.qos import QoSProfile, ReliabilityPolicy
from robot_learning.common.features import step_info_from_msg
from robot_learning_bringup.launcher import ProfileProcesses
from robot_learning_nodes.common import COMMAND_QOS


def test_sac_learns_from_task_node_stream(observer, tmp_path):
    ros = observer
    run = tmp_path / 'learner'
    procs = ProfileProcesses(
        'sim_task_learn',
        [
            f'sac_learner.run_dir={run}',
            'sac_learner.warmup_transitions=64',
            'sac_learner.sac.batch_size=64',
            'sac_learner.sac.hidden=[64, 64]',
            'sac_learner.push_every=10',
            'sac_learner.checkpoint_every=0',
            'sac_learner.best_window=2',
            'sim_node.seed=3',
            'task_node.seed=3',
            'task_node.max_steps=25',
        ],
        log_dir=tmp_path / 'logs',
    )
    seen = {'cmd': 0, 'transitions': 0, 'task_episodes': 0}
    senders, terminal = set(), {}

    def on_episode(msg):
        for st in msg.status:
            senders.add(st.hardware_id)
        info = step_info_from_msg(msg)
        if info.terminated or info.truncated:
            terminal[info.episode] = info.outcome

    def on_diag(msg):
        for st in msg.status:
            kv = {v.key: v.value for v in st.values}
            if st.name == 'sac_learner: learning' or st.name.startswith('sac_learner'):
                seen['transitions'] = max(seen['transitions'], int(kv.get('transitions', 0)))
            if st.name == 'task_node: episodes':
                seen['task_episodes'] = max(seen['task_episodes'], int(kv.get('episodes', 0)))

    def on_cmd(_msg):
        seen['cmd'] += 1

    reliable = QoSProfile(depth=100, reliability=ReliabilityPolicy.RELIABLE)
    ros.create_subscription(DiagnosticArray, 'episode', on_episode, reliable)
    ros.create_subscription(DiagnosticArray, '/diagnostics', on_diag, 50)
    ros.create_subscription(TwistStamped, 'cmd_vel', on_cmd, COMMAND_QOS)
    rows_file = run / 'episodes.jsonl'

    def rows():
        if not rows_file.exists():
            return []
        return [json.loads(line) for line in rows_file.read_text().splitlines() if line]

    deadline = time.monotonic() + 180
    try:
        while time.monotonic() < deadline:
            rclpy.spin_once(ros, timeout_sec=0.1)
            assert not procs.failed(), f'{procs.failed()} died (logs in {tmp_path / "logs"})'
            if seen['cmd'] >= 150 and seen['transitions'] >= 100 and len(rows()) >= 4:
                break
    finally:
        procs.stop()
    assert senders == {'task_node'}, senders  # the sim published no episode status
    got = rows()
    assert len(got) >= 4 and seen['transitions'] >= 100, (len(got), seen)
    both = [r for r in got if r['episode'] in terminal]
    assert both, (got, terminal)  # the comparison below must compare something
    for r in got:  # the learner's episodes are task_node's, outcome for outcome
        assert r['outcome'] in ('success', 'failure', 'timeout'), r
        if r['episode'] in terminal:
            assert terminal[r['episode']] == r['outcome'], (r, terminal)
        assert r['length'] <= 25, r
    assert seen['task_episodes'] >= 1
