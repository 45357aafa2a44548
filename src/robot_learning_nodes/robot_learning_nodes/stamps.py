# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 robot_learning maintainers
"""Conversions between message stamps and float seconds."""

from builtin_interfaces.msg import Time


def stamp_to_s(stamp) -> float:
    """builtin_interfaces/Time (or rosbags Time) -> float seconds."""
    return float(stamp.sec) + 1e-9 * float(stamp.nanosec)


def s_to_stamp(t: float) -> Time:
    """Float seconds -> builtin_interfaces/Time."""
    sec = int(t // 1)
    return Time(sec=sec, nanosec=int(round((t - sec) * 1e9)) % 1_000_000_000)
