# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 robot_learning maintainers
"""The command path of ``policy_node``: publishers, reused messages, the stamped echo.

Twist commands go out on ``cmd_vel`` (TwistStamped stamped with the node clock, or plain
Twist) with their echo on ``action`` (TwistStamped stamped with the observation answered)
and ``intervention`` (Bool). Joint commands go out on ``commands``
(Float64MultiArray) or ``joint_trajectory`` (one point ``time_from_start`` ahead), with
their echo on ``joint_action`` (JointState, the command in the ``interface`` field). All
reliable (``COMMAND_QOS``).
"""

from __future__ import annotations

import time

from builtin_interfaces.msg import Duration
from geometry_msgs.msg import Twist, TwistStamped
import numpy as np
from rclpy.node import Node
from robot_learning.safety import CommandLimiter
from sensor_msgs.msg import JointState
from std_msgs.msg import Bool, Float64MultiArray
from trajectory_msgs.msg import JointTrajectory, JointTrajectoryPoint

from .diagnostics import Diagnostics
from .modes import joint_commands
from .qos import COMMAND_QOS

_POINT_FIELD = {'effort': 'effort', 'velocity': 'velocities', 'position': 'positions'}


class CommandOutput:
    """Publishes the commands of a policy node and remembers the last one answered.

    Args:
        node: owner of the publishers (topics relative to its namespace).
        diag: counts ``commands`` / ``interventions``.
        command_type: one of :data:`~.modes.COMMAND_TYPES`.
        command_interface: joint commands: ``effort``, ``velocity`` or ``position``.
        frame_id: frame of TwistStamped commands and echoes.
        limiter: bounds and rate-limits every Twist (``robot_learning.safety``).

    Attributes:
        last: the last command that answered an observation: ``(stamp_us, v, w,
            intervention)`` (Twist) or ``(stamp_us, command)`` (joints); None before one.
        last_pub_wall: ``time.monotonic()`` of the last publish, s.
        names: joint names of trajectories and echoes.
        time_from_start: JointTrajectory point offset, s (live).
    """

    def __init__(
        self,
        node: Node,
        diag: Diagnostics,
        command_type: str,
        command_interface: str,
        frame_id: str,
        limiter: CommandLimiter,
    ):
        self._node, self._diag, self._limiter = node, diag, limiter
        self.command_type, self.interface = command_type, command_interface
        self.joint = joint_commands(command_type)
        self.stamped = command_type == 'twist_stamped'
        self.last: tuple | None = None
        self.last_pub_wall = -1e9
        self.names: list[str] = []
        self.time_from_start = 0.1
        if self.joint:
            if command_type == 'float64_multi_array':
                self.joint_cmd_pub = node.create_publisher(
                    Float64MultiArray, 'commands', COMMAND_QOS
                )
            else:
                self.joint_cmd_pub = node.create_publisher(
                    JointTrajectory, 'joint_trajectory', COMMAND_QOS
                )
            self.joint_action_pub = node.create_publisher(JointState, 'joint_action', COMMAND_QOS)
            return
        self.cmd_pub = node.create_publisher(
            TwistStamped if self.stamped else Twist, 'cmd_vel', COMMAND_QOS
        )
        self.action_pub = node.create_publisher(TwistStamped, 'action', COMMAND_QOS)
        self.intervention_pub = node.create_publisher(Bool, 'intervention', COMMAND_QOS)
        self._msgs = (TwistStamped() if self.stamped else Twist(), TwistStamped())
        for m in self._msgs:
            if isinstance(m, TwistStamped):
                m.header.frame_id = frame_id
        self._flags = {False: Bool(data=False), True: Bool(data=True)}

    def _now_s(self) -> float:
        return self._node.get_clock().now().nanoseconds * 1e-9

    def send(self, stamp: int, v: float, w: float, intervention: bool) -> None:
        """Bound and rate-limit ``(v m/s, w rad/s)`` and publish it; a non-finite one: stop."""
        if not (np.isfinite(v) and np.isfinite(w)):
            self._diag.error('error_command_nonfinite', f'non-finite command ({v}, {w}): zero')
            self.stop(stamp, 0)
            return
        v, w = self._limiter.apply(v, w, self._now_s())
        self.publish_twist(stamp, v, w, intervention)

    def stop(self, stamp: int, dim: int) -> None:
        """Publish one zero command now (echoed when it answers observation ``stamp``).

        Args:
            stamp: the observation answered, µs; -1: none (no echo).
            dim: joints commanded (a zero joint command has this many values).
        """
        if not self.joint:
            self._diag.count('stop_commands')
            self._limiter.stop(self._now_s())
            self.publish_twist(stamp, 0.0, 0.0, False, echo=stamp >= 0)
            return
        zero = self.zero_joints(dim)
        if zero is not None:
            self._diag.count('stop_commands')
            self.publish_joint(stamp, zero)

    def stop_what(self, dim: int) -> str:
        """Say what :meth:`stop` sends (for the log line while stopped)."""
        if not self.joint:
            return 'zero Twist'
        return 'zero commands' if self.zero_joints(dim) is not None else 'no commands'

    def zero_joints(self, dim: int) -> np.ndarray | None:
        """Return the joint command that stops driving, or None where there is none.

        Zero effort/velocity stops driving; a zero *position* would move the joints, so
        position commands and trajectories simply stop (the controller holds).
        """
        if self.command_type != 'float64_multi_array' or self.interface == 'position':
            return None
        return np.zeros(dim) if dim else None

    def repeat(self) -> None:
        """Publish the last command again (a lockstep resend of the step it answered)."""
        if self.joint:
            self.publish_joint(*self.last)
        else:
            self.publish_twist(*self.last)

    def publish_twist(
        self, stamp: int, v: float, w: float, intervention: bool, echo: bool = True
    ) -> None:
        """Publish ``(v m/s, w rad/s)``; echo it for observation ``stamp`` (µs) if ``echo``."""
        # Messages are built once and refilled: publish() serialises them, and building
        # three messages per command costs more than the MLP's forward pass.
        cmd, act = self._msgs
        if self.stamped:
            cmd.header.stamp = self._node.get_clock().now().to_msg()  # as ros2_control expects
            twist = cmd.twist
        else:
            twist = cmd
        twist.linear.x, twist.angular.z = v, w
        self.cmd_pub.publish(cmd)
        self.last_pub_wall = time.monotonic()
        if not echo:
            return  # a stop with no observation to answer: nothing for the learner
        act.header.stamp.sec, act.header.stamp.nanosec = divmod(max(stamp, 0), 1_000_000)
        act.header.stamp.nanosec *= 1000
        act.twist.linear.x, act.twist.angular.z = v, w
        self.action_pub.publish(act)
        self.intervention_pub.publish(self._flags[intervention])
        self.last = (stamp, v, w, intervention)
        self._diag.count('interventions' if intervention else 'commands')

    def publish_joint(self, stamp: int, command: np.ndarray) -> None:
        """Publish a joint command (physical units); echo it if it answers ``stamp`` >= 0."""
        values = [float(c) for c in command]
        if self.command_type == 'float64_multi_array':
            self.joint_cmd_pub.publish(Float64MultiArray(data=values))
        else:
            traj = JointTrajectory()
            traj.joint_names = list(self.names)
            point = JointTrajectoryPoint()
            setattr(point, _POINT_FIELD[self.interface], values)
            secs = max(float(self.time_from_start), 0.0)
            point.time_from_start = Duration(sec=int(secs), nanosec=int(round((secs % 1.0) * 1e9)))
            traj.points = [point]
            self.joint_cmd_pub.publish(traj)
        self.last_pub_wall = time.monotonic()
        if stamp < 0:
            return
        echo = JointState()
        echo.header.stamp.sec, echo.header.stamp.nanosec = divmod(stamp, 1_000_000)
        echo.header.stamp.nanosec *= 1000
        echo.name = list(self.names)
        setattr(echo, self.interface, values)
        self.joint_action_pub.publish(echo)
        self.last = (stamp, np.asarray(values))
        self._diag.count('commands')
