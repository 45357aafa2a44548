# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 robot_learning maintainers
"""Policy node over real topics: commands, teleop, the safety layer and its parameters."""

import math
import time

from geometry_msgs.msg import Twist, TwistStamped
import numpy as np
from policy_support import actor_weights, make, observe, publish_observation, sac_metadata
from policy_support import stamp_s, teleop, vel
import pytest
from rclpy.parameter import Parameter
from robot_learning.common.checkpoint import save_checkpoint, weights_to_bytes
from robot_learning.errors import ConfigError
from robot_learning_nodes.policy_node import PolicyNode
from robot_learning_nodes.qos import LATCHED_QOS
from std_msgs.msg import Bool, UInt8MultiArray
from std_srvs.srv import SetBool


@pytest.fixture
def checkpoint(tmp_path):
    """Save a policy that always wants full speed ahead."""
    return save_checkpoint(tmp_path / 'ckpt', actor_weights(3.0), sac_metadata())


@pytest.fixture
def reverse_checkpoint(tmp_path):
    """Save a policy that always wants full reverse (training: linear -0.3..0.6 m/s)."""
    return save_checkpoint(tmp_path / 'rev', actor_weights(-20.0), sac_metadata())


def test_twist_stamped_by_default_one_per_observation(ros, checkpoint):
    _, pubs, out = make(ros, checkpoint)
    for sec in (1, 2, 3):
        observe(ros, pubs, out, sec)
    assert [a.header.stamp.sec for a in out['action']] == [1, 2, 3]
    assert len(out['cmd']) == 3
    for c in out['cmd']:
        assert isinstance(c, TwistStamped) and c.header.frame_id == 'base_link'
        assert abs(stamp_s(c) - time.time()) < 60.0  # stamped with the node clock when sent
        assert vel(c)[0] == pytest.approx(0.25) and abs(vel(c)[1]) <= 1.5
    assert not any(b.data for b in out['intervention'])


def test_plain_twist_on_request(ros, checkpoint):
    _, pubs, out = make(ros, checkpoint, command_type='twist')
    observe(ros, pubs, out, 1)
    ros.spin_until(lambda: out['cmd'], 5.0, 'Twist on cmd_vel')
    assert isinstance(out['cmd'][0], Twist) and out['cmd'][0].linear.x == pytest.approx(0.25)


def test_unknown_command_type_and_out_of_range_start_values_are_one_line(ros, checkpoint):
    for params, match in (
        ({'command_type': 'twist_stampd'}, "command_type 'twist_stampd' must be one of"),
        ({'max_linear': -1.0}, 'max_linear.*out of range'),
        ({'command_rate': 0.0}, 'command_rate.*out of range'),
    ):
        with pytest.raises(ConfigError, match=match) as info:
            PolicyNode(
                namespace=ros.ns,
                parameter_overrides=[Parameter(k, value=v) for k, v in params.items()],
            )
        assert '\n' not in str(info.value)


def test_teleop_plain_twist_by_default_takes_over_as_intervention(ros, checkpoint):
    _, pubs, out = make(ros, checkpoint)
    observe(ros, pubs, out, 4)
    teleop(pubs, 0.1, -0.4)  # teleop_twist_joy's default message
    ros.spin_until(lambda: out['intervention'] and out['intervention'][-1].data, 5.0, 'teleop')
    assert vel(out['cmd'][-1]) == (pytest.approx(0.1), pytest.approx(-0.4))
    assert out['action'][-1].header.stamp.sec == 4  # an unstamped teleop answers the newest
    n = len(out['cmd'])
    publish_observation(pubs, 5)  # teleop still active: the policy stays quiet
    ros.spin_for(0.2)
    assert len(out['cmd']) == n


def test_teleop_twist_stamped_option(ros, checkpoint):
    _, pubs, out = make(ros, checkpoint, teleop_type=TwistStamped)
    msg = TwistStamped()
    msg.header.stamp.sec = 7
    msg.twist.linear.x, msg.twist.angular.z = 0.1, -0.4
    pubs['teleop'].publish(msg)
    ros.spin_until(lambda: out['intervention'] and out['intervention'][-1].data, 5.0, 'teleop')
    assert vel(out['cmd'][-1]) == (pytest.approx(0.1), pytest.approx(-0.4))
    assert out['action'][-1].header.stamp.sec == 7


def test_reverse_bound_comes_from_the_checkpoint_and_tightens_live(ros, reverse_checkpoint):
    node, pubs, out = make(ros, reverse_checkpoint, max_linear=0.6)
    assert node.get_parameter('min_linear').value == -0.6  # wider than training ...
    observe(ros, pubs, out, 1)
    assert vel(out['cmd'][-1])[0] == pytest.approx(-0.3)  # ... so training's -0.3 holds
    (r,) = ros.set_params(node, min_linear=-0.1)
    assert r.successful
    observe(ros, pubs, out, 2)
    assert vel(out['cmd'][-1])[0] == pytest.approx(-0.1)


def test_acceleration_and_deceleration_limits_use_the_time_between_commands(ros):
    accel, decel = 0.5, 2.0
    _, pubs, out = make(
        ros, None, max_linear=0.6, max_linear_accel=accel, max_linear_decel=decel,
        observation_timeout=5.0, teleop_timeout=5.0,
    )

    def drive(v, until):
        while True:
            n = len(out['cmd'])
            teleop(pubs, v, 0.0)
            ros.spin_until(lambda: len(out['cmd']) > n, 5.0, 'teleop command')
            ros.spin_for(0.03)
            if until(vel(out['cmd'][-1])[0]):
                return

    drive(0.6, lambda v: v >= 0.3)
    n_up = len(out['cmd'])
    drive(0.0, lambda v: v == 0.0)
    speeds = [vel(c)[0] for c in out['cmd']]
    stamps = [stamp_s(c) for c in out['cmd']]
    # First command: from standstill over one nominal period (1 / command_rate = 0.1 s).
    assert speeds[0] == pytest.approx(accel * 0.1)
    slack = 0.005  # the limiter reads the clock just before the stamp is taken
    for k in range(1, len(speeds)):
        dv, dt = speeds[k] - speeds[k - 1], stamps[k] - stamps[k - 1]
        assert dv <= accel * (dt + slack) + 1e-9, (k, dv, dt)
        assert -dv <= decel * (dt + slack) + 1e-9, (k, dv, dt)
    # Braking from 0.3 m/s at 2 m/s^2 takes a quarter of the time of speeding up to it.
    assert stamps[-1] - stamps[n_up - 1] < 0.5 * (stamps[n_up - 1] - stamps[0])


def test_e_stop_latches_zero_through_a_flood_until_released(ros, checkpoint):
    node, pubs, out = make(ros, checkpoint, teleop_type=TwistStamped, command_rate=20.0)
    observe(ros, pubs, out, 1)
    assert vel(out['cmd'][-1])[0] > 0
    for i in range(2000):  # a flood of e-stop messages
        pubs['e_stop'].publish(Bool(data=True))
        if i % 10 == 0:
            ros.executor.spin_once(timeout_sec=0.0)
    ros.spin_until(lambda: vel(out['cmd'][-1]) == (0.0, 0.0), 5.0, 'zero command')
    for sec in (2, 3):
        assert vel(observe(ros, pubs, out, sec)) == (0.0, 0.0)  # answered with zero
    teleop(pubs, 0.2, 0.0, stamped=True)  # the e-stop stops the human too
    n = len(out['cmd'])
    ros.spin_until(lambda: len(out['cmd']) >= n + 5, 5.0, 'zero commands at the command rate')
    assert all(vel(c) == (0.0, 0.0) for c in out['cmd'][n - 1:])
    # Reliable keep-last delivers the newest of a flood; how many before it is up to DDS.
    d = ros.diagnostics(node, cond=lambda d: int(d.get('teleop_blocked', 0)) >= 1)
    assert int(d['e_stop_messages']) >= 1
    assert d['stopped'] == 'e_stop'
    assert d['_level policy_node: safety'] == '2' and 'e-stop' in d['_message policy_node: safety']
    pubs['e_stop'].publish(Bool(data=False))
    ros.diagnostics(node, cond=lambda d: d['stopped'] != 'e_stop')  # released (now stale)
    assert vel(observe(ros, pubs, out, 4))[0] == pytest.approx(0.25)


def test_enable_service_stops_the_policy_but_not_the_human(ros, checkpoint):
    node, pubs, out = make(ros, checkpoint, teleop_timeout=0.2)
    observe(ros, pubs, out, 1)
    res = ros.call(SetBool, 'enable', SetBool.Request(data=False))
    assert res.success and 'disabled' in res.message
    assert vel(out['cmd'][-1]) == (0.0, 0.0)  # zero at once
    assert vel(observe(ros, pubs, out, 2)) == (0.0, 0.0)
    teleop(pubs, 0.1, 0.0)
    ros.spin_until(lambda: vel(out['cmd'][-1])[0] == pytest.approx(0.1), 5.0, 'teleop')
    assert ros.call(SetBool, 'enable', SetBool.Request(data=True)).success
    ros.spin_until(lambda: not node._teleop_active(), 5.0, 'teleop timeout')
    assert vel(observe(ros, pubs, out, 3))[0] == pytest.approx(0.25)


def test_zero_commands_at_the_command_rate_while_observations_are_stale(ros, checkpoint):
    node, pubs, out = make(ros, checkpoint, command_rate=20.0)
    observe(ros, pubs, out, 1)
    ros.spin_until(lambda: len(out['cmd']) >= 8, 5.0, 'a stream of zero commands')
    zeros = out['cmd'][1:]
    assert all(vel(c) == (0.0, 0.0) for c in zeros)
    gaps = np.diff([stamp_s(c) for c in zeros])
    assert gaps.min() > 0.5 / 20.0  # a stream at the command rate, not a burst
    assert len(out['action']) == 1  # streamed zeros answer no observation
    d = ros.diagnostics(node, cond=lambda d: 'error_stale_observation' in d)
    assert d['error_stale_observation'] == '1'  # one error per stale period, not per zero
    assert d['stopped'] == 'stale'
    observe(ros, pubs, out, 2)  # fresh again: the policy drives
    assert vel(out['cmd'][-1])[0] == pytest.approx(0.25)


def test_nonfinite_weights_are_refused_and_the_last_good_policy_keeps_acting(ros):
    node, pubs, out = make(ros, None)
    wpub = ros.helper.create_publisher(UInt8MultiArray, 'policy/weights', LATCHED_QOS)
    good = actor_weights(3.0)
    wpub.publish(UInt8MultiArray(data=weights_to_bytes(good, sac_metadata(version=1))))
    ros.spin_until(lambda: node.policy is not None, 5.0, 'weights v1')
    bad = {k: v.clone() for k, v in good.items()}
    next(iter(bad.values())).view(-1)[0] = math.nan
    wpub.publish(UInt8MultiArray(data=weights_to_bytes(bad, sac_metadata(version=2))))
    d = ros.diagnostics(node, cond=lambda d: 'error_weights_nonfinite' in d)
    assert d['error_weights_nonfinite'] == '1' and d['weights_version'] == '1'
    wpub.publish(UInt8MultiArray(data=b'\x00garbled'))
    ros.diagnostics(node, cond=lambda d: 'error_weights' in d)
    assert node.policy.version == 1
    assert vel(observe(ros, pubs, out, 1))[0] == pytest.approx(0.25)


def test_parameters_have_ranges_live_sets_and_read_only_refusals(ros, checkpoint):
    node, pubs, out = make(ros, checkpoint)
    desc = node.describe_parameter('max_linear')
    assert desc.floating_point_range[0].to_value == 10.0 and not desc.read_only
    (r,) = ros.set_params(node, max_linear=20.0)
    assert not r.successful and 'out of range' in r.reason
    assert node.get_parameter('max_linear').value == 0.25
    (r,) = ros.set_params(node, command_type='twist')
    assert not r.successful and 'read-only' in r.reason
    assert node.get_parameter('command_type').value == 'twist_stamped'
    (r,) = ros.set_params(node, observation_timeout=0.0)
    assert not r.successful and node.obs_timeout == 0.3
    results = ros.set_params(node, max_linear=0.1, deterministic=False, observation_timeout=2.0)
    assert all(r.successful for r in results)
    assert node.obs_timeout == 2.0 and node.deterministic is False
    assert vel(observe(ros, pubs, out, 1))[0] == pytest.approx(0.1)
