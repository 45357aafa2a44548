# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 robot_learning maintainers
"""Scripted expert: drives to the instructed pillar from privileged state (ROS-free).

Inputs are what the ROS ``expert_teleop`` node also has: the robot pose (odometry), the
goal position (``sim/goal``) and the raw 360-ray scan. Per step:

1. scan returns become obstacle points; returns on the goal pillar itself are dropped;
2. the points are accumulated into an occupancy grid for the episode (0.1 m cells),
   inflated into a traversal cost (near-lethal within ``lethal_radius``, soft rings
   further out), and a cost-to-go to the goal is computed (numpy Bellman-Ford relaxation,
   redone only when new cells touch the current path);
3. if the straight line to the goal is free for a disc of radius ``clearance`` it goes
   straight at the goal; otherwise it aims at the farthest point of the planned path
   within ``lookahead`` that is in direct sight, and checks that direction against the
   raw scan (taking the closest free heading if a point is in the way);
4. (v, w) follow that heading like a joystick user: turn toward it, drive forward faster
   the better aligned (never in reverse), brake in front of obstacles, with acceleration
   limits.

The scan cannot tell wrong pillars from obstacles, so the clearances also keep the robot
outside their ``success_radius`` (0.4 m from the centre): ``clearance`` 0.36 m from a
pillar surface is 0.44 m from its centre.

Measured with :func:`robot_learning_sim.expert_eval.evaluate`
(``python -m robot_learning_sim.expert_eval 200``): 100 % success
over 3 x 200 seeded episodes of the default world, ~52 steps (5.2 s) per episode.
"""

from __future__ import annotations

import math

import numpy as np
from robot_learning_sim.expert_config import _wrap, ExpertConfig
from robot_learning_sim.expert_planner import ExpertPlanner

__all__ = ['ExpertConfig', 'ExpertPolicy']


class ExpertPolicy(ExpertPlanner):
    """Privileged-state driver: :meth:`act` maps (pose, goal, scan) to (v, w).

    Stateful (the episode's obstacle map, previous heading and command): call
    :meth:`reset` at the start of each episode. A change of goal also resets it.
    """

    def __init__(self, cfg: ExpertConfig | None = None):
        self.cfg = cfg = cfg if cfg is not None else ExpertConfig()
        self._headings = -math.pi + (2 * math.pi / cfg.n_headings) * np.arange(cfg.n_headings)
        self._scan_angles: np.ndarray | None = None
        self._init_grid(cfg)
        self.reset()

    def reset(self) -> None:
        """Forget the map, previous heading and command (new episode)."""
        self._prev_heading: float | None = None  # world frame, rad
        self._v = 0.0
        self._w = 0.0
        self._goal: tuple[float, float] | None = None
        self._occ[:] = False
        self._cost[:] = 0.0
        self._lethal = self._occ.copy()
        self._togo: np.ndarray | None = None

    def set_scan_geometry(self, angle_min: float, angle_increment: float) -> None:
        """Angles (rad, base frame) of the scans passed to :meth:`act` from now on."""
        self.cfg.angle_min, self.cfg.angle_increment = angle_min, angle_increment
        self._scan_angles = None

    # ---------------------------------------------------------------- helpers
    def _angles(self, n: int) -> tuple[np.ndarray, np.ndarray]:
        if self._scan_angles is None or len(self._scan_angles) != n:
            a = self.cfg.angle_min + self.cfg.angle_increment * np.arange(n)
            self._scan_angles = a
            self._scan_cs = (np.cos(a), np.sin(a))
        return self._scan_cs

    def act(self, pose, goal, scan: np.ndarray) -> tuple[float, float]:
        """One command.

        Args:
            pose: (x m, y m, yaw rad) of the base in the odom/world frame.
            goal: (x m, y m) of the instructed pillar centre in the same frame.
            scan: (N,) ranges in m, ray i at ``angle_min + i * angle_increment`` in the
                base frame; inf / NaN / non-positive entries mean no return.

        Returns:
            (v m/s, w rad/s), within [0, max_linear] x [-max_angular, max_angular]
            (the expert never reverses: a good joystick driver turns instead).
        """
        cfg = self.cfg
        x, y, yaw = float(pose[0]), float(pose[1]), float(pose[2])
        goal = (float(goal[0]), float(goal[1]))
        if (
            self._goal is None
            or math.hypot(goal[0] - self._goal[0], goal[1] - self._goal[1]) > 1e-6
        ):
            if self._goal is not None:
                self.reset()
            self._goal = goal
            # Map centred between robot and goal: the whole detour fits in it.
            half = 0.5 * cfg.map_cells * cfg.map_resolution
            self._origin = (0.5 * (x + goal[0]) - half, 0.5 * (y + goal[1]) - half)
        dx, dy = goal[0] - x, goal[1] - y
        goal_dist = math.hypot(dx, dy)
        goal_bearing = float(_wrap(math.atan2(dy, dx) - yaw))  # base frame

        scan = np.asarray(scan, dtype=np.float64)
        cs, sn = self._angles(scan.shape[0])
        ok = np.isfinite(scan) & (scan > 0.0)
        r = scan[ok]
        px, py = r * cs[ok], r * sn[ok]
        # Drop the goal pillar's own returns: it is where we want to go.
        gbx, gby = goal_dist * math.cos(goal_bearing), goal_dist * math.sin(goal_bearing)
        keep = np.hypot(px - gbx, py - gby) > cfg.goal_exclude
        px, py = px[keep], py[keep]
        c, s = math.cos(yaw), math.sin(yaw)
        self._update_map(x + c * px - s * py, y + s * px + c * py, x, y)

        # Where to go: straight at the goal if the way is clear, else the planned carrot.
        heads = np.append(self._headings, goal_bearing)
        free = self._free_distance(np.cos(heads), np.sin(heads), px, py, cfg.clearance)
        if free[-1] >= goal_dist - cfg.goal_slack:
            heading = goal_bearing
        else:
            carrot = self._carrot(x, y)
            target = (
                goal_bearing
                if carrot is None
                else float(_wrap(math.atan2(carrot[1] - y, carrot[0] - x) - yaw))
            )
            dist_t = goal_dist if carrot is None else math.hypot(carrot[0] - x, carrot[1] - y)
            # Local safety: the planned direction must be free for a short way; otherwise
            # take the free heading closest to it (committing to the previous choice).
            need = min(cfg.local_check, dist_t)
            heads[-1] = target
            free[-1] = self._free_distance(
                np.array([math.cos(target)]), np.array([math.sin(target)]), px, py, cfg.clearance
            )[0]
            feasible = free >= need - 1e-9
            if feasible[-1]:
                heading = target
            else:
                dev = np.abs(_wrap(heads - target))
                if self._prev_heading is not None:
                    dev = dev + cfg.switch_cost * np.abs(_wrap(heads - (self._prev_heading - yaw)))
                if feasible.any():
                    heading = float(heads[np.argmin(np.where(feasible, dev, np.inf))])
                else:
                    heading = float(heads[np.argmax(free - 0.1 * dev)])
        self._prev_heading = yaw + heading

        # Joystick-like tracking of the chosen heading.
        w = float(np.clip(cfg.k_turn * heading, -cfg.max_angular, cfg.max_angular))
        align = math.cos(heading)
        v = cfg.max_linear * max(align, 0.0) ** 2 if abs(heading) < math.radians(70) else 0.0
        ahead = self._free_distance(np.array([1.0]), np.array([0.0]), px, py, cfg.hard_clearance)[
            0
        ]
        v = min(v, max(ahead - 0.02, 0.0) * 1.5)  # brake in front of obstacles
        # Acceleration limits (smooth, like a thumb on a stick).
        dv, dw = cfg.accel_linear * cfg.dt, cfg.accel_angular * cfg.dt
        self._v = float(np.clip(v, self._v - dv, self._v + dv))
        self._w = float(np.clip(w, self._w - dw, self._w + dw))
        return self._v, self._w


if __name__ == '__main__':  # the evaluation moved to expert_eval in issue 9
    import runpy
    import sys

    print(
        'python -m robot_learning_sim.expert is deprecated: '
        'use python -m robot_learning_sim.expert_eval',
        file=sys.stderr,
    )
    runpy.run_module('robot_learning_sim.expert_eval', run_name='__main__')
