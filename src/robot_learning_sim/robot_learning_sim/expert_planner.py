# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 robot_learning maintainers
"""The scripted expert's episode map and planner (ROS-free).

:class:`ExpertPlanner` is mixed into :class:`~robot_learning_sim.expert.ExpertPolicy`:
scan returns accumulate in an occupancy grid (``map_resolution`` cells), inflated into a
traversal cost; a cost-to-go to the goal (numpy Bellman-Ford relaxation) gives the path
whose farthest visible point within ``lookahead`` is aimed at.
"""

from __future__ import annotations

import math

import numpy as np
from robot_learning_sim.expert_config import ExpertConfig


class ExpertPlanner:
    """Occupancy grid, cost-to-go and line-of-sight checks of the expert."""

    def _init_grid(self, cfg: ExpertConfig) -> None:
        """Allocate the grid, the inflation kernel and the neighbour slices for ``cfg``."""
        n = cfg.map_cells
        r = cfg.map_resolution
        # Inflation kernel: extra traversal cost around one occupied cell.
        rings = ((cfg.lethal_radius, cfg.lethal_cost),) + tuple(cfg.soft_costs)
        k = int(math.ceil(max(rad for rad, _ in rings) / r))
        di, dj = np.meshgrid(np.arange(-k, k + 1), np.arange(-k, k + 1), indexing='ij')
        dist = np.hypot(di, dj) * r
        self._kernel = np.zeros(dist.shape)
        for radius, cost in rings:
            self._kernel = np.maximum(self._kernel, np.where(dist <= radius + 1e-9, cost, 0.0))
        self._kern_half = k
        self._nbrs = [
            (di, dj, math.hypot(di, dj)) for di in (-1, 0, 1) for dj in (-1, 0, 1) if di or dj
        ]
        # Slices for "cell c" and "its neighbour c + d" over the whole grid.
        self._nbr_slices = [
            (
                (slice(max(-di, 0), n - max(di, 0)), slice(max(-dj, 0), n - max(dj, 0))),
                (slice(max(di, 0), n + min(di, 0)), slice(max(dj, 0), n + min(dj, 0))),
                ln,
            )
            for di, dj, ln in self._nbrs
        ]
        self._occ = np.zeros((n, n), dtype=bool)
        self._cost = np.zeros((n, n))
        self._changed = np.zeros((n, n), dtype=bool)

    @staticmethod
    def _free_distance(ux, uy, px, py, clearance) -> np.ndarray:
        """Return the distance (m) a disc of radius ``clearance`` travels before a contact.

        Along unit vectors (ux, uy) before touching any point (px, py); 0 when it already
        touches one ahead. Shapes: ux, uy (K,), px, py (N,) -> (K,).
        """
        if px.size == 0:
            return np.full(ux.shape, np.inf)
        a = ux[:, None] * px[None, :] + uy[:, None] * py[None, :]  # along-track
        b = ux[:, None] * py[None, :] - uy[:, None] * px[None, :]  # cross-track
        c2 = clearance * clearance
        b2 = b * b
        hit = (a > 0.0) & (b2 < c2)
        dist = np.where(hit, a - np.sqrt(np.maximum(c2 - b2, 0.0)), np.inf)
        return np.maximum(dist.min(axis=1), 0.0)

    def _cell(self, x: float, y: float) -> tuple[int, int]:
        r = self.cfg.map_resolution
        return (
            int(math.floor((x - self._origin[0]) / r)),
            int(math.floor((y - self._origin[1]) / r)),
        )

    def _in_map(self, i: int, j: int) -> bool:
        return 0 <= i < self.cfg.map_cells and 0 <= j < self.cfg.map_cells

    def _update_map(self, wx: np.ndarray, wy: np.ndarray, x: float, y: float) -> None:
        """Add world points to the occupancy grid and inflate them into the traversal cost.

        Recompute the cost-to-go only when a changed cell lies on the current path (costs
        only ever grow, so an untouched path stays optimal).
        """
        cfg = self.cfg
        r, n = cfg.map_resolution, cfg.map_cells
        i = np.floor((wx - self._origin[0]) / r).astype(np.int64)
        j = np.floor((wy - self._origin[1]) / r).astype(np.int64)
        ok = (i >= 0) & (i < n) & (j >= 0) & (j < n)
        lin = np.unique(i[ok] * n + j[ok])
        occ = self._occ.reshape(-1)
        lin = lin[~occ[lin]]
        changed = False
        if lin.size:
            occ[lin] = True
            k, cost, kern = self._kern_half, self._cost, self._kernel
            changed_mask = self._changed
            changed_mask[:] = False
            for ci, cj in zip(*np.divmod(lin, n)):
                i0, i1 = max(ci - k, 0), min(ci + k + 1, n)
                j0, j1 = max(cj - k, 0), min(cj + k + 1, n)
                win = cost[i0:i1, j0:j1]
                patch = kern[i0 - ci + k: i1 - ci + k, j0 - cj + k: j1 - cj + k]
                changed_mask[i0:i1, j0:j1] |= patch > win
                np.maximum(win, patch, out=win)
            self._lethal = cost >= cfg.lethal_cost
            changed = True
        if self._togo is not None:
            if not changed:
                return
            path = self._descent(*self._cell(x, y), max_steps=4 * n)
            if not path or not any(self._changed[p] for p in path):
                return
        # Cost-to-go by Bellman-Ford relaxation over the 8-neighbourhood (numpy-vectorised:
        # each sweep propagates one cell in every direction; stops when nothing changes).
        togo = np.full((n, n), np.inf)
        gi, gj = self._cell(*self._goal)
        togo[min(max(gi, 0), n - 1), min(max(gj, 0), n - 1)] = 0.0
        step_cost = self._cost + 1.0
        steps = [(a, b, l * step_cost[a]) for a, b, l in self._nbr_slices]
        for it in range(4 * n):
            if it % 4 == 0:
                before = togo.copy()
            for a, b, sc in steps:
                # togo[c] = min(togo[c], togo[c + d] + len * cost[c])
                np.minimum(togo[a], togo[b] + sc, out=togo[a])
            if it % 4 == 3 and np.array_equal(before, togo):
                break
        self._togo = togo

    def _descent(self, i: int, j: int, max_steps: int) -> list[tuple[int, int]]:
        """Cells of the steepest-descent path on the cost-to-go from cell (i, j)."""
        n = self.cfg.map_cells
        togo = self._togo
        path = []
        if not self._in_map(i, j):
            return path
        for _ in range(max_steps):
            best, bi, bj = togo[i, j], i, j
            for di, dj, _l in self._nbrs:
                a, b = i + di, j + dj
                if 0 <= a < n and 0 <= b < n and togo[a, b] < best:
                    best, bi, bj = togo[a, b], a, b
            if (bi, bj) == (i, j):
                break
            i, j = bi, bj
            path.append((i, j))
        return path

    def _carrot(self, x: float, y: float) -> tuple[float, float] | None:
        """Return the point to aim at (world frame).

        The farthest cell, within ``lookahead``, of the steepest-descent path from the
        robot's cell that is in straight, non-lethal sight.
        """
        cfg = self.cfg
        r = cfg.map_resolution
        i, j = self._cell(x, y)
        if not self._in_map(i, j) or not np.isfinite(self._togo[i, j]):
            return None
        path = [
            ((pi + 0.5) * r + self._origin[0], (pj + 0.5) * r + self._origin[1])
            for pi, pj in self._descent(i, j, int(cfg.lookahead / r) + 2)
        ]
        if not path:
            return None
        carrot = path[0]
        for px, py in path[1:]:
            if math.hypot(px - x, py - y) > cfg.lookahead:
                break
            if self._sight(x, y, px, py):
                carrot = (px, py)
        return carrot

    def _sight(self, x0, y0, x1, y1) -> bool:
        """No lethal cell on the segment (x0, y0) -> (x1, y1) (the start cell excepted)."""
        r = self.cfg.map_resolution
        k = max(int(math.hypot(x1 - x0, y1 - y0) / (0.5 * r)), 1)
        t = np.arange(1, k + 1) / k
        ci = np.floor((x0 + t * (x1 - x0) - self._origin[0]) / r).astype(np.int64)
        cj = np.floor((y0 + t * (y1 - y0) - self._origin[1]) / r).astype(np.int64)
        n = self.cfg.map_cells
        ok = (ci >= 0) & (ci < n) & (cj >= 0) & (cj < n)
        start = self._cell(x0, y0)
        own = (ci == start[0]) & (cj == start[1])
        return not bool(self._lethal[ci[ok & ~own], cj[ok & ~own]].any())
