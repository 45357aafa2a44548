# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 robot_learning maintainers
"""Policy node with joint commands over real topics: effort zeroes on a stop, position stops."""

from rclpy.parameter import Parameter
from robot_learning.common.checkpoint import save_checkpoint
from robot_learning.common.networks import SquashedGaussianActor
from robot_learning.policy import ACTOR_PREFIX, policy_metadata
from robot_learning_nodes.policy_node import PolicyNode
from robot_learning_nodes.qos import COMMAND_QOS
from std_msgs.msg import Bool
from std_srvs.srv import SetBool
import torch


def _joint_node(ros, tmp_path, interface='effort', **params):
    from robot_learning.common.features import JointActionConfig, VectorObservationConfig

    obs = VectorObservationConfig(dim=3, names=('cos', 'sin', 'thetadot'))
    act = JointActionConfig(low=(-2.0,), high=(2.0,), names=('hinge',))
    actor = SquashedGaussianActor(obs.dim, act.dim, (16, 16))
    with torch.no_grad():
        for p in actor.parameters():
            p.zero_()
        [m for m in actor.net.modules() if isinstance(m, torch.nn.Linear)][-1].bias[0] = 3.0
    ckpt = save_checkpoint(
        tmp_path / 'joint',
        {ACTOR_PREFIX + k: v for k, v in actor.state_dict().items()},
        policy_metadata(obs, act, (16, 16), 'sac'),
    )
    values = {
        'checkpoint': str(ckpt),
        'observation_type': 'joint_state',
        'command_type': 'float64_multi_array',
        'command_interface': interface,
        'observation_timeout': 0.3,
        'command_rate': 20.0,
        **params,
    }
    node = ros.add(
        PolicyNode(
            namespace=ros.ns,
            parameter_overrides=[Parameter(k, value=v) for k, v in values.items()],
        )
    )
    from sensor_msgs.msg import JointState
    from std_msgs.msg import Float64MultiArray

    out = {
        'cmd': ros.collect(Float64MultiArray, 'commands', COMMAND_QOS),
        'echo': ros.collect(JointState, 'joint_action', COMMAND_QOS),
    }
    pubs = {
        'joints': ros.helper.create_publisher(JointState, 'joint_states', 100),
        'e_stop': ros.helper.create_publisher(Bool, 'e_stop', COMMAND_QOS),
    }
    for p in pubs.values():
        ros.wait_matched(p)

    def step(sec):
        js = JointState()
        js.header.stamp.sec = sec
        js.name, js.position = ['a', 'b', 'c'], [1.0, 0.0, 0.5]
        return ros.send_until_output(pubs['joints'], js, out['echo'], sec)

    return node, pubs, out, step


def test_joint_effort_commands_zero_on_e_stop_disable_and_stale(ros, tmp_path):
    node, pubs, out, step = _joint_node(ros, tmp_path)
    assert step(1).effort[0] > 1.0
    pubs['e_stop'].publish(Bool(data=True))
    ros.spin_until(lambda: node.gate.e_stop, 5.0, 'e-stop')
    assert list(step(2).effort) == [0.0] and list(out['cmd'][-1].data) == [0.0]
    pubs['e_stop'].publish(Bool(data=False))
    ros.spin_until(lambda: not node.gate.e_stop, 5.0, 'release')
    assert ros.call(SetBool, 'enable', SetBool.Request(data=False)).success
    assert list(step(3).effort) == [0.0]
    assert ros.call(SetBool, 'enable', SetBool.Request(data=True)).success
    assert step(4).effort[0] > 1.0
    n = len(out['cmd'])  # stale now: zeros stream on commands, none echoed
    ros.spin_until(lambda: len(out['cmd']) >= n + 5, 5.0, 'zero commands while stale')
    assert all(list(c.data) == [0.0] for c in out['cmd'][n:])
    assert [e.header.stamp.sec for e in out['echo']][-1] == 4


def test_joint_position_commands_stop_instead_of_zero(ros, tmp_path):
    node, pubs, out, step = _joint_node(ros, tmp_path, interface='position')
    step(1)
    n = len(out['cmd'])
    pubs['e_stop'].publish(Bool(data=True))
    ros.spin_until(lambda: node.gate.e_stop, 5.0, 'e-stop')
    from sensor_msgs.msg import JointState

    for sec in (1, 2):  # a lockstep resend of the answered step, and a new step
        js = JointState()
        js.header.stamp.sec = sec
        js.name, js.position = ['a', 'b', 'c'], [1.0, 0.0, 0.5]
        pubs['joints'].publish(js)
    ros.spin_until(lambda: node._last_obs_stamp == 2_000_000, 5.0, 'step 2 seen')
    ros.spin_for(0.2)
    assert len(out['cmd']) == n  # a zero position would move the joints: nothing is sent
