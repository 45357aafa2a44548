# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 robot_learning maintainers
"""The sensor messages ``sim_node`` publishes per step: odom, detections, camera, scan.

Also the ground-truth pillar poses ``sim/objects/<colour>`` (:class:`ObjectPoses`), once
per episode, as Gazebo's PosePublisher gives them through the bridge.

Pre-allocated once (frame ids are fixed at start-up) and refilled from the
:class:`~robot_learning_sim.world.World` each step, so a step costs the conversions only.
All are published with sensor-data-compatible reliable QoS, ``scan`` last (observers
trigger on it).
"""

from __future__ import annotations

import array
import math

from geometry_msgs.msg import Pose, PoseArray, PoseStamped
from nav_msgs.msg import Odometry
from rclpy.node import Node
from robot_learning_nodes.common import LATCHED_QOS, SENSOR_PUB_QOS
from robot_learning_sim.world import World
from sensor_msgs.msg import Image, LaserScan


class SimSensors:
    """Publishers and messages of the world's sensors.

    Args:
        node: owner of the publishers (``odom``, ``detections``, ``camera/image_raw``,
            ``scan``; relative names).
        world: the world whose configuration fixes the message layouts.
        frames: frame ids ``odom``, ``base``, ``scan``, ``camera``.
        detections: publish ``detections`` (False: a ``task_node`` computes them).
    """

    def __init__(
        self, node: Node, world: World, frames: dict[str, str], detections: bool = True
    ):
        cfg = world.cfg
        self._pub_odom = node.create_publisher(Odometry, 'odom', SENSOR_PUB_QOS)
        self._pub_det = (
            node.create_publisher(PoseArray, 'detections', SENSOR_PUB_QOS) if detections else None
        )
        self._pub_image = node.create_publisher(Image, 'camera/image_raw', SENSOR_PUB_QOS)
        self._pub_scan = node.create_publisher(LaserScan, 'scan', SENSOR_PUB_QOS)
        s = self._scan = LaserScan()
        s.header.frame_id = frames['scan']
        inc = 2.0 * math.pi / cfg.lidar_rays
        s.angle_min, s.angle_increment = -math.pi, inc
        s.angle_max = -math.pi + inc * (cfg.lidar_rays - 1)
        s.time_increment = 0.0  # all rays at the same instant
        s.scan_time = cfg.control_dt
        s.range_min, s.range_max = cfg.range_min, cfg.range_max
        o = self._odom = Odometry()
        o.header.frame_id = frames['odom']
        o.child_frame_id = frames['base']
        d = self._det = PoseArray()
        d.header.frame_id = frames['base']
        d.poses = [Pose() for _ in cfg.colors]
        im = self._image = Image()
        im.header.frame_id = frames['camera']
        im.height, im.width = cfg.camera_height, cfg.camera_width
        im.encoding, im.is_bigendian, im.step = 'rgb8', 0, 3 * cfg.camera_width
        self._had_image = False

    def publish(self, w: World, stamp, with_image: bool) -> None:
        """Fill every message from ``w`` at ``stamp`` and publish them (scan last)."""
        x, y, yaw = w.pose()
        v, om = w.velocity()
        o = self._odom
        o.header.stamp = stamp
        p = o.pose.pose
        p.position.x, p.position.y = x, y
        p.orientation.z, p.orientation.w = math.sin(yaw / 2.0), math.cos(yaw / 2.0)
        o.twist.twist.linear.x = v
        o.twist.twist.angular.z = om
        self._pub_odom.publish(o)

        if self._pub_det is not None:
            d = self._det
            d.header.stamp = stamp
            for pose, (dx, dy) in zip(d.poses, w.detections().tolist()):
                pose.position.x, pose.position.y = dx, dy
            self._pub_det.publish(d)

        self._had_image = with_image
        if with_image:
            im = self._image
            im.header.stamp = stamp
            # array.array is the zero-check fast path of the generated setter.
            im.data = array.array('B', w.render_camera().tobytes())
            self._pub_image.publish(im)

        s = self._scan
        s.header.stamp = stamp
        s.ranges = array.array('f', w.scan().tobytes())
        self._pub_scan.publish(s)

    def republish(self) -> None:
        """Publish the last step's messages again, unchanged (a lockstep resend)."""
        self._pub_odom.publish(self._odom)
        if self._pub_det is not None:
            self._pub_det.publish(self._det)
        if self._had_image:
            self._pub_image.publish(self._image)
        self._pub_scan.publish(self._scan)


class ObjectPoses:
    """Latched ground-truth pillar poses ``sim/objects/<colour>`` (geometry_msgs/PoseStamped).

    One topic per colour of ``cfg.colors``, in the odom frame, stamped with the episode's
    step-0 stamp; position NaN (orientation identity) when the colour is absent this
    episode. A ``task_node`` with topic goals takes a pose stamped at or after the
    previous episode's as the new layout's.

    Args:
        node: owner of the publishers.
        world: the world (its colours and pillars).
        frame: the odom frame id.
    """

    def __init__(self, node: Node, world: World, frame: str):
        self._pubs = [
            node.create_publisher(PoseStamped, f'sim/objects/{c}', LATCHED_QOS)
            for c in world.cfg.colors
        ]
        self._frame = frame

    def publish(self, w: World, stamp) -> None:
        """Publish every colour's pillar centre (x, y, z = half height) at ``stamp``."""
        z = w.cfg.pillar_height / 2.0
        for pub, (x, y) in zip(self._pubs, w.pillars.tolist()):
            m = PoseStamped()
            m.header.stamp, m.header.frame_id = stamp, self._frame
            m.pose.position.x, m.pose.position.y = x, y
            m.pose.position.z = z if math.isfinite(x) else math.nan
            m.pose.orientation.w = 1.0
            pub.publish(m)
