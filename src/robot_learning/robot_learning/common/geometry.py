# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 robot_learning maintainers
"""Planar geometry shared by the simulator, the expert and the task node (ROS-free).

Frames follow REP-103 (x forward, y left, z up; yaw counter-clockwise about z).
"""

from __future__ import annotations

import math
from typing import Sequence

import numpy as np


def yaw_from_quaternion(x: float, y: float, z: float, w: float) -> float:
    """Yaw (rad, in (-pi, pi]) about z of the unit quaternion (x, y, z, w).

    The z-y-x Euler yaw of the rotation; roll and pitch are ignored (a ground robot).
    """
    return math.atan2(2.0 * (w * z + x * y), 1.0 - 2.0 * (y * y + z * z))


def world_to_base(pose: Sequence[float], points: np.ndarray) -> np.ndarray:
    """Points of the world frame seen from a robot's base frame.

    Args:
        pose: robot (x m, y m, yaw rad) in the world frame.
        points: float (n, 2) positions (x m, y m) in the world frame; NaN rows: unknown.

    Returns:
        float32 (n, 2): (x forward m, y left m) per point; NaN rows stay NaN.
    """
    x, y, yaw = pose
    c, s = math.cos(yaw), math.sin(yaw)
    dx, dy = points[:, 0] - x, points[:, 1] - y
    return np.stack([c * dx + s * dy, -s * dx + c * dy], axis=1).astype(np.float32)
