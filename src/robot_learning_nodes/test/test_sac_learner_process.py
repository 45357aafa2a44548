# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 robot_learning maintainers
"""sac_learner with update_process: learns, publishes weights, survives a killed update process."""

from __future__ import annotations

import os
from pathlib import Path
import signal

from robot_learning.common.checkpoint import bytes_to_weights
from robot_learning_nodes.common import LATCHED_QOS
from std_msgs.msg import UInt8MultiArray
from test_joint_learning import _feed, _learner, _pubs

#: Seconds for the update process to come up: a fresh interpreter imports torch first.
START_S = 90.0


def test_learner_with_an_update_process_learns_and_survives_a_killed_one(ros, tmp_path, capfd):
    node = _learner(ros, tmp_path, update_process=True, warmup_transitions=4, push_every=5)
    learner = node.learner
    assert learner._remote is not None and learner._remote.alive()
    names = [learner._remote._online.name, learner._remote._control.shm.name]
    weights = ros.collect(UInt8MultiArray, 'policy/weights', LATCHED_QOS)
    pubs = _pubs(ros, '')
    _feed(ros, pubs, 20, start=10)
    ros.spin_until(lambda: learner.updates >= 15, START_S, 'updates in the update process')
    ros.spin_until(lambda: len(weights) >= 3, 10.0, 'weights pushed from its updates')
    _, meta = bytes_to_weights(bytes(weights[-1].data))
    assert meta['updates'] >= 5
    first, done = learner._remote.pid, learner.updates
    os.kill(first, signal.SIGKILL)
    _feed(ros, pubs, 20, start=40)
    d = ros.diagnostics(
        node, timeout=START_S, cond=lambda d: d.get('update_process_restarts') == '1'
    )
    assert d['update_process_restarts'] == '1'
    ros.spin_until(lambda: learner.updates > done + 5, START_S, 'updates after the restart')
    assert learner._remote.pid != first
    err = capfd.readouterr().err
    died = [line for line in err.splitlines() if 'update process' in line and 'died' in line]
    assert len(died) == 1 and 'killed by signal 9' in died[0]
    node.close()  # the final checkpoint holds the new process's state
    assert (tmp_path / 'run' / 'checkpoints' / 'latest').is_dir()
    child = learner._remote.pid
    ros.nodes.remove(node)
    ros.executor.remove_node(node)
    node.destroy_node()  # stops the update process, unlinks its shared memory
    assert not any(Path('/dev/shm', n).exists() for n in names)
    assert not Path(f'/proc/{child}').exists() or _zombie(child)


def _zombie(pid: int) -> bool:
    try:
        with open(f'/proc/{pid}/stat') as f:
            return f.read().split(')')[-1].split()[0] == 'Z'
    except FileNotFoundError:
        return True
