# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 robot_learning maintainers
"""The scripted expert drives the world directly (no ROS)."""

import math

import numpy as np
from robot_learning_sim.expert import ExpertConfig, ExpertPolicy
from robot_learning_sim.expert_eval import evaluate
from robot_learning_sim.world import World, WorldConfig


def test_expert_success_rate():
    stats = evaluate(World(WorldConfig(seed=3)), episodes=40, seed=2024)
    assert stats.episodes == 40
    assert stats.success_rate >= 0.9, stats
    assert stats.failures <= 1, stats  # it avoids the wrong pillars
    assert stats.mean_steps < 120, stats  # short episodes: straight when it can


def test_expert_drives_like_a_joystick_user():
    world, policy = World(WorldConfig(seed=8)), ExpertPolicy()
    cfg = policy.cfg
    for ep in range(5):
        world.reset(seed=300 + ep)
        policy.reset()
        prev = (0.0, 0.0)
        while True:
            v, w = policy.act(world.pose(), world.goal_position(), world.scan())
            assert 0.0 <= v <= cfg.max_linear and abs(w) <= cfg.max_angular
            # Acceleration limits: no jumps between consecutive commands.
            assert abs(v - prev[0]) <= cfg.accel_linear * cfg.dt + 1e-9
            assert abs(w - prev[1]) <= cfg.accel_angular * cfg.dt + 1e-9
            prev = (v, w)
            r = world.step(v, w)
            if r.terminated or r.truncated:
                break
        assert r.outcome == 'success'


def test_expert_goes_straight_in_open_space():
    world = World(WorldConfig(n_obstacles=0, seed=9))
    world.reset(seed=1)
    gx, gy = world.goal_position()
    x, y, _ = world.pose()
    policy = ExpertPolicy(ExpertConfig())
    steps = 0
    while True:
        r = world.step(*policy.act(world.pose(), (gx, gy), world.scan()))
        steps += 1
        if r.terminated or r.truncated:
            break
    dist = math.hypot(gx - x, gy - y)
    assert r.outcome == 'success'
    # Turning on the spot (<= 2.5 s with ramps) plus the straight line at ~0.55 m/s.
    assert steps * 0.1 <= 2.5 + (dist - 0.4) / 0.55


def test_expert_ignores_missing_returns():
    policy = ExpertPolicy()
    scan = np.full(360, np.inf, dtype=np.float32)
    scan[:10] = np.nan
    v, w = policy.act((0.0, 0.0, 0.0), (2.0, 0.0), scan)
    assert v > 0 and w == 0.0


def test_expert_teleop_pairs_scans_with_their_episode_and_goal(rclpy_context):
    """A new episode's first scan waits for that episode's goal (other topics, any order).

    It starts from a fresh policy state: never acts on the previous episode's goal.
    """
    from builtin_interfaces.msg import Time
    from diagnostic_msgs.msg import DiagnosticArray, DiagnosticStatus, KeyValue
    from geometry_msgs.msg import PoseStamped
    from nav_msgs.msg import Odometry
    from robot_learning_sim.expert_teleop import ExpertTeleop
    from sensor_msgs.msg import LaserScan

    node = ExpertTeleop()
    sent = []

    class Pub:
        def publish(self, m):
            sent.append((m.header.stamp.sec, m.twist.linear.x, m.twist.angular.z))

    node._pub = Pub()
    acted = []
    act = node.policy.act
    node.policy.act = lambda pose, goal, scan: acted.append(goal) or act(pose, goal, scan)
    try:

        def stamped(msg, sec):
            msg.header.stamp = Time(sec=sec)
            return msg

        def status(sec, ep, step):
            st = DiagnosticStatus(
                name='episode',
                values=[
                    KeyValue(key='episode', value=str(ep)),
                    KeyValue(key='step', value=str(step)),
                ],
            )
            return stamped(DiagnosticArray(status=[st]), sec)

        def goal(sec, x, y):
            g = stamped(PoseStamped(), sec)
            g.pose.position.x, g.pose.position.y = x, y
            return g

        def odom(sec):
            o = stamped(Odometry(), sec)
            o.pose.pose.orientation.w = 1.0
            return o

        def scan(sec):
            s = stamped(LaserScan(), sec)
            s.angle_min, s.angle_increment = -math.pi, 2 * math.pi / 360
            s.ranges = [float('inf')] * 360
            return s

        node._on_goal(goal(1, 2.0, 0.0))
        node._on_episode(status(1, 0, 0))
        node._on_scan(scan(1))
        assert sent == []  # waits for its odometry
        node._on_odom(odom(1))
        assert [s[0] for s in sent] == [1] and acted == [(2.0, 0.0)]
        for sec in (2, 3):  # the episode goes on: the robot speeds up
            node._on_episode(status(sec, 0, sec - 1))
            node._on_odom(odom(sec))
            node._on_scan(scan(sec))
        assert sent[-1][1] > 0.15
        # Episode 1 starts: its step-0 scan, odometry and status come before its goal.
        node._on_episode(status(4, 1, 0))
        node._on_scan(scan(4))
        node._on_odom(odom(4))
        assert [s[0] for s in sent] == [1, 2, 3]
        node._on_goal(goal(4, -2.0, 0.0))
        assert [s[0] for s in sent] == [1, 2, 3, 4] and acted[-1] == (-2.0, 0.0)
        assert sent[-1][1] == 0.0  # a fresh start: turning around, not carrying on at speed
        # A late scan of the finished episode is not answered; a resend is, identically.
        node._on_scan(scan(3))
        node._on_scan(scan(4))
        assert [s[0] for s in sent] == [1, 2, 3, 4, 4] and sent[-1] == sent[-2]
        assert len(acted) == 4
    finally:
        node.destroy_node()
