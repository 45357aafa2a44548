"""``expert_teleop``: the scripted expert as a teleoperator (docs/interfaces.md).

Subscribes ``scan`` (LaserScan), ``odom`` (Odometry) and ``sim/goal`` (PoseStamped,
transient local); for every received scan it publishes one ``teleop/cmd_vel``
(geometry_msgs/TwistStamped, ``header.stamp`` = the scan's stamp, frame ``base_frame``)
computed by :class:`~robot_learning_sim.expert.ExpertPolicy` from the odometry of the
*same* stamp. If that odometry has not arrived yet, the scan waits for it.
"""

from __future__ import annotations

import math
from collections import OrderedDict

import numpy as np
import rclpy
from geometry_msgs.msg import PoseStamped, TwistStamped
from nav_msgs.msg import Odometry
from rcl_interfaces.msg import SetParametersResult
from rclpy.executors import ExternalShutdownException
from rclpy.node import Node
from sensor_msgs.msg import LaserScan

from robot_learning_nodes.common import COMMAND_QOS, LATCHED_QOS, SENSOR_QOS, Diagnostics, declare
from robot_learning_sim.expert import ExpertConfig, ExpertPolicy

#: Odometry kept for pairing, and scans waiting for their odometry (by stamp).
_MAX_ODOM = 200
_MAX_PENDING = 20


def _key(stamp) -> int:
    return stamp.sec * 1_000_000_000 + stamp.nanosec


class ExpertTeleop(Node):
    """Expert driver node. Parameters: ``enabled``, ``max_linear``, ``max_angular``,
    ``base_frame``."""

    def __init__(self, **kwargs):
        super().__init__('expert_teleop', **kwargs)
        self.enabled = declare(self, 'enabled', True, 'publish expert commands')
        max_lin = declare(self, 'max_linear', 0.6, 'forward speed limit, m/s')
        max_ang = declare(self, 'max_angular', 1.5, 'yaw rate limit, rad/s')
        self.base_frame = declare(self, 'base_frame', 'base_link',
                                  'frame id of the published TwistStamped')
        self.policy = ExpertPolicy(ExpertConfig(max_linear=max_lin, max_angular=max_ang))
        self.add_on_set_parameters_callback(self._on_params)
        self.diag = Diagnostics(self)
        self._pub = self.create_publisher(TwistStamped, 'teleop/cmd_vel', COMMAND_QOS)
        self.create_subscription(LaserScan, 'scan', self._on_scan, SENSOR_QOS)
        self.create_subscription(Odometry, 'odom', self._on_odom, SENSOR_QOS)
        self.create_subscription(PoseStamped, 'sim/goal', self._on_goal, LATCHED_QOS)
        self._odom: OrderedDict[int, tuple[float, float, float]] = OrderedDict()
        self._pending: OrderedDict[int, LaserScan] = OrderedDict()
        self._goal: tuple[float, float] | None = None
        self._last: tuple[int, float, float] | None = None  # stamp key, v, w
        self._geometry: tuple[float, float] | None = None
        self._msg = TwistStamped()
        self._msg.header.frame_id = self.base_frame

    def _on_params(self, params) -> SetParametersResult:
        for p in params:
            if p.name == 'enabled':
                self.enabled = bool(p.value)
            elif p.name == 'max_linear':
                self.policy.cfg.max_linear = float(p.value)
            elif p.name == 'max_angular':
                self.policy.cfg.max_angular = float(p.value)
        return SetParametersResult(successful=True)

    def _on_goal(self, msg: PoseStamped) -> None:
        goal = (msg.pose.position.x, msg.pose.position.y)
        if not all(math.isfinite(g) for g in goal):
            self.diag.error('error_bad_goal', f'non-finite goal {goal}')
            return
        if goal != self._goal:
            self._goal = goal
            self.policy.reset()  # new episode: forget the map of the previous one

    def _on_odom(self, msg: Odometry) -> None:
        k = _key(msg.header.stamp)
        p, q = msg.pose.pose.position, msg.pose.pose.orientation
        yaw = math.atan2(2.0 * (q.w * q.z + q.x * q.y), 1.0 - 2.0 * (q.y * q.y + q.z * q.z))
        self._odom[k] = (p.x, p.y, yaw)
        while len(self._odom) > _MAX_ODOM:
            self._odom.popitem(last=False)
        scan = self._pending.pop(k, None)
        if scan is not None:
            self._act(scan, self._odom[k])
        # Scans older than the newest odometry whose own odometry never came: drop them.
        for old in [s for s in self._pending if s < k]:
            del self._pending[old]
            self.diag.count('scans_without_odom')

    def _on_scan(self, msg: LaserScan) -> None:
        k = _key(msg.header.stamp)
        pose = self._odom.get(k)
        if pose is None:
            self._pending[k] = msg
            while len(self._pending) > _MAX_PENDING:
                self._pending.popitem(last=False)
                self.diag.count('scans_without_odom')
            return
        self._act(msg, pose)

    def _act(self, scan: LaserScan, pose: tuple[float, float, float]) -> None:
        if not self.enabled:
            return
        if self._goal is None:
            self.diag.count('scans_before_goal')
            return
        k = _key(scan.header.stamp)
        if self._last is not None and self._last[0] == k:
            v, w = self._last[1], self._last[2]  # a resent scan: answer it the same way
        else:
            geometry = (scan.angle_min, scan.angle_increment)
            if geometry != self._geometry:
                self.policy.set_scan_geometry(*geometry)
                self._geometry = geometry
            ranges = np.frombuffer(scan.ranges, dtype=np.float32) \
                if hasattr(scan.ranges, 'typecode') else np.asarray(scan.ranges, np.float32)
            try:
                v, w = self.policy.act(pose, self._goal, ranges)
            except Exception as e:  # never die on odd input
                self.diag.error('error_policy', f'expert failed: {e!r}')
                return
            self._last = (k, v, w)
        m = self._msg
        m.header.stamp = scan.header.stamp
        m.twist.linear.x = v
        m.twist.angular.z = w
        self._pub.publish(m)
        self.diag.count('commands')


def main(args=None) -> None:
    """Entry point ``expert_teleop``."""
    rclpy.init(args=args)
    node = None
    try:
        node = ExpertTeleop()
        rclpy.spin(node)
    except (KeyboardInterrupt, ExternalShutdownException):
        pass
    finally:
        if node is not None:
            node.destroy_node()
        if rclpy.ok():
            rclpy.shutdown()


if __name__ == '__main__':
    main()
