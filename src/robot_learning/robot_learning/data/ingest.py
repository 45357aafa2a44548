# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 robot_learning maintainers
"""Sensor message -> numpy conversion for camera and LiDAR (ROS-free): the public names.

The conversions live by sensor: :mod:`robot_learning.data.image_convert` (``Image``,
``CompressedImage``; REP-118 depth) and :mod:`robot_learning.data.scan_convert`
(``LaserScan``, ``PointCloud2``; REP-117 ranges, REP-103 angles). This module gathers
their public names, so ``from robot_learning.data.ingest import scan_to_sectors`` keeps
working. Nothing here imports rclpy.
"""

from robot_learning.data.image_convert import (
    compressed_msg_to_rgb,
    compressed_to_rgb,
    DEFAULT_DEPTH_RANGE,
    depth_to_u8,
    IMAGE_ENCODINGS,
    image_msg_to_rgb,
    image_to_array,
    image_to_rgb,
    resize_rgb,
)
from robot_learning.data.scan_convert import (
    ANGLE_TOL,
    pointcloud_msg_to_xyz,
    pointcloud_to_xyz,
    points_to_sectors,
    scan_all_invalid,
    scan_msg_to_sectors,
    scan_to_sectors,
    sector_angles,
)

__all__ = [
    'ANGLE_TOL',
    'DEFAULT_DEPTH_RANGE',
    'IMAGE_ENCODINGS',
    'image_to_array',
    'image_to_rgb',
    'image_msg_to_rgb',
    'depth_to_u8',
    'compressed_to_rgb',
    'compressed_msg_to_rgb',
    'resize_rgb',
    'scan_to_sectors',
    'scan_msg_to_sectors',
    'scan_all_invalid',
    'sector_angles',
    'pointcloud_to_xyz',
    'pointcloud_msg_to_xyz',
    'points_to_sectors',
]
