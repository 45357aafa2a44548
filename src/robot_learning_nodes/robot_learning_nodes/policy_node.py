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
"""

from __future__ import annotations

import time

import numpy as np
import torch
from geometry_msgs.msg import Twist, TwistStamped
from rclpy.clock import Clock, ClockType
from rclpy.node import Node
from std_msgs.msg import Bool, UInt8MultiArray

from robot_learning.errors import CheckpointError, MessageError
from robot_learning.ingest import resize_rgb
from robot_learning.policy import load_policy, policy_from_bytes

from .common import COMMAND_QOS, LATCHED_QOS, Diagnostics, declare, spin_node
from .observation import ObservationStreams, RawObservation


class PolicyNode(Node):
    """See module docstring. Parameters are declared with descriptors in ``__init__``."""

    def __init__(self, **kwargs):
        super().__init__('policy_node', **kwargs)
        self.checkpoint = declare(self, 'checkpoint', '', 'checkpoint directory to act from ('' = wait for learner weights)')
        self.deterministic = declare(self, 'deterministic', True, 'act with the mean action (false: sample, for exploration)')
        self.max_linear = declare(self, 'max_linear', 0.6, 'clamp |linear.x| (m/s)')
        self.max_angular = declare(self, 'max_angular', 1.5, 'clamp |angular.z| (rad/s)')
        self.obs_timeout = declare(self, 'observation_timeout', 0.5, 'observation age (s) after which a zero Twist is sent')
        self.teleop_timeout = declare(self, 'teleop_timeout', 0.5, 'teleop counts as active this long (s, wall) after its last message')
        teleop_stamped = declare(self, 'teleop_stamped', True, 'teleop/cmd_vel is TwistStamped (false: Twist)')
        self.accept_weights = declare(self, 'accept_weights', True, 'take weights published on policy/weights')
        torch.set_num_threads(declare(self, 'torch_threads', 1, 'torch intra-op threads'))

        self.diag = Diagnostics(self)
        self.cmd_pub = self.create_publisher(Twist, 'cmd_vel', COMMAND_QOS)
        self.action_pub = self.create_publisher(TwistStamped, 'action', COMMAND_QOS)
        self.intervention_pub = self.create_publisher(Bool, 'intervention', COMMAND_QOS)
        self.policy = None
        self.streams = ObservationStreams(self, self.diag, self._on_observation,
                                          on_scan_stamp=self._on_scan_stamp, with_image=True,
                                          on_instruction=self._on_instruction)
        if self.checkpoint:
            self._set_policy(load_policy(self.checkpoint))
            self.get_logger().info(f'acting from checkpoint {self.checkpoint} '
                                   f'({self.policy.metadata.get("algorithm", "?")}'
                                   f'{", camera" if self.policy.needs_image else ""})')
        if self.accept_weights:
            self.create_subscription(UInt8MultiArray, 'policy/weights', self._on_weights, LATCHED_QOS)
        self.create_subscription(TwistStamped if teleop_stamped else Twist, 'teleop/cmd_vel',
                                 self._on_teleop, COMMAND_QOS)
        self._wall = Clock(clock_type=ClockType.STEADY_TIME)
        self._teleop_wall = -1e9
        self._last_obs_stamp = -1
        self._last_obs_time = None
        self._last_obs: tuple[RawObservation, np.ndarray | None] | None = None
        self._last_scan_stamp = -1
        self._last_cmd: tuple[int, float, float, bool] | None = None
        self._zero_sent = False
        self.create_timer(max(self.obs_timeout / 2.0, 0.01), self._watchdog)

    # --- inputs ---------------------------------------------------------------------
    def _set_policy(self, policy) -> None:
        self.policy = policy
        self.streams.require_image = bool(policy.needs_image)
        policy.reset()

    def _on_instruction(self, _text: str) -> None:
        if self.policy is not None:
            self.policy.reset()  # a new episode: forget the previous observation history

    def _on_weights(self, msg: UInt8MultiArray) -> None:
        t0 = time.perf_counter()
        try:
            policy = policy_from_bytes(bytes(msg.data))
        except CheckpointError as exc:
            self.diag.error('error_weights', f'rejected weights: {exc}')
            return
        self._set_policy(policy)
        self.diag.set('weights_version', policy.version)
        self.diag.set('weights_load_ms', f'{1e3 * (time.perf_counter() - t0):.1f}')
        self.diag.count('weights_received')

    def _teleop_active(self) -> bool:
        return time.monotonic() - self._teleop_wall < self.teleop_timeout

    def _on_teleop(self, msg) -> None:
        t = msg.twist if isinstance(msg, TwistStamped) else msg
        v, w = t.linear.x, t.angular.z
        if not (np.isfinite(v) and np.isfinite(w)):
            self.diag.error('error_teleop_nonfinite', 'teleop/cmd_vel has non-finite values; ignored')
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
                self.diag.error('warn_image_resized', f'observation/image is {image.shape[1]}x'
                                f'{image.shape[0]}, the policy was trained on {w}x{h}: resizing here '
                                f'(set camera_ingest width/height to match)')
                image = resize_rgb(image, w, h)
        try:
            action = policy.act_observation(obs, image, deterministic=self.deterministic)
        except MessageError as exc:
            self.diag.error('error_observation', str(exc))
            return
        v, w = policy.act_cfg.to_twist(action)
        self._send(obs.stamp, v, w, intervention=False)

    def _watchdog(self) -> None:
        if self._last_obs_time is None or self._teleop_active():
            return
        age = (self.get_clock().now().nanoseconds - self._last_obs_time) * 1e-9
        if age > self.obs_timeout and not self._zero_sent:
            self.cmd_pub.publish(Twist())
            self._zero_sent = True
            self.diag.error('error_stale_observation',
                            f'newest observation is {age:.2f} s old (> {self.obs_timeout} s): sent zero Twist')

    # --- output ---------------------------------------------------------------------
    def _send(self, stamp: int, v: float, w: float, intervention: bool) -> None:
        v = float(np.clip(v, -self.max_linear, self.max_linear))
        w = float(np.clip(w, -self.max_angular, self.max_angular))
        cmd = Twist()
        cmd.linear.x, cmd.angular.z = v, w
        self.cmd_pub.publish(cmd)
        act = TwistStamped()
        if stamp >= 0:
            act.header.stamp.sec, act.header.stamp.nanosec = stamp // 1_000_000, (stamp % 1_000_000) * 1000
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
