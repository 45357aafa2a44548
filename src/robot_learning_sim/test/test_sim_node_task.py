# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 robot_learning maintainers
"""sim_node with ``publish_task: false`` (a task_node's episodes) and ``sim/objects``."""

import math
import time

import pytest

rclpy = pytest.importorskip('rclpy')

from diagnostic_msgs.msg import DiagnosticArray  # noqa: E402, I100
from geometry_msgs.msg import PoseArray, PoseStamped, TwistStamped  # noqa: E402
from rclpy.executors import SingleThreadedExecutor  # noqa: E402
from rclpy.parameter import Parameter  # noqa: E402
from rclpy.qos import QoSProfile, ReliabilityPolicy  # noqa: E402
from robot_learning_nodes.common import COMMAND_QOS, LATCHED_QOS  # noqa: E402
from robot_learning_sim.sim_node import SimNode  # noqa: E402
from rosgraph_msgs.msg import Clock  # noqa: E402
from sensor_msgs.msg import LaserScan  # noqa: E402
from std_msgs.msg import String  # noqa: E402
from std_srvs.srv import Trigger  # noqa: E402

RELIABLE = QoSProfile(depth=200, reliability=ReliabilityPolicy.RELIABLE)


def spin_until(ex, pred, timeout, what='condition'):
    end = time.monotonic() + timeout
    while not pred():
        assert time.monotonic() < end, f'timed out waiting for {what}'
        ex.spin_once(timeout_sec=0.02)


@pytest.fixture
def rig(rclpy_context):
    ex = SingleThreadedExecutor()
    sim = SimNode(parameter_overrides=[
        Parameter('mode', value='lockstep'), Parameter('publish_task', value=False),
        Parameter('max_episode_steps', value=2), Parameter('camera_every', value=0),
        Parameter('seed', value=3), Parameter('lockstep_resend_s', value=0.3),
    ])
    probe = rclpy.create_node('task_probe')
    got = {k: [] for k in ('scan', 'episode', 'detections', 'instruction', 'goal', 'clock',
                           'red', 'order')}
    sub = probe.create_subscription
    sub(LaserScan, 'scan', lambda m: (got['scan'].append(m), got['order'].append('scan')),
        RELIABLE)
    sub(DiagnosticArray, 'episode', got['episode'].append, RELIABLE)
    sub(PoseArray, 'detections', got['detections'].append, RELIABLE)
    sub(Clock, '/clock', got['clock'].append, RELIABLE)
    sub(String, 'instruction', got['instruction'].append, LATCHED_QOS)
    sub(PoseStamped, 'sim/goal', got['goal'].append, LATCHED_QOS)
    sub(PoseStamped, 'sim/objects/red',
        lambda m: (got['red'].append(m), got['order'].append('red')), LATCHED_QOS)
    cmd = probe.create_publisher(TwistStamped, 'cmd_vel', COMMAND_QOS)
    for n in (sim, probe):
        ex.add_node(n)
    spin_until(ex, lambda: got['scan'] and got['red'] and cmd.get_subscription_count(), 10.0)
    yield ex, sim, probe, cmd, got
    for n in (sim, probe):
        ex.remove_node(n)
        n.destroy_node()
    ex.shutdown()


def test_no_task_stream_and_no_episode_end(rig):
    ex, sim, probe, cmd, got = rig
    for i in range(5):  # past max_episode_steps=2: no truncation, no autoreset
        n = len({(m.header.stamp.sec, m.header.stamp.nanosec) for m in got['scan']})
        cmd.publish(TwistStamped())
        spin_until(ex, lambda: len({(m.header.stamp.sec, m.header.stamp.nanosec)
                                    for m in got['scan']}) > n, 3.0, f'step {i + 1}')
    assert sim.world.episode == 0 and sim.world.episode_steps >= 5
    assert got['clock']  # /clock still flows
    assert not (got['episode'] or got['detections'] or got['instruction'] or got['goal'])
    red = got['red'][-1]
    assert red.header.frame_id == 'odom'
    assert (red.pose.position.x, red.pose.position.y) == pytest.approx(
        tuple(sim.world.pillars[0]))
    first_scan = min(got['scan'], key=lambda m: (m.header.stamp.sec, m.header.stamp.nanosec))
    assert red.header.stamp == first_scan.header.stamp  # the step-0 stamp


def test_reset_publishes_the_new_layout_before_step_zero(rig):
    ex, sim, probe, cmd, got = rig
    client = probe.create_client(Trigger, 'sim/reset')
    spin_until(ex, client.service_is_ready, 5.0, 'sim/reset')
    n_red, n_order = len(got['red']), len(got['order'])
    fut = client.call_async(Trigger.Request())
    spin_until(ex, fut.done, 5.0, 'reset answer')
    spin_until(ex, lambda: len(got['red']) > n_red and 'scan' in got['order'][n_order:], 5.0,
               'new layout and step 0')
    red = got['red'][-1]
    assert sim.world.episode == 1
    scans_after = [m for m in got['scan'] if m.header.stamp == red.header.stamp]
    assert scans_after  # step 0 shares the objects' stamp
    x = red.pose.position.x
    assert (math.isnan(x) and math.isnan(sim.world.pillars[0][0])) or x == pytest.approx(
        sim.world.pillars[0][0])
    assert not got['episode']
