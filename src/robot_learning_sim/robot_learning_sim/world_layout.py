# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 robot_learning maintainers
"""Episode layouts of the built-in world: obstacles, pillars and the robot start (ROS-free).

:class:`LayoutSampler` is mixed into :class:`~robot_learning_sim.world.World`; it draws
from ``self._rng`` with the clearances of ``self.cfg`` (rejection sampling).
"""

from __future__ import annotations

import math

import numpy as np


def _yaw_quat(yaw: float) -> np.ndarray:
    return np.array([math.cos(yaw / 2), 0.0, 0.0, math.sin(yaw / 2)])


def _box_distance(px, py, centre, half, yaw) -> np.ndarray:
    """Distance (m) from points (px, py) to a rotated rectangle (0 inside)."""
    c, s = math.cos(yaw), math.sin(yaw)
    dx, dy = np.asarray(px) - centre[0], np.asarray(py) - centre[1]
    lx, ly = c * dx + s * dy, -s * dx + c * dy
    ox = np.maximum(np.abs(lx) - half[0], 0.0)
    oy = np.maximum(np.abs(ly) - half[1], 0.0)
    return np.hypot(ox, oy)


class LayoutSampler:
    """Draws a layout into ``obstacles``, ``pillars``, ``goal_index`` and ``_start``."""

    def _sample_layout(self) -> None:
        """Draw obstacles, then pillars, then the start; redraw all until everything fits."""
        cfg, rng = self.cfg, self._rng
        for _attempt in range(1000):
            obs = self._draw_obstacles()
            if obs is None:
                continue
            n_col = len(cfg.colors)
            present = np.sort(rng.choice(n_col, cfg.n_pillars or n_col, replace=False))
            pillars = self._draw_pillars(obs, present)
            if pillars is None:
                continue
            lim = cfg.room_size / 2.0 - cfg.start_clearance
            near = cfg.goal_distance_max
            # With a distance cap the goal is drawn first; without one the draws (and so
            # every seed's layouts) stay in their old order.
            goal = int(rng.choice(present)) if near > 0 else -1
            for _ in range(200):
                p = rng.uniform(-lim, lim, 2)
                if self._free(
                    p, obs, cfg.start_clearance, pillars, cfg.start_pillar_distance
                ) and (goal < 0 or math.hypot(*(pillars[goal] - p)) <= near):
                    self.obstacles = obs
                    self.pillars = pillars
                    self.goal_index = goal if goal >= 0 else int(rng.choice(present))
                    self._start = (p[0], p[1], rng.uniform(-math.pi, math.pi))
                    return
        raise RuntimeError('could not sample a layout; room too small for the config')

    def _draw_obstacles(self) -> np.ndarray | None:
        """Boxes (x, y, half_x, half_y, yaw) keeping ``obstacle_gap``; None: no room left."""
        cfg, rng = self.cfg, self._rng
        half = cfg.room_size / 2.0
        lo_s, hi_s = cfg.obstacle_size
        obs = np.zeros((cfg.n_obstacles, 5))
        for i in range(cfg.n_obstacles):
            for _ in range(200):
                hx, hy = rng.uniform(lo_s, hi_s, 2) / 2
                rb = math.hypot(hx, hy)
                lim = half - rb - cfg.obstacle_gap
                x, y = rng.uniform(-lim, lim, 2)
                if all(
                    math.hypot(x - obs[j, 0], y - obs[j, 1])
                    >= rb + math.hypot(obs[j, 2], obs[j, 3]) + cfg.obstacle_gap
                    for j in range(i)
                ):
                    obs[i] = (x, y, hx, hy, rng.uniform(0, math.pi))
                    break
            else:
                return None
        return obs

    def _draw_pillars(self, obs: np.ndarray, present: np.ndarray) -> np.ndarray | None:
        """Centres of the ``present`` pillars (NaN rows: absent); None: no room left."""
        cfg, rng = self.cfg, self._rng
        pillars = np.full((len(cfg.colors), 2), np.nan)
        lim = cfg.room_size / 2.0 - cfg.pillar_clearance
        for k in present:
            for _ in range(200):
                p = rng.uniform(-lim, lim, 2)
                if self._free(p, obs, cfg.pillar_clearance, pillars, cfg.pillar_separation):
                    pillars[k] = p
                    break
            else:
                return None
        return pillars

    @staticmethod
    def _clear(p, obs, clearance) -> bool:
        return all(_box_distance(p[0], p[1], o[:2], o[2:4], o[4]) >= clearance for o in obs)

    @classmethod
    def _free(cls, p, obs, clearance, pillars, distance) -> bool:
        """Whether ``p`` clears the boxes by ``clearance`` and placed pillars by ``distance``."""
        if not cls._clear(p, obs, clearance):
            return False
        return bool(np.all(np.nan_to_num(np.hypot(*(pillars - p).T), nan=np.inf) >= distance))
