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


def test_task_node_dense_reward_matches_the_sims(rclpy_context, tmp_path):
    """sim_node's own stream next to task_node's on the same steps: same rewards and ends.

    task_node listens to the raw ``scan`` and ``odom`` and to ``sim/objects``; its outputs
    are remapped beside the sim's. The sim's reward also has the collision term (-0.5 per
    touching step), which task_node leaves out.
    """
    from pathlib import Path

    from robot_learning.common.features import step_info_from_msg
    from robot_learning_nodes.task_node import TaskNode

    task_file = Path(__file__).resolve().parents[3] / 'config' / 'tasks' / 'builtin_world.yaml'
    ex = SingleThreadedExecutor()
    sim = SimNode(parameter_overrides=[
        Parameter('mode', value='lockstep'), Parameter('camera_every', value=0),
        Parameter('seed', value=5), Parameter('lockstep_resend_s', value=0.2),
        Parameter('max_episode_steps', value=120), Parameter('autoreset', value=False),
    ])
    remaps = ['episode:=task/episode', 'detections:=task/detections',
              'instruction:=task/instruction', 'observation/scan:=scan']
    task = TaskNode(
        cli_args=['--ros-args'] + [a for r in remaps for a in ('-r', r)],
        parameter_overrides=[
            Parameter('task_file', value=str(task_file)),
            Parameter('goal', value=sim.world.goal_color),
            Parameter('max_steps', value=120), Parameter('autoreset', value=False),
        ])
    probe = rclpy.create_node('compare_probe')
    sim_st, task_st = {}, {}

    def keep(store):
        def on(msg):
            info = step_info_from_msg(msg)
            store[info.stamp] = info
        return on

    probe.create_subscription(DiagnosticArray, 'episode', keep(sim_st), RELIABLE)
    probe.create_subscription(DiagnosticArray, 'task/episode', keep(task_st), RELIABLE)
    cmd = probe.create_publisher(TwistStamped, 'cmd_vel', COMMAND_QOS)
    nodes = (sim, task, probe)
    for n in nodes:
        ex.add_node(n)
    try:
        spin_until(ex, lambda: task.tracker.episode == 0 and cmd.get_subscription_count(),
                   10.0, 'task_node step 0')
        w = sim.world
        while w.outcome == 'running' and w.episode_steps < 120:
            x, y, yaw = w.pose()
            gx, gy = w.goal_position()
            err = math.atan2(math.sin(math.atan2(gy - y, gx - x) - yaw),
                             math.cos(math.atan2(gy - y, gx - x) - yaw))
            m = TwistStamped()
            m.twist.linear.x = 0.4 if abs(err) < 0.6 else 0.0
            m.twist.angular.z = max(-1.5, min(1.5, 2.0 * err))
            n = w.episode_steps
            cmd.publish(m)
            spin_until(ex, lambda: w.episode_steps > n, 3.0, 'a sim step')
        spin_until(ex, lambda: any(i.terminated or i.truncated for i in sim_st.values()), 5.0,
                   "the sim's terminal status")
        last = max(sim_st)
        spin_until(ex, lambda: last in task_st, 5.0, "task_node's last step")
    finally:
        for n in nodes:
            ex.remove_node(n)
            n.destroy_node()
        ex.shutdown()
    common = sorted(set(sim_st) & set(task_st))
    assert len(common) >= 10 and common[-1] == last
    for s in common:
        a, b = sim_st[s], task_st[s]
        diff = a.reward - b.reward
        assert abs(diff) < 1e-4 or abs(diff + 0.5) < 1e-4, (s, a, b)  # collision term only
        assert (a.step, a.terminated, a.truncated, a.outcome) == (
            b.step, b.terminated, b.truncated, b.outcome), (a, b)
        assert a.prev_stamp == b.prev_stamp and a.instruction == b.instruction
    assert sim_st[last].outcome in ('success', 'failure', 'timeout')
