# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 robot_learning maintainers
"""Policy node: drives the robot from a checkpoint or from weights streamed by the learner.

Publishes ``cmd_vel`` at the observation rate (one command per synchronized
observation), clamped to ``max_linear``/``max_angular``. While ``teleop/cmd_vel`` is
active the human command is forwarded instead and marked as an intervention (HIL-SERL's
takeover, Luo et al. 2024). Every command is also published as ``action``
(TwistStamped, stamped with the observation it answers) for the learner and recorder.
If the newest observation is older than ``observation_timeout`` a zero Twist is sent.

Any policy checkpoint runs here unchanged (``robot_learning.policy.load_policy``): SAC and
IQL actors on the low-dimensional observation, behaviour-cloning policies that also need
the camera (``observation/image`` from camera_ingest, matched by stamp; resized if its
size differs from the checkpoint's) and keep an observation history, which is cleared
whenever a new ``instruction`` arrives (a new episode).

Joint-space robots and gymnasium environments (``observation_type: joint_state``): the
observation is ``joint_states`` (sensor_msgs/JointState, vector = position ‖ velocity ‖
effort, stamped) and the command goes out as ``std_msgs/Float64MultiArray`` on
``commands`` (ros2_control forward command controllers; remap to e.g.
``/forward_effort_controller/commands``) or ``trajectory_msgs/JointTrajectory`` on
``joint_trajectory`` (one point, ``trajectory_time_from_start`` ahead), clamped to the
per-joint limits ``joint_lower``/``joint_upper``. The stamped copy for the learner and the
recorder is ``joint_action`` (sensor_msgs/JointState, stamp = the observation's, the
command in the field named by ``command_interface``). A lockstep resend (same stamp
again) is answered with the command already sent.

Weights from the learner carry their send time (``sent_unix``); the delay from send to
the new actor being active is on diagnostics (``weights_latency_ms``).
"""

from __future__ import annotations

import time

from builtin_interfaces.msg import Duration
from geometry_msgs.msg import Twist, TwistStamped
import numpy as np
from rclpy.clock import Clock, ClockType
from rclpy.node import Node
from robot_learning.errors import CheckpointError, ConfigError, MessageError
from robot_learning.features import stamp_us, vector_from_joint_state, VectorObservation
from robot_learning.ingest import resize_rgb
from robot_learning.policy import load_policy, policy_from_bytes
from sensor_msgs.msg import JointState
from std_msgs.msg import Bool, Float64MultiArray, UInt8MultiArray
import torch
from trajectory_msgs.msg import JointTrajectory, JointTrajectoryPoint

from .common import COMMAND_QOS, declare, Diagnostics, LATCHED_QOS, SENSOR_QOS, spin_node

_OBSERVATION_TYPES = ('navigation', 'joint_state')
_COMMAND_TYPES = ('twist', 'float64_multi_array', 'joint_trajectory')
_INTERFACES = ('effort', 'velocity', 'position')
from .observation import ObservationStreams, RawObservation


class PolicyNode(Node):
    """See module docstring. Parameters are declared with descriptors in ``__init__``."""

    def __init__(self, **kwargs):
        super().__init__('policy_node', **kwargs)
        self.checkpoint = declare(
            self,
            'checkpoint',
            '',
            'checkpoint directory to act from (' ' = wait for learner weights)',
        )
        self.deterministic = declare(
            self,
            'deterministic',
            True,
            'act with the mean action (false: sample, for exploration)',
        )
        self.max_linear = declare(self, 'max_linear', 0.6, 'clamp |linear.x| (m/s)')
        self.max_angular = declare(self, 'max_angular', 1.5, 'clamp |angular.z| (rad/s)')
        self.obs_timeout = declare(
            self,
            'observation_timeout',
            0.5,
            'observation age (s) after which a zero Twist is sent',
        )
        self.teleop_timeout = declare(
            self,
            'teleop_timeout',
            0.5,
            'teleop counts as active this long (s, wall) after its last message',
        )
        teleop_stamped = declare(
            self, 'teleop_stamped', True, 'teleop/cmd_vel is TwistStamped (false: Twist)'
        )
        self.accept_weights = declare(
            self, 'accept_weights', True, 'take weights published on policy/weights'
        )
        torch.set_num_threads(declare(self, 'torch_threads', 1, 'torch intra-op threads'))

        self.observation_type = declare(
            self,
            'observation_type',
            'navigation',
            "'navigation' (LiDAR sectors, detections, odometry, instruction) or "
            "'joint_state' (the vector of joint_states: position, velocity, effort)",
            read_only=True,
        )
        self.command_type = declare(
            self,
            'command_type',
            'twist',
            "'twist' (cmd_vel), 'float64_multi_array' (commands, ros2_control forward "
            "controllers) or 'joint_trajectory' (joint_trajectory)",
            read_only=True,
        )
        self.joint_names = list(
            declare(
                self,
                'joint_names',
                [''],
                'joint names of joint commands (empty: ' "the checkpoint's)",
                read_only=True,
            )
        )
        self.joint_lower = list(
            declare(
                self,
                'joint_lower',
                [0.0],
                'per-joint lower command limits (joint '
                "units); empty or [0.0] with joint_upper [0.0]: the checkpoint's bounds",
            )
        )
        self.joint_upper = list(
            declare(self, 'joint_upper', [0.0], 'per-joint upper command limits (joint units)')
        )
        self.command_interface = declare(
            self,
            'command_interface',
            'effort',
            "what joint commands are: 'effort', 'velocity' or 'position' "
            '(the JointTrajectory point field and the joint_action field)',
            read_only=True,
        )
        self.time_from_start = declare(
            self,
            'trajectory_time_from_start',
            0.1,
            'JointTrajectory: the point is reached this long (s) after the message',
        )
        for name, value, allowed in (
            ('observation_type', self.observation_type, _OBSERVATION_TYPES),
            ('command_type', self.command_type, _COMMAND_TYPES),
            ('command_interface', self.command_interface, _INTERFACES),
        ):
            if value not in allowed:
                Node.destroy_node(self)
                raise ConfigError(f'policy_node: {name} {value!r} must be one of {list(allowed)}')
        self.joint_names = [n for n in self.joint_names if n]
        self.joint_mode = self.command_type != 'twist'

        self.diag = Diagnostics(self)
        self.policy = None
        self._wall = Clock(clock_type=ClockType.STEADY_TIME)
        self._teleop_wall = -1e9
        self._last_obs_stamp = -1
        self._last_obs_time = None
        self._last_obs: tuple[RawObservation, np.ndarray | None] | None = None
        self._last_scan_stamp = -1
        self._last_cmd: tuple | None = None  # (stamp, v, w, intervention) or (stamp, command)
        self._zero_sent = False
        self.last_weights_latency_ms: float | None = None
        self._latency_max_ms = 0.0
        self._limits = (None, None)
        self._names: list[str] = []
        if self.joint_mode:
            if self.command_type == 'float64_multi_array':
                self.joint_cmd_pub = self.create_publisher(
                    Float64MultiArray, 'commands', COMMAND_QOS
                )
            else:
                self.joint_cmd_pub = self.create_publisher(
                    JointTrajectory, 'joint_trajectory', COMMAND_QOS
                )
            self.joint_action_pub = self.create_publisher(JointState, 'joint_action', COMMAND_QOS)
        else:
            self.cmd_pub = self.create_publisher(Twist, 'cmd_vel', COMMAND_QOS)
            self.action_pub = self.create_publisher(TwistStamped, 'action', COMMAND_QOS)
            self.intervention_pub = self.create_publisher(Bool, 'intervention', COMMAND_QOS)
        self.streams = None
        if self.observation_type == 'navigation':
            self.streams = ObservationStreams(
                self,
                self.diag,
                self._on_observation,
                on_scan_stamp=self._on_scan_stamp,
                with_image=True,
                on_instruction=self._on_instruction,
            )
        else:
            self.create_subscription(JointState, 'joint_states', self._on_joint_state, SENSOR_QOS)
        if self.checkpoint:
            self._set_policy(load_policy(self.checkpoint))
            self.get_logger().info(
                f'acting from checkpoint {self.checkpoint} '
                f'({self.policy.metadata.get("algorithm", "?")}'
                f'{", camera" if self.policy.needs_image else ""})'
            )
        if self.accept_weights:
            self.create_subscription(
                UInt8MultiArray, 'policy/weights', self._on_weights, LATCHED_QOS
            )
        if not self.joint_mode:
            self.create_subscription(
                TwistStamped if teleop_stamped else Twist,
                'teleop/cmd_vel',
                self._on_teleop,
                COMMAND_QOS,
            )
        self.create_timer(max(self.obs_timeout / 2.0, 0.01), self._watchdog)

    # --- inputs ---------------------------------------------------------------------
    def _set_policy(self, policy) -> None:
        """Swap in ``policy``.

        Raises:
            CheckpointError: its action kind does not fit ``command_type`` or the joint
                limits (one line).
        """
        kind = getattr(policy.act_cfg, 'kind', 'twist')
        if (kind == 'joint') != self.joint_mode:
            raise CheckpointError(
                f'the policy commands a {kind} action, this node publishes '
                f'{self.command_type}: set command_type accordingly'
            )
        if self.joint_mode:
            self._check_joint_limits(policy.act_cfg)
        self.policy = policy
        if self.streams is not None:
            self.streams.require_image = bool(policy.needs_image)
        policy.reset()

    def _check_joint_limits(self, act_cfg) -> None:
        unset = all(v == 0.0 for v in self.joint_lower + self.joint_upper)
        if unset:
            self._limits = (np.asarray(act_cfg.low), np.asarray(act_cfg.high))
        else:
            lo, hi = np.asarray(self.joint_lower, float), np.asarray(self.joint_upper, float)
            if lo.shape != (act_cfg.dim,) or hi.shape != (act_cfg.dim,) or not (lo <= hi).all():
                raise CheckpointError(
                    f'joint_lower/joint_upper have {lo.size}/{hi.size} values, the policy '
                    f'commands {act_cfg.dim} joints (need lower <= upper)'
                )
            self._limits = (lo, hi)
        names = self.joint_names or list(act_cfg.names)
        if names and len(names) != act_cfg.dim:
            raise CheckpointError(
                f'joint_names has {len(names)} names, the policy commands {act_cfg.dim} joints'
            )
        self._names = names

    def _on_instruction(self, _text: str) -> None:
        if self.policy is not None:
            self.policy.reset()  # a new episode: forget the previous observation history

    def _on_weights(self, msg: UInt8MultiArray) -> None:
        t0 = time.perf_counter()
        try:
            policy = policy_from_bytes(
                msg.data.tobytes() if hasattr(msg.data, 'tobytes') else bytes(msg.data)
            )
            self._set_policy(policy)
        except CheckpointError as exc:
            self.diag.error('error_weights', f'rejected weights: {exc}')
            return
        self.diag.set('weights_version', policy.version)
        self.diag.set('weights_load_ms', f'{1e3 * (time.perf_counter() - t0):.1f}')
        sent = policy.metadata.get('sent_unix')
        if isinstance(sent, (int, float)):
            # Send (learner, before serialising) to active (here): both wall clocks; on one
            # machine exact, across machines as good as their clock sync.
            self.last_weights_latency_ms = 1e3 * (time.time() - sent)
            self._latency_max_ms = max(self._latency_max_ms, self.last_weights_latency_ms)
            self.diag.set('weights_latency_ms', f'{self.last_weights_latency_ms:.1f}')
            self.diag.set('weights_latency_max_ms', f'{self._latency_max_ms:.1f}')
        self.diag.count('weights_received')

    def _teleop_active(self) -> bool:
        return time.monotonic() - self._teleop_wall < self.teleop_timeout

    def _on_teleop(self, msg) -> None:
        t = msg.twist if isinstance(msg, TwistStamped) else msg
        v, w = t.linear.x, t.angular.z
        if not (np.isfinite(v) and np.isfinite(w)):
            self.diag.error(
                'error_teleop_nonfinite', 'teleop/cmd_vel has non-finite values; ignored'
            )
            return
        self._teleop_wall = time.monotonic()
        stamp = -1
        if isinstance(msg, TwistStamped) and (msg.header.stamp.sec or msg.header.stamp.nanosec):
            stamp = msg.header.stamp.sec * 1_000_000 + (msg.header.stamp.nanosec + 500) // 1000
        if stamp < 0:
            stamp = self._last_obs_stamp
        self._send(stamp, v, w, intervention=True)

    def _on_scan_stamp(self, stamp: int) -> None:
        # Lockstep resend (docs/interfaces.md): the sim repeats a step when no command came.
        # Only a scan stamp seen before is a resend (teleop may already have answered a
        # fresh one). Answer again with the command already sent for that stamp, or act
        # now on that observation if it arrived before there was a policy.
        repeat, self._last_scan_stamp = stamp == self._last_scan_stamp, stamp
        if not repeat:
            return
        if self._last_cmd is not None and self._last_cmd[0] == stamp:
            self.diag.count('resends_answered')
            self._send(*self._last_cmd)
        elif self._last_obs is not None and self._last_obs[0].stamp == stamp:
            self.diag.count('resends_answered')
            self._act(*self._last_obs)

    def _on_observation(self, obs: RawObservation, image: np.ndarray | None = None) -> None:
        if obs.stamp <= self._last_obs_stamp:
            return  # completed late: acting on it would send a second command for an old step
        self._last_obs_stamp = obs.stamp
        self._last_obs_time = self.get_clock().now().nanoseconds
        self._last_obs = (obs, image)
        self._zero_sent = False
        self.diag.count('observations')
        self._act(obs, image)

    def _act(self, obs: RawObservation, image: np.ndarray | None = None) -> None:
        if self._teleop_active() or self.policy is None:
            return
        policy = self.policy
        if policy.needs_image:
            if image is None:
                return  # a policy swapped in mid-step: the next observation carries its image
            w, h = policy.image_size
            if image.shape[:2] != (h, w):
                self.diag.error(
                    'warn_image_resized',
                    f'observation/image is {image.shape[1]}x'
                    f'{image.shape[0]}, the policy was trained on {w}x{h}: resizing here '
                    f'(set camera_ingest width/height to match)',
                )
                image = resize_rgb(image, w, h)
        try:
            action = policy.act_observation(obs, image, deterministic=self.deterministic)
        except MessageError as exc:
            self.diag.error('error_observation', str(exc))
            return
        v, w = policy.act_cfg.to_twist(action)
        self._send(obs.stamp, v, w, intervention=False)

    def _on_joint_state(self, msg: JointState) -> None:
        stamp = stamp_us(msg.header)
        if stamp == self._last_obs_stamp:
            # Lockstep resend of the step already answered (or seen before a policy came).
            if self._last_cmd is not None and self._last_cmd[0] == stamp:
                self.diag.count('resends_answered')
                self._publish_joint(*self._last_cmd)
            elif self._last_obs is not None:
                self._act_joint(self._last_obs[0])
            return
        vec = vector_from_joint_state(msg)
        if not np.isfinite(vec).all():
            self.diag.error(
                'error_observation_nonfinite',
                'joint_states has non-finite values; not acting on it',
            )
            return
        obs = VectorObservation(stamp, vec)
        if stamp < self._last_obs_stamp:
            return
        self._last_obs_stamp = stamp
        self._last_obs_time = self.get_clock().now().nanoseconds
        self._last_obs = (obs, None)
        self._zero_sent = False
        self.diag.count('observations')
        self._act_joint(obs)

    def _act_joint(self, obs: VectorObservation) -> None:
        if self.policy is None:
            return
        try:
            action = self.policy.act_observation(obs, None, deterministic=self.deterministic)
        except MessageError as exc:
            self.diag.error('error_observation', str(exc))
            return
        command = np.clip(self.policy.act_cfg.to_command(action), *self._limits)
        self._publish_joint(obs.stamp, command)

    def _publish_joint(self, stamp: int, command: np.ndarray) -> None:
        values = [float(c) for c in command]
        if self.command_type == 'float64_multi_array':
            self.joint_cmd_pub.publish(Float64MultiArray(data=values))
        else:
            traj = JointTrajectory()
            traj.joint_names = list(self._names)
            point = JointTrajectoryPoint()
            setattr(
                point,
                {'effort': 'effort', 'velocity': 'velocities', 'position': 'positions'}[
                    self.command_interface
                ],
                values,
            )
            secs = max(float(self.time_from_start), 0.0)
            point.time_from_start = Duration(sec=int(secs), nanosec=int(round((secs % 1.0) * 1e9)))
            traj.points = [point]
            self.joint_cmd_pub.publish(traj)
        echo = JointState()
        if stamp >= 0:
            echo.header.stamp.sec, echo.header.stamp.nanosec = (
                stamp // 1_000_000,
                (stamp % 1_000_000) * 1000,
            )
        echo.name = list(self._names)
        setattr(echo, self.command_interface, values)
        self.joint_action_pub.publish(echo)
        self._last_cmd = (stamp, np.asarray(values))
        self.diag.count('commands')

    def _watchdog(self) -> None:
        if self._last_obs_time is None or self._teleop_active():
            return
        age = (self.get_clock().now().nanoseconds - self._last_obs_time) * 1e-9
        if age > self.obs_timeout and not self._zero_sent:
            self._zero_sent = True
            if not self.joint_mode:
                self.cmd_pub.publish(Twist())
                what = 'sent zero Twist'
            elif (
                self.command_interface != 'position'
                and self.command_type == 'float64_multi_array'
                and self.policy is not None
            ):
                # Zero effort/velocity stops driving; a zero *position* would move the
                # joints, so position commands (and trajectories) simply stop.
                self.joint_cmd_pub.publish(Float64MultiArray(data=[0.0] * self.policy.act_cfg.dim))
                what = 'sent zero commands'
            else:
                what = 'stopped commanding'
            self.diag.error(
                'error_stale_observation',
                f'newest observation is {age:.2f} s old (> {self.obs_timeout} s): {what}',
            )

    # --- output ---------------------------------------------------------------------
    def _send(self, stamp: int, v: float, w: float, intervention: bool) -> None:
        v = float(np.clip(v, -self.max_linear, self.max_linear))
        w = float(np.clip(w, -self.max_angular, self.max_angular))
        cmd = Twist()
        cmd.linear.x, cmd.angular.z = v, w
        self.cmd_pub.publish(cmd)
        act = TwistStamped()
        if stamp >= 0:
            act.header.stamp.sec, act.header.stamp.nanosec = (
                stamp // 1_000_000,
                (stamp % 1_000_000) * 1000,
            )
        act.header.frame_id = 'base_link'
        act.twist = cmd
        self.action_pub.publish(act)
        self.intervention_pub.publish(Bool(data=intervention))
        self._last_cmd = (stamp, v, w, intervention)
        self.diag.count('interventions' if intervention else 'commands')


def main(args=None) -> None:
    """Entry point ``policy_node``."""
    spin_node(PolicyNode, args)


if __name__ == '__main__':
    main()
