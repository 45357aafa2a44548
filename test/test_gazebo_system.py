# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 robot_learning maintainers
"""Our side of ``gazebo_deploy`` runs on what ros_gz_bridge would publish.

Gazebo cannot run here, so a probe node stands in for the bridge of config/gz_bridge.yaml:
it publishes ``/clock``, ``odom`` (ground truth at the exported start pose) and a
Gazebo-shaped ``scan`` (360 rays from -pi, +inf without a return) with sim-time stamps, and
subscribes ``cmd_vel`` as plain ``geometry_msgs/Twist``, the type the bridge hands to
DiffDrive. ``robot-learning up gazebo_deploy`` (with the exported task file) must answer:
task_node publishes the instruction and detections of the exported goals, and policy_node
drives with Twist commands (a TwistStamped publisher would never match the Twist
subscription).
"""

import math

from launch_support import fresh_domain, launch_available, Probe, tiny_navigation_checkpoint
import pytest
from robot_learning_sim.world_sdf import export_world

pytestmark = pytest.mark.skipif(
    not launch_available(), reason='launch_ros not importable (make test-deps installs it)'
)

STEP_S = 0.1  # the exported sensors' period (1 / control_dt)


class FakeBridge:
    """Publishes clock, odom and scan as the bridge would; records cmd_vel (Twist)."""

    def __init__(self, probe: Probe, start):
        from geometry_msgs.msg import PoseArray, Twist
        from nav_msgs.msg import Odometry
        from rclpy.qos import DurabilityPolicy, QoSProfile, ReliabilityPolicy
        from rosgraph_msgs.msg import Clock
        from sensor_msgs.msg import LaserScan
        from std_msgs.msg import String

        node = self.node = probe.node
        self.start, self.t = start, 1.0
        self.commands, self.instructions, self.detections = [], [], []
        # ros_gz_bridge's publishers: reliable, volatile, depth 10.
        qos = QoSProfile(depth=10, reliability=ReliabilityPolicy.RELIABLE)
        self.clock = node.create_publisher(Clock, '/clock', qos)
        self.odom = node.create_publisher(Odometry, 'odom', qos)
        self.scan = node.create_publisher(LaserScan, 'scan', qos)
        node.create_subscription(Twist, 'cmd_vel', self.commands.append, qos)
        latched = QoSProfile(depth=1, reliability=ReliabilityPolicy.RELIABLE,
                             durability=DurabilityPolicy.TRANSIENT_LOCAL)
        node.create_subscription(String, 'instruction', self.instructions.append, latched)
        node.create_subscription(PoseArray, 'detections', self.detections.append, 10)
        self._types = (Clock, Odometry, LaserScan)
        node.create_timer(0.05, self.tick)

    def tick(self) -> None:
        """One sensor period of sim time: /clock, then odom and scan stamped with it."""
        Clock, Odometry, LaserScan = self._types
        self.t += STEP_S
        stamp = Clock()
        stamp.clock.sec, stamp.clock.nanosec = int(self.t), int(round(self.t % 1 * 1e9))
        self.clock.publish(stamp)
        x, y, yaw = self.start
        odom = Odometry()
        odom.header.stamp, odom.header.frame_id = stamp.clock, 'odom'
        odom.child_frame_id = 'base_link'
        odom.pose.pose.position.x, odom.pose.pose.position.y = x, y
        odom.pose.pose.orientation.z, odom.pose.pose.orientation.w = (
            math.sin(yaw / 2), math.cos(yaw / 2))
        self.odom.publish(odom)
        scan = LaserScan()
        scan.header.stamp, scan.header.frame_id = stamp.clock, 'base_scan'
        scan.angle_min, scan.angle_increment = -math.pi, 2 * math.pi / 360
        scan.angle_max = math.pi - scan.angle_increment
        scan.range_min, scan.range_max = 0.12, 3.5
        scan.ranges = [2.0 if i % 4 else math.inf for i in range(360)]
        self.scan.publish(scan)


def test_gazebo_deploy_nodes_drive_on_bridge_shaped_topics(tmp_path):
    from robot_learning_bringup.launcher import ProfileProcesses

    world = export_world(tmp_path / 'gazebo_world', seed=0)
    x, y, yaw = world.layout.start
    ckpt = tiny_navigation_checkpoint(tmp_path / 'ckpt')
    domain = fresh_domain()
    probe = Probe(domain)
    bridge = FakeBridge(probe, (x, y, yaw))
    procs = ProfileProcesses(
        'gazebo_deploy',
        [f'task_node.task_file={world.task}'],
        log_dir=tmp_path / 'up',
        env={'ROS_DOMAIN_ID': str(domain)},
        checkpoint=str(ckpt),
    )
    try:
        probe.wait_for(lambda: bridge.instructions, 120, 'task_node instruction')
        assert bridge.instructions[-1].data in {
            f'go to the {c} pillar' for c in world.layout.pillars}
        det = probe.wait_for(
            lambda: [d for d in bridge.detections
                     if d.poses and all(math.isfinite(p.position.x) for p in d.poses)],
            60, 'detections of the exported goals')[-1]
        # The first goal in the robot frame, from the exported positions and the odom pose.
        gx, gy = next(iter(world.layout.pillars.values()))
        c, s = math.cos(yaw), math.sin(yaw)
        want = (c * (gx - x) + s * (gy - y), -s * (gx - x) + c * (gy - y))
        got = (det.poses[0].position.x, det.poses[0].position.y)
        assert got == pytest.approx(want, abs=1e-3)
        probe.wait_for(lambda: any(abs(m.linear.x) + abs(m.angular.z) > 0
                                   for m in bridge.commands), 60, 'a nonzero Twist on cmd_vel')
        assert not procs.failed(), procs.failed()
        codes = procs.stop()
        assert all(code == 0 for code in codes.values()), codes
    except AssertionError as exc:
        logs = '\n'.join(p.read_text()[-1500:] for p in sorted((tmp_path / 'up').glob('*.log')))
        raise AssertionError(f'{exc}\n--- up logs ---\n{logs}') from None
    finally:
        procs.stop()
        probe.close()
