# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 robot_learning maintainers
"""Policy node over real topics: acts from a checkpoint, clamps, yields to teleop, stops on stale input."""

from geometry_msgs.msg import Pose, PoseArray, Twist, TwistStamped
from nav_msgs.msg import Odometry
import numpy as np
import pytest
from rclpy.parameter import Parameter
from robot_learning.checkpoint import save_checkpoint
from robot_learning.features import ActionConfig, ObservationConfig
from robot_learning.networks import SquashedGaussianActor
from robot_learning.policy import ACTOR_PREFIX, policy_metadata
from robot_learning_nodes.common import COMMAND_QOS, LATCHED_QOS
from robot_learning_nodes.policy_node import PolicyNode
from sensor_msgs.msg import LaserScan
from std_msgs.msg import Bool, String
import torch


@pytest.fixture
def checkpoint(tmp_path):
    obs = ObservationConfig()
    actor = SquashedGaussianActor(obs.dim, 2, (32, 32))
    with torch.no_grad():  # a policy that always wants full speed ahead
        for p in actor.parameters():
            p.zero_()
        last = [m for m in actor.net.modules() if isinstance(m, torch.nn.Linear)][-1]
        last.bias[:2] = 3.0
    return save_checkpoint(
        tmp_path / 'ckpt',
        {ACTOR_PREFIX + k: v for k, v in actor.state_dict().items()},
        policy_metadata(obs, ActionConfig(), (32, 32), 'sac'),
    )


def publish_observation(pubs, sec):
    scan, odom, det = LaserScan(), Odometry(), PoseArray()
    for m in (scan, odom, det):
        m.header.stamp.sec = sec
    scan.ranges = np.full(24, 2.0, np.float32)
    det.poses = [Pose() for _ in range(3)]
    for i, p in enumerate(det.poses):
        p.position.x, p.position.y = 1.0 + i, 0.5
    pubs['odom'].publish(odom)
    pubs['det'].publish(det)
    pubs['scan'].publish(scan)


def make(ros, checkpoint, **params):
    node = ros.add(
        PolicyNode(
            namespace=ros.ns,
            parameter_overrides=[
                Parameter('checkpoint', value=str(checkpoint)),
                Parameter('max_linear', value=0.25),
                Parameter('observation_timeout', value=0.3),
                *[Parameter(k, value=v) for k, v in params.items()],
            ],
        )
    )
    h = ros.helper
    pubs = {
        'scan': h.create_publisher(LaserScan, 'observation/scan', 10),
        'odom': h.create_publisher(Odometry, 'odom', 10),
        'det': h.create_publisher(PoseArray, 'detections', 10),
        'instr': h.create_publisher(String, 'instruction', LATCHED_QOS),
        'teleop': h.create_publisher(TwistStamped, 'teleop/cmd_vel', COMMAND_QOS),
    }
    out = {
        'cmd': ros.collect(Twist, 'cmd_vel', COMMAND_QOS),
        'action': ros.collect(TwistStamped, 'action', COMMAND_QOS),
        'intervention': ros.collect(Bool, 'intervention', COMMAND_QOS),
    }
    for p in pubs.values():
        ros.wait_matched(p)
    pubs['instr'].publish(String(data='go to the red pillar'))
    return node, pubs, out


def test_acts_once_per_observation_clamped_and_stamped(ros, checkpoint):
    _, pubs, out = make(ros, checkpoint)
    for sec in (1, 2, 3):
        publish_observation(pubs, sec)
        ros.spin_until(lambda: len(out['action']) >= sec, 5.0, f'action {sec}')
    assert [a.header.stamp.sec for a in out['action']] == [1, 2, 3]
    assert all(c.linear.x == pytest.approx(0.25) and abs(c.angular.z) <= 1.5 for c in out['cmd'])
    assert not any(b.data for b in out['intervention'])


def test_teleop_takes_over_and_is_marked_as_intervention(ros, checkpoint):
    _, pubs, out = make(ros, checkpoint)
    t = TwistStamped()
    t.header.stamp.sec = 7
    t.twist.linear.x, t.twist.angular.z = 0.1, -0.4
    pubs['teleop'].publish(t)
    ros.spin_until(
        lambda: out['intervention'] and out['intervention'][-1].data, 5.0, 'intervention'
    )
    assert out['cmd'][-1].linear.x == pytest.approx(0.1) and out['cmd'][
        -1
    ].angular.z == pytest.approx(-0.4)
    assert out['action'][-1].header.stamp.sec == 7
    n = len(out['cmd'])
    publish_observation(pubs, 8)  # teleop still active: the policy stays quiet
    ros.spin_for(0.2)
    assert len(out['cmd']) == n


def test_stale_observation_gives_zero_twist(ros, checkpoint):
    node, pubs, out = make(ros, checkpoint)
    publish_observation(pubs, 1)
    ros.spin_until(lambda: out['cmd'], 5.0, 'first command')
    assert out['cmd'][0].linear.x > 0
    ros.spin_until(
        lambda: len(out['cmd']) >= 2 and out['cmd'][-1].linear.x == 0.0, 3.0, 'zero twist'
    )
    diag = ros.diagnostics(node, cond=lambda d: 'error_stale_observation' in d)
    assert int(diag['error_stale_observation']) >= 1
