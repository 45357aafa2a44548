# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 robot_learning maintainers
"""Path distance to the goal for the world's progress reward (ROS-free, numpy only).

With ``WorldConfig.progress = 'path'`` the progress term of the reward is
``reward_progress * (phi(s) - phi(s'))`` with ``phi`` the length (m) of the shortest path
from the robot centre to the instructed pillar's success disc around the walls and boxes
(inflated by the robot radius) and around the wrong pillars' failure discs, instead of the
straight-line distance. A difference of potentials is potential-based shaping (Ng, Harada,
Russell, "Policy invariance under reward transformations", ICML 1999, Theorem 1, with
gamma close to 1): it rewards the detour a box or a wrong pillar calls for, where the
straight-line distance rewards driving into the box and stopping there.

The field is a cost-to-go on a square grid over the room (``resolution`` m cells, 8-connected,
relaxed to convergence in numpy as the expert's planner does); cells a robot centre cannot
occupy cost ``BLOCKED_COST`` times their length, so the field is finite everywhere and
leads out of a contact. It is computed once per episode and read with
bilinear interpolation.
"""

from __future__ import annotations

import math

import numpy as np

#: Cost multiplier of a cell where the robot centre would touch scenery or be inside a
#: wrong pillar's failure disc (finite, so that the potential is defined there too).
BLOCKED_COST = 20.0


class PathField:
    """Shortest-path distance (m) to a goal disc on a grid over the square room.

    Args:
        room_size: interior side of the room, m (centred on the origin).
        goal: (x, y) of the goal pillar, m.
        goal_radius: the success disc's radius, m (distance 0 inside).
        clearance: robot radius, m: centres closer than this to a wall or box are blocked.
        boxes: (K, 5) array of ``x, y, half_x, half_y, yaw`` (m, rad).
        forbidden: (P, 2) centres of discs of radius ``forbidden_radius`` to go around
            (the wrong pillars; NaN rows are ignored).
        forbidden_radius: m.
        resolution: cell size, m (> 0).

    Raises:
        ValueError: a non-positive size, radius or resolution.
    """

    def __init__(
        self,
        room_size: float,
        goal: tuple[float, float],
        goal_radius: float,
        clearance: float,
        boxes: np.ndarray,
        forbidden: np.ndarray,
        forbidden_radius: float,
        resolution: float = 0.1,
    ) -> None:
        if not (room_size > 0 and goal_radius > 0 and resolution > 0 and clearance >= 0):
            raise ValueError(
                'PathField: room_size, goal_radius and resolution must be > 0, clearance >= 0'
            )
        self.half = room_size / 2.0
        self.resolution = float(resolution)
        n = self._n = int(math.ceil(room_size / resolution)) + 1
        axis = -self.half + np.arange(n) * resolution
        x, y = np.meshgrid(axis, axis, indexing='ij')
        blocked = np.maximum(np.abs(x), np.abs(y)) > self.half - clearance
        for bx, by, hx, hy, yaw in np.asarray(boxes, float).reshape(-1, 5):
            c, s = math.cos(yaw), math.sin(yaw)
            dx, dy = x - bx, y - by
            ox = np.maximum(np.abs(c * dx + s * dy) - hx, 0.0)
            oy = np.maximum(np.abs(-s * dx + c * dy) - hy, 0.0)
            blocked |= np.hypot(ox, oy) < clearance
        for px, py in np.asarray(forbidden, float).reshape(-1, 2):
            if np.isfinite(px) and np.isfinite(py):
                blocked |= np.hypot(x - px, y - py) < forbidden_radius
        step = np.where(blocked, BLOCKED_COST, 1.0) * resolution
        dist = np.full((n, n), np.inf)
        goal_cells = np.hypot(x - goal[0], y - goal[1]) < goal_radius
        dist[goal_cells] = 0.0
        if not goal_cells.any():  # goal disc smaller than a cell: its nearest cell
            dist[self._index(goal[0], goal[1])] = 0.0
        self.field = self._relax(dist, step)

    @staticmethod
    def _relax(dist: np.ndarray, step: np.ndarray) -> np.ndarray:
        """Bellman-Ford relaxation of an 8-connected grid until nothing changes."""
        n = dist.shape[0]
        moves = [(di, dj) for di in (-1, 0, 1) for dj in (-1, 0, 1) if di or dj]
        for _ in range(4 * n * n):  # bound; converges in about the longest path's cells
            before = dist.copy()
            for di, dj in moves:
                length = math.hypot(di, dj)
                dst = (slice(max(di, 0), n + min(di, 0)), slice(max(dj, 0), n + min(dj, 0)))
                src = (slice(max(-di, 0), n - max(di, 0)), slice(max(-dj, 0), n - max(dj, 0)))
                # Entering cell dst from its neighbour src costs the mean of both cells.
                cand = dist[src] + 0.5 * (step[src] + step[dst]) * length
                np.minimum(dist[dst], cand, out=dist[dst])
            if np.array_equal(before, dist):
                break
        return dist

    def _index(self, x: float, y: float) -> tuple[int, int]:
        """Return the grid cell nearest (x, y), clamped to the grid."""
        i = int(round((x + self.half) / self.resolution))
        j = int(round((y + self.half) / self.resolution))
        return min(max(i, 0), self._n - 1), min(max(j, 0), self._n - 1)

    def __call__(self, x: float, y: float) -> float:
        """Path distance (m) from (x, y) to the goal disc, bilinear between cell centres."""
        n = self.field.shape[0]
        u = min(max((x + self.half) / self.resolution, 0.0), n - 1.000001)
        v = min(max((y + self.half) / self.resolution, 0.0), n - 1.000001)
        i, j = int(u), int(v)
        fu, fv = u - i, v - j
        f = self.field
        return float(
            (1 - fu) * ((1 - fv) * f[i, j] + fv * f[i, j + 1])
            + fu * ((1 - fv) * f[i + 1, j] + fv * f[i + 1, j + 1])
        )
