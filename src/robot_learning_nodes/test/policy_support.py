# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 robot_learning maintainers
"""Shared helpers of the policy node tests: constant actors, a node with its topics."""

from geometry_msgs.msg import Pose, PoseArray, Twist, TwistStamped
from nav_msgs.msg import Odometry
import numpy as np
from rclpy.parameter import Parameter
from robot_learning.common.features import ActionConfig, ObservationConfig
from robot_learning.common.networks import SquashedGaussianActor
from robot_learning.policy import ACTOR_PREFIX, policy_metadata
from robot_learning_nodes.policy_node import PolicyNode
from robot_learning_nodes.qos import COMMAND_QOS, LATCHED_QOS
from sensor_msgs.msg import LaserScan
from std_msgs.msg import Bool, String
import torch


def actor_weights(speed_bias: float):
    obs = ObservationConfig()
    actor = SquashedGaussianActor(obs.dim, 2, (32, 32))
    with torch.no_grad():  # a constant policy: tanh(bias) ~ +-1 on both action dims
        for p in actor.parameters():
            p.zero_()
        last = [m for m in actor.net.modules() if isinstance(m, torch.nn.Linear)][-1]
        last.bias[:2] = speed_bias
    return {ACTOR_PREFIX + k: v for k, v in actor.state_dict().items()}


def sac_metadata(**extra):
    return policy_metadata(ObservationConfig(), ActionConfig(), (32, 32), 'sac', **extra)


def vel(msg) -> tuple[float, float]:
    t = msg.twist if isinstance(msg, TwistStamped) else msg
    return t.linear.x, t.angular.z


def stamp_s(msg) -> float:
    return msg.header.stamp.sec + 1e-9 * msg.header.stamp.nanosec


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


def make(ros, checkpoint, teleop_type=Twist, **params):
    values = {'checkpoint': str(checkpoint or ''), 'max_linear': 0.25, 'observation_timeout': 0.3}
    if teleop_type is TwistStamped:
        values['teleop_stamped'] = True
    values.update(params)
    node = ros.add(
        PolicyNode(
            namespace=ros.ns,
            parameter_overrides=[Parameter(k, value=v) for k, v in values.items()],
        )
    )
    h = ros.helper
    pubs = {
        'scan': h.create_publisher(LaserScan, 'observation/scan', 10),
        'odom': h.create_publisher(Odometry, 'odom', 10),
        'det': h.create_publisher(PoseArray, 'detections', 10),
        'instr': h.create_publisher(String, 'instruction', LATCHED_QOS),
        'teleop': h.create_publisher(teleop_type, 'teleop/cmd_vel', COMMAND_QOS),
        'e_stop': h.create_publisher(Bool, 'e_stop', COMMAND_QOS),
    }
    cmd_type = Twist if values.get('command_type') == 'twist' else TwistStamped
    out = {
        'cmd': ros.collect(cmd_type, 'cmd_vel', COMMAND_QOS),
        'action': ros.collect(TwistStamped, 'action', COMMAND_QOS),
        'intervention': ros.collect(Bool, 'intervention', COMMAND_QOS),
    }
    for p in pubs.values():
        ros.wait_matched(p)
    pubs['instr'].publish(String(data='go to the red pillar'))
    return node, pubs, out


def observe(ros, pubs, out, sec):
    """Publish observation ``sec`` and return the ``action`` that answers it."""
    publish_observation(pubs, sec)
    return ros.spin_until(
        lambda: next((a for a in out['action'] if a.header.stamp.sec == sec), None),
        5.0,
        f'action {sec}',
    )


def teleop(pubs, v, w, stamped=False):
    msg = TwistStamped() if stamped else Twist()
    t = msg.twist if stamped else msg
    t.linear.x, t.angular.z = v, w
    pubs['teleop'].publish(msg)
    return msg


def bc_lowdim_checkpoint(path, dropout: float = 0.3):
    """Save an untrained low-dimensional BC policy (LiDAR + detections) with dropout."""
    from types import SimpleNamespace

    from robot_learning.algos.bc import BCConfig, BCTrainer

    obs, n = ObservationConfig(), 12
    rng = np.random.default_rng(0)
    frames = {
        'sectors': rng.uniform(0.5, 3.0, (n, obs.num_sectors)).astype(np.float32),
        'velocity': np.zeros((n, 2), np.float32),
        'detections': rng.uniform(-2.0, 2.0, (n, len(obs.colors), 2)).astype(np.float32),
        'instruction': np.zeros(n, np.int64),
        'prev': np.maximum(np.arange(n) - 1, 0),
    }
    trans = {
        'obs': np.arange(n - 1),
        'action': rng.uniform(-1, 1, (n - 1, 2)).astype(np.float32),
        'episode': np.zeros(n - 1, np.int64),
    }
    data = SimpleNamespace(frames=frames, transitions=trans,
                           instructions=['go to the red pillar'])
    cfg = BCConfig.lowdim(dropout=dropout, hidden=(32,), lowdim_hidden=(32,))
    return BCTrainer(data, cfg, obs, ActionConfig(), np.arange(n - 1)).save(path)
