# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 robot_learning maintainers
"""sac_learner pairs each intervention flag with its action echo over real topics."""

from builtin_interfaces.msg import Time
from geometry_msgs.msg import Pose, PoseArray, TwistStamped
from nav_msgs.msg import Odometry
import numpy as np
from rclpy.parameter import Parameter
from robot_learning_nodes.episode_status import EpisodeStatus
from robot_learning_nodes.qos import COMMAND_QOS, LATCHED_QOS
from robot_learning_nodes.sac_learner import SacLearner
from sensor_msgs.msg import LaserScan
from std_msgs.msg import Bool, String

INSTRUCTION = 'go to the red pillar'


def _publishers(ros):
    h = ros.helper
    pubs = {
        'scan': h.create_publisher(LaserScan, 'observation/scan', COMMAND_QOS),
        'odom': h.create_publisher(Odometry, 'odom', COMMAND_QOS),
        'det': h.create_publisher(PoseArray, 'detections', COMMAND_QOS),
        'action': h.create_publisher(TwistStamped, 'action', COMMAND_QOS),
        'flag': h.create_publisher(Bool, 'intervention', COMMAND_QOS),
        'instr': h.create_publisher(String, 'instruction', LATCHED_QOS),
    }
    for p in pubs.values():
        ros.wait_matched(p)
    pubs['instr'].publish(String(data=INSTRUCTION))
    return pubs


def _observation(pubs, sec: int) -> None:
    scan, odom, det = LaserScan(), Odometry(), PoseArray()
    for m in (scan, odom, det):
        m.header.stamp.sec = sec
    scan.ranges = np.full(24, 2.0, np.float32)
    det.poses = [Pose() for _ in range(3)]
    for i, p in enumerate(det.poses):
        p.position.x, p.position.y = 1.0 + i, 0.5
    for key, msg in (('scan', scan), ('odom', odom), ('det', det)):
        pubs[key].publish(msg)


def _action(pubs, sec: int, human: bool) -> None:
    echo = TwistStamped()
    echo.header.stamp.sec = sec
    echo.twist.linear.x = 0.2
    pubs['action'].publish(echo)
    pubs['flag'].publish(Bool(data=human))  # as policy_node: right after the echo


def test_flags_pair_with_their_actions_and_an_unmatched_one_is_counted(ros, tmp_path):
    values = {'run_dir': str(tmp_path), 'sac.hidden': [16, 16], 'warmup_transitions': 10**6}
    node = ros.add(
        SacLearner(
            namespace=ros.ns,
            parameter_overrides=[Parameter(k, value=v) for k, v in values.items()],
        )
    )
    pubs = _publishers(ros)
    status = EpisodeStatus(ros.helper, clock=False)
    ros.wait_matched(status._pub_episode)
    human = {1, 2, 5}
    length = 8
    for k in range(length + 1):
        _observation(pubs, k + 1)
        last = k == length
        status.publish(
            Time(sec=k + 1), -0.1 * (k > 0), last, False, 'success' if last else 'running',
            0, k, -0.1 * k, INSTRUCTION,
        )
        if not last:
            _action(pubs, k + 1, k in human)
        if k == 3:  # a stray flag: no action echo before it to pair with
            pubs['flag'].publish(Bool(data=True))
        # One step at a time, as a lockstep sim: the next observation follows this action.
        ros.spin_until(lambda: node.learner.transitions >= k or last, 10.0, f'step {k}')
    ros.spin_until(lambda: node.learner.rows, 10.0, 'the episode row')
    row = node.learner.rows[-1]
    assert row['length'] == length and row['human_steps'] == len(human)
    assert row['intervention_rate'] == round(len(human) / length, 4)
    assert node.learner.human_steps == len(human) and len(node.learner.demo) == len(human)
    diag = ros.diagnostics(
        node, cond=lambda d: d.get('dropped_intervention_unmatched') == '1'
    )
    assert diag['human_steps'] == str(len(human)) and diag['human_steps_robot'] == '3'
    assert diag['intervention_missing_robot'] == '0'
    # Still running: the next episode's steps come in.
    for k in range(3):
        _observation(pubs, 100 + k)
        if k == 0:
            status.new_episode()
        status.publish(
            Time(sec=100 + k), 0.0, False, False, 'running', 1, k, 0.0, INSTRUCTION
        )
        _action(pubs, 100 + k, False)
    ros.spin_until(lambda: node.learner.transitions >= length + 2, 10.0, 'next episode')
    assert node.learner.human_steps == len(human)
