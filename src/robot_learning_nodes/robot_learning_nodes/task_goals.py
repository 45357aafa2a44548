# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 robot_learning maintainers
"""``task_node``'s inputs: the robot pose history, the goal positions, the images.

Kept out of the node so that the node file holds the episode logic only. Stamps are
float seconds (:func:`~.stamps.stamp_to_s`).

A robot pose or goal pose whose ``header.frame_id`` is set and is not the task ``frame``
is dropped with a throttled line (``error_pose_frame`` / ``error_goal_frame``): task_node
does not transform (an odom pose against map goals would give a wrong reward silently).
"""

from __future__ import annotations

from collections import deque
import math
import time
from typing import Optional

from geometry_msgs.msg import Pose, PoseArray, PoseStamped, PoseWithCovarianceStamped
from nav_msgs.msg import Odometry
import numpy as np
from rclpy.node import Node
from robot_learning.common.geometry import world_to_base, yaw_from_quaternion
from robot_learning.task import TaskConfig

from .qos import LATCHED_QOS, SENSOR_QOS
from .stamps import stamp_to_s

#: Stamps closer than this are the same instant, s (the policy node keeps microseconds).
SAME_STAMP_S = 1e-4


class PoseHistory:
    """The robot pose from ``odom`` (nav_msgs/Odometry) or ``pose`` (PoseWithCovarianceStamped).

    ``odom`` comes at the scan rate and is paired by stamp (:meth:`at`, tolerance). A
    localization (amcl publishes ``/amcl_pose`` only on filter updates, ~1-10 Hz) is held:
    without a pose within the tolerance, a step takes the newest pose not newer than it
    (plus the tolerance) that is at most ``hold_s`` older (``localization_max_age_s``).

    Args:
        node: the task node (subscriptions; sensor-data QoS).
        source: 'odom' or 'pose'.
        frame: the task frame; a pose in another (non-empty) frame is dropped.
        on_pose: called after each accepted pose.
        diag: the node's Diagnostics (``poses``, ``error_bad_pose``, ``error_pose_frame``).
        depth: poses kept, newest last.
    """

    def __init__(self, node: Node, source: str, frame: str, on_pose, diag, depth: int = 200):
        self._poses: deque[tuple[float, float, float, float]] = deque(maxlen=depth)
        self._on_pose, self._diag, self._frame = on_pose, diag, frame
        self.last_wall = -math.inf
        if source == 'odom':
            node.create_subscription(Odometry, 'odom', self._on_odom, SENSOR_QOS)
        else:
            node.create_subscription(PoseWithCovarianceStamped, 'pose', self._on_pose_msg,
                                     SENSOR_QOS)

    def _on_odom(self, msg: Odometry) -> None:
        self._add(msg.header, msg.pose.pose)

    def _on_pose_msg(self, msg: PoseWithCovarianceStamped) -> None:
        self._add(msg.header, msg.pose.pose)

    def _add(self, header, pose) -> None:
        if header.frame_id and header.frame_id != self._frame:
            self._diag.error(
                'error_pose_frame',
                f'robot pose in frame {header.frame_id!r}, the task uses {self._frame!r}: '
                'dropped (use the pose source of that frame, or transform upstream)',
            )
            return
        stamp, q = header.stamp, pose.orientation
        x, y, yaw = pose.position.x, pose.position.y, yaw_from_quaternion(q.x, q.y, q.z, q.w)
        if not (math.isfinite(x) and math.isfinite(y) and math.isfinite(yaw)):
            self._diag.error('error_bad_pose', f'non-finite robot pose ({x}, {y}, {yaw})')
            return
        t = stamp_to_s(stamp)
        if self._poses and t < self._poses[-1][0] - SAME_STAMP_S:
            self._poses.clear()  # time went back (a bag loop, a simulator restart)
        self._poses.append((t, x, y, yaw))
        self.last_wall = time.monotonic()
        self._diag.count('poses')
        self._on_pose()

    @property
    def newest(self) -> float:
        """Stamp of the newest pose, s (-inf: none yet)."""
        return self._poses[-1][0] if self._poses else -math.inf

    def at(self, t: float, tolerance: float,
           hold_s: float = 0.0) -> Optional[tuple[float, float, float]]:
        """Return the robot pose (x m, y m, yaw rad) of stamp ``t`` s, or None.

        The pose nearest ``t`` within ``tolerance`` s; else, when ``hold_s`` > 0, the
        newest pose stamped at most ``t + tolerance`` and at least ``t - hold_s``.
        """
        best, best_dt = None, math.inf
        held = None
        for p in reversed(self._poses):
            dt = abs(p[0] - t)
            if held is None and p[0] <= t + tolerance + SAME_STAMP_S:
                held = p
            if dt < best_dt:
                best, best_dt = p, dt
            elif p[0] < t:
                break
        if best is not None and best_dt <= tolerance + SAME_STAMP_S:
            return best[1], best[2], best[3]
        if held is not None and hold_s > 0 and held[0] >= t - hold_s - SAME_STAMP_S:
            return held[1], held[2], held[3]
        return None


class GoalSources:
    """Goal positions in task order: fixed ones from the task, the others from topics.

    A topic goal (geometry_msgs/PoseStamped, latched) is unknown (NaN) until its first
    message; a message with a NaN position means the goal is absent.

    Args:
        node: the task node.
        cfg: the task.
        on_goal: called after each goal message.
        diag: for the ``goal_poses`` counter and ``error_goal_frame``.
    """

    def __init__(self, node: Node, cfg: TaskConfig, on_goal, diag):
        n = len(cfg.goals)
        self.positions = np.full((n, 2), np.nan)
        self.stamps = np.full(n, -math.inf)  # topic goals: stamp of their latest message
        self.topic_index = [i for i, g in enumerate(cfg.goals) if g.position is None]
        self._frame, self._on_goal, self._diag = cfg.frame, on_goal, diag
        for i, g in enumerate(cfg.goals):
            if g.position is not None:
                self.positions[i] = g.position
            else:
                node.create_subscription(
                    PoseStamped, g.topic, lambda m, i=i: self._on_msg(i, m), LATCHED_QOS
                )

    def _on_msg(self, i: int, msg: PoseStamped) -> None:
        if msg.header.frame_id and msg.header.frame_id != self._frame:
            self._diag.error(
                'error_goal_frame',
                f'goal pose in frame {msg.header.frame_id!r}, the task uses {self._frame!r}: '
                'dropped (transform it upstream)',
            )
            return
        self.positions[i] = (msg.pose.position.x, msg.pose.position.y)
        self.stamps[i] = stamp_to_s(msg.header.stamp)
        self._diag.count('goal_poses')
        self._on_goal()

    def layout_stamp(self) -> float:
        """Stamp of the current layout: the newest topic goal's stamp (-inf: fixed goals)."""
        return float(self.stamps[self.topic_index].max()) if self.topic_index else -math.inf

    def fresh(self, floor: Optional[float]) -> bool:
        """Whether every topic goal has a pose newer than ``floor`` (None: any pose)."""
        if not self.topic_index:
            return True
        s = self.stamps[self.topic_index]
        if floor is None:
            return bool(np.isfinite(s).all())
        return bool((s > floor + SAME_STAMP_S).all())


class ImageBuffer:
    """The latest observation images by stamp, for pairing with a trigger step.

    Args:
        depth: images kept.
    """

    def __init__(self, depth: int = 30):
        self._images: deque[tuple[float, object]] = deque(maxlen=depth)

    def add(self, t: float, msg) -> None:
        """Keep image message ``msg`` stamped ``t`` s."""
        self._images.append((t, msg))

    @property
    def newest(self) -> float:
        """Stamp of the newest image, s (-inf: none)."""
        return self._images[-1][0] if self._images else -math.inf

    def at(self, t: float, tolerance: float):
        """Return the message nearest stamp ``t`` within ``tolerance`` s, or None."""
        best, best_dt = None, math.inf
        for s, m in self._images:
            if abs(s - t) < best_dt:
                best, best_dt = m, abs(s - t)
        return best if best_dt <= tolerance + SAME_STAMP_S else None


class TriggerQueue:
    """Trigger observations waiting for their step, oldest first, one per stamp.

    A repeated stamp (a lockstep resend) or one a little older than the last (out of
    order, < 5 s: a jump further back is a restart) is no new step
    (``repeated_observations``). At most ``depth`` wait (~60 s at 10 Hz: a reset that
    never completes); beyond, the oldest is dropped (``error_dropped_observations``).

    Args:
        diag: the node's Diagnostics.
        depth: most triggers kept.
    """

    def __init__(self, diag, depth: int = 600):
        self._q: deque[tuple[float, object, float]] = deque()
        self._diag, self._depth = diag, depth
        self._last = -math.inf

    def add(self, t: float, stamp) -> bool:
        """Queue the trigger stamped ``t`` s (``stamp``: its builtin_interfaces/Time).

        Returns:
            Whether it is a new step (False: a repeat, not queued).
        """
        if abs(t - self._last) < SAME_STAMP_S or self._last - 5.0 < t < self._last:
            self._diag.count('repeated_observations')
            return False
        self._last = t
        if len(self._q) >= self._depth:
            self._q.popleft()
            self._diag.error('error_dropped_observations', f'{self._depth} observations wait '
                             'for the reset / the new layout: the oldest is dropped')
        self._q.append((t, stamp, time.monotonic()))
        return True

    def head(self) -> Optional[tuple[float, float]]:
        """Return (stamp s, wall arrival s) of the oldest trigger, or None."""
        return (self._q[0][0], self._q[0][2]) if self._q else None

    def pop(self) -> tuple[float, object]:
        """Remove the oldest trigger; return (stamp s, builtin_interfaces/Time)."""
        t, stamp, _ = self._q.popleft()
        return t, stamp

    def clear(self) -> None:
        """Forget every waiting trigger (they belong to an episode that ended)."""
        self._q.clear()


def detections_msg(stamp, frame: str, pose, positions: np.ndarray) -> PoseArray:
    """Goal positions in the robot base frame as ``detections`` (as sim_node's).

    Args:
        stamp: the step's builtin_interfaces/Time.
        frame: the base frame id.
        pose: robot (x m, y m, yaw rad) in the task frame, or None (every pose NaN).
        positions: float (n, 2) goal positions in task order, NaN rows unknown.

    Returns:
        geometry_msgs/PoseArray with one pose per goal (x forward, y left, m).
    """
    msg = PoseArray()
    msg.header.stamp, msg.header.frame_id = stamp, frame
    det = (world_to_base(pose, positions) if pose is not None
           else np.full((len(positions), 2), np.nan, np.float32))
    for x, y in det.tolist():
        q = Pose()
        q.position.x, q.position.y = x, y
        msg.poses.append(q)
    return msg
