# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 robot_learning maintainers
"""Tuning of the scripted expert (:class:`ExpertConfig`) and its angle helper (ROS-free)."""

from __future__ import annotations

import dataclasses
import math

import numpy as np


def _wrap(a):
    """Wrap angle(s) to [-pi, pi)."""
    return (np.asarray(a) + np.pi) % (2 * np.pi) - np.pi


@dataclasses.dataclass
class ExpertConfig:
    """Expert tuning. Lengths in m, angles in rad, speeds in m/s and rad/s."""

    max_linear: float = 0.6
    """Forward speed limit, m/s."""
    max_angular: float = 1.5
    """Yaw rate limit, rad/s."""
    clearance: float = 0.36
    """Distance kept between the robot centre and any scan return when choosing a
    heading, m (0.36 from a pillar surface is 0.44 from its centre)."""
    hard_clearance: float = 0.22
    """Closer than this (robot radius + margin) straight ahead: stop driving forward, m."""
    lookahead: float = 1.0
    """Farthest point of the planned path to aim at, m."""
    local_check: float = 0.5
    """The aimed-at direction must be free for this far (or up to the aim point), m."""
    map_resolution: float = 0.1
    """Cell size of the episode's occupancy grid, m."""
    map_cells: int = 80
    """Grid side in cells (centred between the start and the goal)."""
    lethal_radius: float = 0.4
    """Cells this close to a scan return are (nearly) impassable for the planner, m."""
    lethal_cost: float = 50.0
    """Extra traversal cost of a lethal cell (finite so a robot inside one gets out)."""
    soft_costs: tuple = ((0.5, 4.0), (0.6, 2.0), (0.7, 0.5))
    """(radius m, extra cost) rings that keep the planned path away from returns."""
    goal_slack: float = 0.3
    """The goal heading is free if the disc reaches within this of the goal centre, m."""
    goal_exclude: float = 0.2
    """Scan returns within this of the goal centre belong to the goal pillar, m."""
    n_headings: int = 72
    """Candidate headings over 2*pi."""
    switch_cost: float = 0.5
    """Cost per rad of deviating from the previously chosen heading (commitment)."""
    k_turn: float = 2.5
    """Yaw rate per rad of heading error, 1/s."""
    accel_linear: float = 1.0
    """Linear acceleration limit, m/s^2."""
    accel_angular: float = 4.0
    """Angular acceleration limit, rad/s^2."""
    dt: float = 0.1
    """Control period, s (for the acceleration limits)."""
    angle_min: float = -math.pi
    """Angle of the first scan ray in the base frame, rad."""
    angle_increment: float = 2 * math.pi / 360
    """Angle between scan rays, rad."""
