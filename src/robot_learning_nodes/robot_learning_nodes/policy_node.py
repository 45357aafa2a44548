# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 robot_learning maintainers
"""Policy node: drives the robot from a checkpoint or from weights streamed by the learner.

One command per synchronized observation on ``cmd_vel``. ``command_type`` picks what goes
out: ``twist_stamped`` (default; geometry_msgs/TwistStamped, stamped with the node clock,
frame ``frame_id``: what Jazzy's ros2_control ``diff_drive_controller`` takes), ``twist``
(plain Twist: older stacks, Gazebo's DiffDrive), or joint commands (below). While
``teleop/cmd_vel`` is active (plain Twist, as ``teleop_twist_joy`` publishes; TwistStamped
with ``teleop_stamped``) the human command goes out instead, marked as an intervention
(HIL-SERL's takeover, Luo et al. 2024). Every command is also published as ``action``
(TwistStamped, stamped with the observation it answers) for the learner and recorder.

Safety layer (``robot_learning.safety``): commands are bounded to
[``min_linear``, ``max_linear``] m/s and [``min_angular``, ``max_angular``] rad/s
intersected with the checkpoint's action space, then rate-limited by
``max_{linear,angular}_{accel,decel}`` using the time between commands. Zero commands go
out at ``command_rate`` (steady clock) while the newest observation is older than
``observation_timeout``, the node is disabled (``enable``, std_srvs/SetBool) or the e-stop
is engaged (``e_stop``, std_msgs/Bool: latched by true until a false). Disabled and stale
stop the policy; the e-stop stops teleop too. Streamed weights holding any non-finite
value are refused (the last good policy keeps acting). Limits, ``deterministic`` and the
timeouts are live parameters; the rest are read-only.

Any policy checkpoint runs here (``robot_learning.policy.load_policy``): SAC and IQL
actors on the low-dimensional observation, behaviour-cloning policies that also need the
camera (``observation/image`` from camera_ingest, matched by stamp; resized if its size
differs) and keep an observation history, cleared on a new ``instruction``.

Joint-space robots (``observation_type: joint_state``): the observation is
``joint_states`` (position ‖ velocity ‖ effort, stamped); the command is
``std_msgs/Float64MultiArray`` on ``commands`` (``command_type: float64_multi_array``,
ros2_control forward controllers) or ``trajectory_msgs/JointTrajectory`` on
``joint_trajectory`` (one point ``trajectory_time_from_start`` ahead), clamped to
``joint_lower``/``joint_upper``; the stamped copy is ``joint_action`` (JointState, the
command in the field ``command_interface``). Stopped, effort/velocity arrays are zeroed;
positions and trajectories are no longer sent (the controller holds). A lockstep resend
(same stamp again) is answered with the command already sent.

Weights from the learner carry their send time (``sent_unix``); the delay from send to
the new actor acting is on diagnostics (``weights_latency_ms``).

MC-dropout ``uncertainty`` and ``takeover_request`` (``uncertainty_samples``,
``takeover_uncertainty``): :mod:`.policy_uncertainty`.
"""

from __future__ import annotations

import time

import numpy as np
from rclpy.clock import Clock, ClockType
from rclpy.node import Node
from robot_learning.common.features import stamp_us, vector_from_joint_state, VectorObservation
from robot_learning.data.ingest import resize_rgb
from robot_learning.errors import MessageError
from robot_learning.policy import load_policy
from robot_learning.safety import E_STOP
from sensor_msgs.msg import JointState
import torch

from .diagnostics import Diagnostics
from .modes import joint_commands
from .observation import ObservationStreams, RawObservation
from .params import declare, live_parameters, one_of
from .policy_output import CommandOutput
from .policy_params import CHOICES, PARAMETERS
from .policy_safety import PolicySafety
from .policy_teleop import TeleopInput
from .policy_uncertainty import PolicyUncertainty
from .policy_weights import WeightsReceiver
from .qos import SENSOR_QOS
from .spin import spin_node


class PolicyNode(Node):
    """See module docstring; parameters: :data:`.policy_params.PARAMETERS`."""

    def __init__(self, **kwargs):
        super().__init__('policy_node', **kwargs)
        p = {name: declare(self, name, d, doc, **kw) for name, (d, doc, kw) in PARAMETERS.items()}
        try:
            for name, allowed in CHOICES.items():
                one_of(self, name, p[name], allowed)
        except Exception:
            Node.destroy_node(self)
            raise
        self.checkpoint, self.deterministic = p['checkpoint'], p['deterministic']
        torch.set_num_threads(p['torch_threads'])
        self.observation_type, self.command_type = p['observation_type'], p['command_type']
        self.joint_commands = joint_commands(self.command_type)
        self.joint_names = [n for n in p['joint_names'] if n]
        self.diag = Diagnostics(self)
        self.diag.task('observations', keys=('observations',),
                       errors=('error_observation', 'error_observation_nonfinite',
                               'warn_image_resized'))
        self.diag.task('commands', keys=('commands', 'interventions', 'resends_answered'),
                       errors=('error_teleop_nonfinite', 'error_command_nonfinite'))
        self.diag.task('safety', keys=('stop_commands', 'e_stop_messages', 'teleop_blocked'),
                       errors=('error_stale_observation', 'error_limits'))
        self.diag.task('weights', keys=('weights_received',),
                       errors=('error_weights', 'error_weights_nonfinite'))
        self.uncertainty = PolicyUncertainty(
            self, self.diag, p['uncertainty_samples'], p['takeover_uncertainty']
        )
        self.safety = PolicySafety(
            self, self.diag, p, self.joint_commands,
            stop=lambda: self._publish_stop(-1),
            teleop_active=self._teleop_active,
            refresh=lambda: self.safety.update(self._stop_reason(), self._stop_what()),
        )
        self.gate, self.limiter = self.safety.gate, self.safety.limiter
        self.out = CommandOutput(
            self, self.diag, self.command_type, p['command_interface'], p['frame_id'],
            self.limiter,
        )
        self.out.time_from_start = p['trajectory_time_from_start']
        self.policy = None
        self._period = 1.0 / p['command_rate']
        self._wall = Clock(clock_type=ClockType.STEADY_TIME)
        self._last_obs_stamp = -1
        self._last_obs_time = None
        self._last_obs: RawObservation | VectorObservation | None = None
        self._last_scan_stamp = -1
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
        self.weights = None
        if p['accept_weights']:
            self.weights = WeightsReceiver(self, self.diag, lambda: self.policy, self._set_policy)
        self.teleop = TeleopInput(
            self, self.diag, self.gate, self.out.send, lambda: self._last_obs_stamp,
            p['teleop_stamped'], p['teleop_timeout'], subscribe=not self.joint_commands,
        )
        self.create_timer(self._period, self._on_tick, clock=self._wall)
        live = self.safety.appliers()
        live.update(
            deterministic=lambda v: setattr(self, 'deterministic', bool(v)),
            teleop_timeout=lambda v: setattr(self.teleop, 'timeout_s', float(v)),
            trajectory_time_from_start=lambda v: setattr(self.out, 'time_from_start', float(v)),
            takeover_uncertainty=lambda v: setattr(self.uncertainty, 'threshold', float(v)),
        )
        live_parameters(self, live)
        self.safety.update(self._stop_reason(), self._stop_what())

    @property
    def obs_timeout(self) -> float:
        """Observation age, s, after which zero commands go out (live parameter)."""
        return self.safety.obs_timeout

    # --- inputs ---------------------------------------------------------------------
    def _set_policy(self, policy) -> None:
        """Swap in ``policy``.

        Raises:
            CheckpointError: its action kind does not fit ``command_type``, the joint limits
                or the velocity bounds (one line).
        """
        names = self.safety.admit(policy, self.command_type, self.joint_names)
        if self.joint_commands:
            self.out.names = names
        self.policy = policy
        if self.streams is not None:
            self.streams.require_image = bool(policy.needs_image)
        policy.reset()

    def _on_instruction(self, _text: str) -> None:
        if self.policy is not None:
            self.policy.reset()  # a new episode: forget the previous observation history

    def _teleop_active(self) -> bool:
        return self.teleop.active()

    def _on_scan_stamp(self, stamp: int) -> None:
        # Lockstep resend (docs/interfaces.md): the sim repeats a step when no command came.
        # Only a scan stamp seen before is a resend (teleop may already have answered a
        # fresh one). Answer again with the command already sent for that stamp, or act
        # now on that observation if it arrived before there was a policy.
        repeat, self._last_scan_stamp = stamp == self._last_scan_stamp, stamp
        if repeat:
            self._answer_resend(stamp)

    def _answer_resend(self, stamp: int) -> None:
        if self.safety.stopped():
            self._publish_stop(stamp)  # never replay a command given before the stop
        elif self.out.last is not None and self.out.last[0] == stamp:
            self.diag.count('resends_answered')
            self.out.repeat()
        elif self._last_obs is not None and self._last_obs.stamp == stamp:
            self.diag.count('resends_answered')
            self._act(self._last_obs)

    def _on_observation(self, obs: RawObservation, image: np.ndarray | None = None) -> None:
        if obs.stamp <= self._last_obs_stamp:
            return  # completed late: acting on it would send a second command for an old step
        self._act(self._fresh(obs._replace(image=image)))

    def _on_joint_state(self, msg: JointState) -> None:
        stamp = stamp_us(msg.header)
        if stamp == self._last_obs_stamp:
            # Lockstep resend of the step already answered (or seen before a policy came).
            self._answer_resend(stamp)
            return
        vec = vector_from_joint_state(msg)
        if not np.isfinite(vec).all():
            self.diag.error(
                'error_observation_nonfinite',
                'joint_states has non-finite values; not acting on it',
            )
            return
        if stamp >= self._last_obs_stamp:
            self._act(self._fresh(VectorObservation(stamp, vec)))

    def _fresh(self, obs):
        self._last_obs_stamp = obs.stamp
        self._last_obs_time = self.get_clock().now().nanoseconds
        self._last_obs = obs
        self.diag.count('observations')
        return obs

    def _act(self, obs) -> None:
        if self.safety.stopped():
            self._publish_stop(obs.stamp)  # answered, so a lockstep sim keeps stepping
            return
        policy = self.policy
        if policy is None or self._teleop_active():
            return
        if policy.needs_image:
            image = obs.image
            if image is None:
                return  # a policy swapped in mid-step: the next observation carries its image
            w, h = policy.image_size
            if image.shape[:2] != (h, w):
                self.diag.error(
                    'warn_image_resized',
                    f'observation/image is {image.shape[1]}x{image.shape[0]}, the policy was '
                    f'trained on {w}x{h}: resizing here (set camera_ingest width/height)',
                )
                obs = obs._replace(image=resize_rgb(image, w, h))
        try:
            action = self.uncertainty.act(policy, obs, self.deterministic)
        except MessageError as exc:
            self.diag.error('error_observation', str(exc))
            return
        if self.joint_commands:
            command = np.clip(policy.act_cfg.to_command(action), *self.safety.joint_limits)
            self.out.publish_joint(obs.stamp, command)
        else:
            self.out.send(obs.stamp, *policy.act_cfg.to_twist(action), intervention=False)

    # --- stopping -------------------------------------------------------------------
    def _stop_reason(self) -> str | None:
        age = None
        if self._last_obs_time is not None:
            age = (self.get_clock().now().nanoseconds - self._last_obs_time) * 1e-9
        return self.safety.stop_reason(age)

    def _on_tick(self) -> None:
        """Steady-clock timer at ``command_rate``: zero commands while stopped."""
        reason = self._stop_reason()
        if reason != self.safety.reason:
            self.safety.update(reason, self._stop_what())
        if reason is None or (reason != E_STOP and self._teleop_active()):
            return
        if time.monotonic() - self.out.last_pub_wall >= 0.9 * self._period:
            self._publish_stop(-1)  # nothing went out this period (no observation answered)

    def _dim(self) -> int:
        return self.policy.act_cfg.dim if self.policy is not None else len(self.out.names)

    def _stop_what(self) -> str:
        return self.out.stop_what(self._dim())

    def _publish_stop(self, stamp: int) -> None:
        self.out.stop(stamp, self._dim())


def main(args=None) -> None:
    """Entry point ``policy_node``."""
    spin_node(PolicyNode, args)


if __name__ == '__main__':
    main()
