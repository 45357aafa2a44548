# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 robot_learning maintainers
"""``expert_teleop``: the scripted expert as a teleoperator (docs/interfaces.md).

Subscribes ``scan`` (LaserScan), ``odom`` (Odometry), ``sim/goal`` (PoseStamped,
transient local) and ``episode`` (the sim's DiagnosticArray status); for every received
scan it publishes one ``teleop/cmd_vel`` (geometry_msgs/TwistStamped, ``header.stamp`` =
the scan's stamp, frame ``base_frame``) computed by
:class:`~robot_learning_sim.expert.ExpertPolicy` from the odometry of the *same* stamp.

Topics arrive in no guaranteed order relative to each other (one executor serves them in
its own order), so everything is paired by stamp; a scan waits until its inputs are there:

* the odometry of its stamp;
* once the sim's ``episode`` status flows: the status of its stamp. Its episode id is what
  starts a new episode for the expert (map, heading and command ramps are forgotten), and
  a scan whose status says step 0 (an episode start) waits for the goal stamped with that
  step (the sim stamps ``sim/goal`` with its episode's step-0 stamp) instead of acting on
  the previous episode's goal;
* the goal used is the newest one stamped at or before the scan.

``takeover: on_trouble`` makes the expert a human supervising a deployed policy
(HG-DAgger, Kelly et al. 2019): it still computes its command every step (its map stays
current) but publishes only while engaged: ``takeover_steps`` steps after the robot
stalled (``stall_progress_m`` over ``stall_steps``), headed away from the goal
(``away_m`` over ``away_steps``) or came within ``near_obstacle_m`` of something.
``on_request`` engages when ``policy_node`` asks on ``takeover_request`` instead (rules:
:mod:`.takeover_rule`). The policy node forwards those commands marked as interventions,
which the recorder stores; ``takeovers`` counts them on diagnostics.

A scan older than one already answered is dropped (``stale_scans``): in lockstep its
answer would reach the sim after the step it belongs to. A repeated scan (lockstep
resend, same stamp) is answered with the command already computed for it.
"""

from __future__ import annotations

from collections import OrderedDict
import math
import time

from diagnostic_msgs.msg import DiagnosticArray
from geometry_msgs.msg import PoseStamped, TwistStamped
from nav_msgs.msg import Odometry
import numpy as np
from rclpy.node import Node
from rclpy.qos import HistoryPolicy, QoSProfile, ReliabilityPolicy
from robot_learning.common.geometry import yaw_from_quaternion
from robot_learning_nodes.common import (
    COMMAND_QOS,
    declare,
    Diagnostics,
    LATCHED_QOS,
    live_parameters,
    SENSOR_QOS,
    spin_node,
)
from robot_learning_sim.expert import ExpertConfig, ExpertPolicy
from robot_learning_sim.takeover import TakeoverGate
from sensor_msgs.msg import LaserScan
from std_msgs.msg import Header

#: Odometry / statuses kept for pairing, scans waiting for their inputs, goals kept.
_MAX_ODOM = 200
_MAX_PENDING = 20
_MAX_GOALS = 8
#: A step-0 scan waits at most this long (wall s) for its episode's goal, then uses the
#: newest goal (a goal publisher that does not stamp goals like the sim does).
_GOAL_WAIT_S = 0.5
#: A scan this much (ns of its clock) older than the last answered one means time jumped
#: back; a scan only a little older is a late one and dropped.
_TIME_JUMP_NS = 5_000_000_000
#: Reliable and deep like the sim's ``episode`` publisher: no step's status is lost.
_EPISODE_QOS = QoSProfile(
    history=HistoryPolicy.KEEP_LAST, depth=100, reliability=ReliabilityPolicy.RELIABLE
)


def _key(stamp) -> int:
    return stamp.sec * 1_000_000_000 + stamp.nanosec


class ExpertTeleop(Node):
    """Expert driver node.

    Parameters: ``enabled``, ``max_linear``, ``max_angular``, ``base_frame``.
    """

    def __init__(self, **kwargs):
        super().__init__('expert_teleop', **kwargs)
        self.enabled = declare(self, 'enabled', True, 'publish expert commands')
        max_lin = declare(
            self, 'max_linear', 0.6, 'forward speed limit, m/s', min_value=0.0, max_value=10.0
        )
        max_ang = declare(
            self, 'max_angular', 1.5, 'yaw rate limit, rad/s', min_value=0.0, max_value=20.0
        )
        self.base_frame = declare(
            self, 'base_frame', 'base_link', 'frame id of the published TwistStamped'
        )
        self.diag = Diagnostics(self)
        self.gate = TakeoverGate(self, self.diag)
        self.takeover = self.gate.takeover
        self.policy = ExpertPolicy(ExpertConfig(max_linear=max_lin, max_angular=max_ang))
        # What the expert reads (scans, odometry, goals, episodes) and what it sends.
        self.diag.task(
            'inputs',
            keys=('stale_scans', 'scans_without_odom', 'time_jumps_back', 'scans_before_goal'),
            errors=('error_bad_goal', 'error_bad_episode'),
        )
        self.diag.task('commands', keys=('commands',), errors=('error_policy',))
        self.diag.route('commands', ('takeovers', 'episodes'))
        live_parameters(
            self,
            {
                'enabled': lambda v: setattr(self, 'enabled', bool(v)),
                'max_linear': lambda v: setattr(self.policy.cfg, 'max_linear', float(v)),
                'max_angular': lambda v: setattr(self.policy.cfg, 'max_angular', float(v)),
                **self.gate.live(),
            },
        )
        self._pub = self.create_publisher(TwistStamped, 'teleop/cmd_vel', COMMAND_QOS)
        self.create_subscription(LaserScan, 'scan', self._on_scan, SENSOR_QOS)
        self.create_subscription(Odometry, 'odom', self._on_odom, SENSOR_QOS)
        self.create_subscription(PoseStamped, 'sim/goal', self._on_goal, LATCHED_QOS)
        self.create_subscription(DiagnosticArray, 'episode', self._on_episode, _EPISODE_QOS)
        # std_msgs/Header from policy_node (reliable, depth 10): its request for help.
        self.create_subscription(Header, 'takeover_request', lambda _m: self.gate.request(), 10)
        self._odom: OrderedDict[int, tuple[float, float, float]] = OrderedDict()
        self._status: OrderedDict[int, tuple[int, int]] = OrderedDict()  # episode, step
        self._have_status = False  # the sim's episode statuses flow: pair scans with them
        self._pending: OrderedDict[int, tuple[LaserScan, float]] = OrderedDict()  # + wall t
        self._goals: list[tuple[int, tuple[float, float]]] = []  # (stamp key, goal), sorted
        self._goal: tuple[float, float] | None = None  # goal of the policy's episode
        self._episode: int | None = None  # episode id the policy's state belongs to
        self._last: tuple[int, float, float] | None = None  # stamp key, v, w
        self._geometry: tuple[float, float] | None = None
        self._msg = TwistStamped()
        self._msg.header.frame_id = self.base_frame

    # ---------------------------------------------------------------- inputs
    def _on_goal(self, msg: PoseStamped) -> None:
        goal = (msg.pose.position.x, msg.pose.position.y)
        if not all(math.isfinite(g) for g in goal):
            self.diag.error('error_bad_goal', f'non-finite goal {goal}')
            return
        k = _key(msg.header.stamp)
        self._goals = [g for g in self._goals if g[0] != k] + [(k, goal)]
        self._goals.sort(key=lambda g: g[0])
        del self._goals[:-_MAX_GOALS]
        self._drain()

    def _on_episode(self, msg: DiagnosticArray) -> None:
        for st in msg.status:
            if st.name != 'episode':
                continue
            kv = {v.key: v.value for v in st.values}
            try:
                ep, step = int(kv['episode']), int(kv['step'])
            except (KeyError, ValueError):
                self.diag.error('error_bad_episode', 'episode status without episode/step')
                continue
            self._status[_key(msg.header.stamp)] = (ep, step)
            self._have_status = True
            while len(self._status) > _MAX_ODOM:
                self._status.popitem(last=False)
        self._drain()

    def _on_odom(self, msg: Odometry) -> None:
        k = _key(msg.header.stamp)
        p, q = msg.pose.pose.position, msg.pose.pose.orientation
        yaw = yaw_from_quaternion(q.x, q.y, q.z, q.w)
        self._odom[k] = (p.x, p.y, yaw)
        while len(self._odom) > _MAX_ODOM:
            self._odom.popitem(last=False)
        self._drain()

    def _on_scan(self, msg: LaserScan) -> None:
        k = _key(msg.header.stamp)
        if self._last is not None and k < self._last[0]:
            if k < self._last[0] - _TIME_JUMP_NS:
                self._forget()  # time went back: the sim (or a bag) restarted
            else:
                self.diag.count('stale_scans')
                return
        old = self._pending.get(k)  # a resend while waiting keeps its first arrival time
        self._pending[k] = (msg, old[1] if old is not None else time.monotonic())
        while len(self._pending) > _MAX_PENDING:
            self._pending.popitem(last=False)
            self.diag.count('scans_without_odom')
        self._drain()

    def _forget(self) -> None:
        """Drop everything keyed by stamps (after time jumped back)."""
        self.diag.count('time_jumps_back')
        self._odom.clear()
        self._status.clear()
        self._pending.clear()
        self._goals = self._goals[-1:]  # the latched goal may be the restarted sim's
        self._last = None
        self._episode = None

    # ---------------------------------------------------------------- pairing
    def _drain(self) -> None:
        """Act on every waiting scan whose inputs are complete (oldest first)."""
        for k in sorted(self._pending):
            ready = self._inputs(k)
            if ready is None:
                continue
            scan, _t = self._pending.pop(k)
            # Scans older than this one whose inputs never came: their time has passed.
            for old in [s for s in self._pending if s < k]:
                del self._pending[old]
                self.diag.count('scans_without_odom')
            if ready is not False:
                self._act(scan, *ready)

    def _inputs(self, k: int):
        """(pose, goal, episode) for the scan stamped ``k``; None: wait; False: drop."""
        pose = self._odom.get(k)
        if pose is None:
            return None
        status = self._status.get(k)
        if status is None and self._have_status:
            return None
        goals = [g for g in self._goals if g[0] <= k]
        if status is not None and status[1] == 0 and (not goals or goals[-1][0] != k):
            # Episode start: its goal is stamped with this step; it may still be on its way.
            if time.monotonic() - self._pending[k][1] < _GOAL_WAIT_S:
                return None
            goals = self._goals
        if not goals:
            if self._goals:
                self.diag.count('stale_scans')  # older than any goal we know
            else:
                self.diag.count('scans_before_goal')
            return False
        return pose, goals[-1][1], None if status is None else status[0]

    def _engaged(self, pose, goal, ranges: np.ndarray) -> bool:
        """Whether to drive this step (:meth:`TakeoverGate.engaged`)."""
        return self.gate.engaged(pose, goal, ranges)

    def _act(self, scan: LaserScan, pose, goal, episode) -> None:
        if not self.enabled:
            return
        k = _key(scan.header.stamp)
        if self._last is not None and self._last[0] == k:
            v, w = self._last[1], self._last[2]  # a resent scan: answer it the same way
            if not self._last[3]:
                return
        else:
            # A new episode: forget the previous one's map, heading and command ramps.
            new = goal != self._goal or (
                episode is not None and self._episode is not None and episode != self._episode
            )
            if new:
                self.policy.reset()
                self.gate.reset()
                self.diag.count('episodes')
            self._goal = goal
            if episode is not None:
                self._episode = episode
            geometry = (scan.angle_min, scan.angle_increment)
            if geometry != self._geometry:
                self.policy.set_scan_geometry(*geometry)
                self._geometry = geometry
            ranges = (
                np.frombuffer(scan.ranges, dtype=np.float32)
                if hasattr(scan.ranges, 'typecode')
                else np.asarray(scan.ranges, np.float32)
            )
            try:
                v, w = self.policy.act(pose, goal, ranges)
            except Exception as e:  # never die on odd input
                self.diag.error('error_policy', f'expert failed: {e!r}')
                return
            engaged = self._engaged(pose, goal, ranges)
            self._last = (k, v, w, engaged)
            if not engaged:
                return
        m = self._msg
        m.header.stamp = scan.header.stamp
        m.twist.linear.x = v
        m.twist.angular.z = w
        self._pub.publish(m)
        self.diag.count('commands')


def main(args=None) -> None:
    """Entry point ``expert_teleop``."""
    spin_node(ExpertTeleop, args)


if __name__ == '__main__':
    main()
