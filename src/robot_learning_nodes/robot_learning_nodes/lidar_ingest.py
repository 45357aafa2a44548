# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 robot_learning maintainers
"""lidar_ingest: LaserScan / PointCloud2 -> a few finite range sectors.

Subscribes ``scan`` (sensor_msgs/LaserScan) and ``points`` (sensor_msgs/PointCloud2 with
float32 x, y, z) with sensor-data QoS and publishes ``observation/scan``: a LaserScan
with ``num_sectors`` finite ranges, ``angle_min = -pi``,
``angle_increment = 2 pi / num_sectors`` (``ranges[k]`` is the minimum range in
``[angle_min + k inc, angle_min + (k + 1) inc)``), sectors without a return at
``range_max``, header copied from the input (the sensor frame, REP-103 angles).
LaserScan input keeps its ``range_min``/``range_max``; PointCloud2 input uses the
parameters ``range_min``/``range_max``/``z_min``/``z_max``. See
:func:`robot_learning.data.ingest.scan_to_sectors` for the REP-117 rules.

Parameters: ``num_sectors`` is read-only (the observation size); the others apply live.
Diagnostics (``lidar_ingest: scans``): counters ``scans``, ``clouds``, ``error_scan``,
``error_points``, ``error_all_invalid`` (a scan made only of NaN: converted to all
``range_max`` but the sensor is probably broken); live ``diagnostics.scans.expected_hz``
and ``diagnostics.scans.stale_s`` (STALE after 5 s without input by default).
"""

from __future__ import annotations

import math

from rclpy.node import Node
from robot_learning.data.ingest import (
    pointcloud_msg_to_xyz,
    points_to_sectors,
    scan_all_invalid,
    scan_msg_to_sectors,
    sector_angles,
)
from robot_learning.errors import ConfigError, RobotLearningError
from sensor_msgs.msg import LaserScan, PointCloud2

from .diagnostics import Diagnostics
from .params import declare, live_parameters, pending
from .qos import SENSOR_PUB_QOS, SENSOR_QOS
from .spin import spin_node


class LidarIngest(Node):
    """LaserScan / PointCloud2 -> ``observation/scan`` (LaserScan, num_sectors rays)."""

    def __init__(self, **kwargs):
        super().__init__('lidar_ingest', **kwargs)
        self.num_sectors = int(
            declare(
                self,
                'num_sectors',
                24,
                'number of angular sectors over 360 deg',
                read_only=True,
                min_value=1,
                max_value=4096,
            )
        )
        self.discard_below_min = bool(
            declare(
                self,
                'discard_below_min',
                False,
                'LaserScan: ignore finite ranges below range_min (legacy drivers) instead of '
                'treating them as too close (REP-117 -inf)',
            )
        )
        self.range_min = declare(
            self,
            'range_min',
            0.1,
            'PointCloud2: minimum planar range kept, m',
            min_value=0.0,
            max_value=1000.0,
        )
        self.range_max = declare(
            self,
            'range_max',
            10.0,
            'PointCloud2: maximum planar range, m (empty sector)',
            min_value=0.0,
            max_value=1000.0,
        )
        self.z_min = declare(
            self,
            'z_min',
            -0.3,
            'PointCloud2: lowest point kept, m in the sensor frame',
            min_value=-1000.0,
            max_value=1000.0,
        )
        self.z_max = declare(
            self,
            'z_max',
            1.0,
            'PointCloud2: highest point kept, m in the sensor frame',
            min_value=-1000.0,
            max_value=1000.0,
        )
        self._check_limits(self.range_min, self.range_max, self.z_min, self.z_max)
        self.angle_min, self.angle_increment = sector_angles(self.num_sectors)
        self.diag = Diagnostics(self)
        self.diag.task(
            'scans',
            keys=('scans', 'clouds'),
            errors=('error_scan', 'error_points', 'error_all_invalid'),
            stale_s=5.0,
            params=True,
        )
        self.diag.set('num_sectors', self.num_sectors)
        live_parameters(
            self,
            {
                'discard_below_min': lambda v: setattr(self, 'discard_below_min', bool(v)),
                **{name: self._limit_setter(name) for name in self._LIMITS},
            },
        )
        self.pub = self.create_publisher(LaserScan, 'observation/scan', SENSOR_PUB_QOS)
        self.create_subscription(LaserScan, 'scan', self.on_scan, SENSOR_QOS)
        self.create_subscription(PointCloud2, 'points', self.on_points, SENSOR_QOS)

    _LIMITS = ('range_min', 'range_max', 'z_min', 'z_max')

    @staticmethod
    def _check_limits(range_min: float, range_max: float, z_min: float, z_max: float) -> None:
        if not range_max > range_min >= 0.0:
            raise ConfigError(
                f'lidar_ingest: range_max {range_max} must be > range_min {range_min} >= 0'
            )
        if not z_max > z_min:
            raise ConfigError(f'lidar_ingest: z_max {z_max} must be > z_min {z_min}')

    def _limit_setter(self, name: str):
        def apply(value: float) -> None:
            self._check_limits(*(value if n == name else pending(self, n) for n in self._LIMITS))
            setattr(self, name, float(value))

        return apply

    def on_scan(self, msg: LaserScan) -> None:
        """Convert one scan; errors are counted, never raised."""
        try:
            sectors = scan_msg_to_sectors(
                msg, self.num_sectors, discard_below_min=self.discard_below_min
            )
        except RobotLearningError as exc:
            self.diag.error('error_scan', f'scan: {exc}')
            return
        if scan_all_invalid(msg.ranges):
            self.diag.error(
                'error_all_invalid', f'scan: all {len(msg.ranges)} ranges are NaN (sensor broken?)'
            )
        self._publish(msg.header, sectors, msg.range_min, msg.range_max, msg.scan_time)
        self.diag.count('scans')

    def on_points(self, msg: PointCloud2) -> None:
        """Convert one point cloud; errors are counted, never raised."""
        try:
            xyz = pointcloud_msg_to_xyz(msg)
            sectors = points_to_sectors(
                xyz, self.num_sectors, self.range_min, self.range_max, self.z_min, self.z_max
            )
        except RobotLearningError as exc:
            self.diag.error('error_points', f'points: {exc}')
            return
        self._publish(msg.header, sectors, self.range_min, self.range_max, 0.0)
        self.diag.count('clouds')

    def _publish(
        self, header, sectors, range_min: float, range_max: float, scan_time: float
    ) -> None:
        out = LaserScan()
        out.header = header
        out.angle_min = self.angle_min
        out.angle_increment = self.angle_increment
        out.angle_max = self.angle_min + (self.num_sectors - 1) * self.angle_increment
        out.time_increment = 0.0
        out.scan_time = float(scan_time) if math.isfinite(scan_time) else 0.0
        out.range_min = float(range_min)
        out.range_max = float(range_max)
        out.ranges = sectors  # float32 ndarray: fast path of the rclpy setter
        self.pub.publish(out)


def main(args=None) -> None:
    """Entry point ``lidar_ingest``."""
    spin_node(LidarIngest, args)


if __name__ == '__main__':
    main()
