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
"""

from __future__ import annotations

import time

from builtin_interfaces.msg import Duration
from geometry_msgs.msg import Twist, TwistStamped
import numpy as np
from rclpy.clock import Clock, ClockType
from rclpy.node import Node
from robot_learning.common.features import stamp_us, vector_from_joint_state, VectorObservation
from robot_learning.data.ingest import resize_rgb
from robot_learning.errors import CheckpointError, ConfigError, MessageError
from robot_learning.policy import load_policy, policy_from_bytes
from robot_learning.safety import (
    CommandLimiter,
    E_STOP,
    nonfinite_weights,
    STALE,
    StopGate,
    VelocityLimits,
)
from sensor_msgs.msg import JointState
from std_msgs.msg import Bool, Float64MultiArray, UInt8MultiArray
from std_srvs.srv import SetBool
import torch
from trajectory_msgs.msg import JointTrajectory, JointTrajectoryPoint

from .common import (
    COMMAND_QOS,
    declare,
    Diagnostics,
    LATCHED_QOS,
    live_parameters,
    SENSOR_QOS,
    spin_node,
)
from .health import ERROR, OK, WARN
from .observation import ObservationStreams, RawObservation

_OBSERVATION_TYPES = ('navigation', 'joint_state')
_COMMAND_TYPES = ('twist_stamped', 'twist', 'float64_multi_array', 'joint_trajectory')
_INTERFACES = ('effort', 'velocity', 'position')
# Parameter -> VelocityLimits field; all applied live.
_LIMITS = {
    'max_linear_accel': 'linear_accel',
    'max_linear_decel': 'linear_decel',
    'max_angular_accel': 'angular_accel',
    'max_angular_decel': 'angular_decel',
}
_BOUNDS = ('min_linear', 'max_linear', 'min_angular', 'max_angular')
_RO = {'read_only': True}
# name -> (default, description, declare() keywords). Live ones are applied in
# PolicyNode.__init__ (live_parameters); every other one is read-only.
_PARAMETERS = {
    'checkpoint': ('', 'checkpoint directory to act from (empty: learner weights)', _RO),
    'deterministic': (True, 'act with the mean action (false: sample, explore)', {}),
    'min_linear': (-0.6, 'lowest linear.x (reverse), m/s', {'min_value': -10.0, 'max_value': 0.0}),
    'max_linear': (0.6, 'highest linear.x, m/s', {'min_value': 0.0, 'max_value': 10.0}),
    'min_angular': (-1.5, 'lowest angular.z, rad/s', {'min_value': -20.0, 'max_value': 0.0}),
    'max_angular': (1.5, 'highest angular.z, rad/s', {'min_value': 0.0, 'max_value': 20.0}),
    **{
        name: (0.0, f'{name[4:].replace("_", " ")} limit, {"m" if "linear" in name else "rad"}'
               '/s^2 (0: none)', {'min_value': 0.0, 'max_value': 100.0})
        for name in _LIMITS
    },
    'command_rate': (10.0, 'rate of the zero commands while stopped, Hz',
                     {**_RO, 'min_value': 1.0, 'max_value': 200.0}),
    'observation_timeout': (0.5, 'observation age (s) after which zero commands are sent',
                            {'min_value': 0.01, 'max_value': 60.0}),
    'teleop_timeout': (0.5, 'teleop counts as active this long (s, wall) after its last message',
                       {'min_value': 0.0, 'max_value': 60.0}),
    'teleop_stamped': (False, 'teleop/cmd_vel is TwistStamped (false: Twist, as '
                       'teleop_twist_joy publishes)', _RO),
    'frame_id': ('base_link', 'frame_id of TwistStamped commands', _RO),
    'start_enabled': (True, 'start enabled (false: zero commands until enable)', _RO),
    'accept_weights': (True, 'take weights published on policy/weights', _RO),
    'torch_threads': (1, 'torch intra-op threads', {**_RO, 'min_value': 1, 'max_value': 256}),
    'observation_type': ('navigation', f'one of {list(_OBSERVATION_TYPES)}: navigation (LiDAR '
                         'sectors, detections, odometry, instruction) or joint_state', _RO),
    'command_type': ('twist_stamped', f'one of {list(_COMMAND_TYPES)}: cmd_vel TwistStamped or '
                     'Twist, commands (forward controllers) or joint_trajectory', _RO),
    'joint_names': ([''], "joint names of joint commands (empty: the checkpoint's)", _RO),
    'joint_lower': ([0.0], 'per-joint lower command limits; [0.0] with joint_upper [0.0]: '
                    "the checkpoint's", {}),
    'joint_upper': ([0.0], 'per-joint upper command limits', {}),
    'command_interface': ('effort', f'one of {list(_INTERFACES)}: the JointTrajectory point and '
                          'joint_action field', _RO),
    'trajectory_time_from_start': (0.1, 'JointTrajectory: the point is reached this long (s) '
                                   'after the message', {'min_value': 0.0, 'max_value': 3600.0}),
}


class PolicyNode(Node):
    """See module docstring. Parameters are declared with descriptors in ``__init__``."""

    def __init__(self, **kwargs):
        super().__init__('policy_node', **kwargs)
        p = {name: declare(self, name, d, doc, **kw) for name, (d, doc, kw) in _PARAMETERS.items()}
        self.checkpoint, self.deterministic = p['checkpoint'], p['deterministic']
        self._bounds = {name: p[name] for name in _BOUNDS}
        self._rates = {name: p[name] for name in _LIMITS}
        self.command_rate, self.obs_timeout = p['command_rate'], p['observation_timeout']
        self.teleop_timeout, self.frame_id = p['teleop_timeout'], p['frame_id']
        self.accept_weights = p['accept_weights']
        torch.set_num_threads(p['torch_threads'])
        self.observation_type, self.command_type = p['observation_type'], p['command_type']
        self.command_interface = p['command_interface']
        self.joint_names = [n for n in p['joint_names'] if n]
        self.joint_lower, self.joint_upper = list(p['joint_lower']), list(p['joint_upper'])
        self.time_from_start = p['trajectory_time_from_start']
        for name, value, allowed in (
            ('observation_type', self.observation_type, _OBSERVATION_TYPES),
            ('command_type', self.command_type, _COMMAND_TYPES),
            ('command_interface', self.command_interface, _INTERFACES),
        ):
            if value not in allowed:
                Node.destroy_node(self)
                raise ConfigError(f'policy_node: {name} {value!r} must be one of {list(allowed)}')
        self.joint_mode = self.command_type not in ('twist_stamped', 'twist')
        self._stamped = self.command_type == 'twist_stamped'

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
        self.gate = StopGate(enabled=p['start_enabled'])
        self._period = 1.0 / self.command_rate
        self.limiter = CommandLimiter(self._velocity_limits(None), self._period, self.obs_timeout)
        self.policy = None
        self._wall = Clock(clock_type=ClockType.STEADY_TIME)
        self._teleop_wall = -1e9
        self._last_obs_stamp = -1
        self._last_obs_time = None
        self._last_obs: tuple[RawObservation, np.ndarray | None] | None = None
        self._last_scan_stamp = -1
        self._last_cmd: tuple | None = None  # (stamp, v, w, intervention) or (stamp, command)
        self._last_pub_wall = -1e9
        self._reason: str | None = None
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
            self.cmd_pub = self.create_publisher(
                TwistStamped if self._stamped else Twist, 'cmd_vel', COMMAND_QOS
            )
            self.action_pub = self.create_publisher(TwistStamped, 'action', COMMAND_QOS)
            self.intervention_pub = self.create_publisher(Bool, 'intervention', COMMAND_QOS)
            self._msgs = (TwistStamped() if self._stamped else Twist(), TwistStamped())
            for m in self._msgs:
                if isinstance(m, TwistStamped):
                    m.header.frame_id = self.frame_id
            self._flags = {False: Bool(data=False), True: Bool(data=True)}
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
                TwistStamped if p['teleop_stamped'] else Twist,
                'teleop/cmd_vel',
                self._on_teleop,
                COMMAND_QOS,
            )
        self.create_subscription(Bool, 'e_stop', self._on_e_stop, COMMAND_QOS)
        self.create_service(SetBool, 'enable', self._on_enable)
        self.create_timer(self._period, self._on_tick, clock=self._wall)
        live = {name: (lambda v, n=name: self._set_limit(n, v)) for name in (*_BOUNDS, *_LIMITS)}
        live.update(
            deterministic=lambda v: setattr(self, 'deterministic', bool(v)),
            observation_timeout=self._set_obs_timeout,
            teleop_timeout=lambda v: setattr(self, 'teleop_timeout', float(v)),
            trajectory_time_from_start=lambda v: setattr(self, 'time_from_start', float(v)),
            joint_lower=lambda v: self._set_joint_limits(list(v), self.joint_upper),
            joint_upper=lambda v: self._set_joint_limits(self.joint_lower, list(v)),
        )
        live_parameters(self, live)
        self._update_safety(self._stop_reason())

    # --- parameters -----------------------------------------------------------------
    def _velocity_limits(self, policy) -> VelocityLimits:
        """Parameter bounds and rates, tightened to ``policy``'s action space (if Twist).

        Raises:
            ConfigError: the bounds are invalid or do not overlap the action space.
        """
        b = self._bounds
        limits = VelocityLimits(
            linear=(b['min_linear'], b['max_linear']),
            angular=(b['min_angular'], b['max_angular']),
            **{field: self._rates[name] for name, field in _LIMITS.items()},
        )
        act = getattr(policy, 'act_cfg', None)
        if act is not None and getattr(act, 'kind', 'twist') != 'joint':
            limits = limits.tightened(act.linear, act.angular)
        return limits

    def _set_limit(self, name: str, value: float) -> None:
        table = self._bounds if name in self._bounds else self._rates
        old, table[name] = table[name], float(value)
        try:
            self.limiter.limits = self._velocity_limits(self.policy)
        except ConfigError:
            table[name] = old
            raise

    def _set_obs_timeout(self, value: float) -> None:
        self.obs_timeout = self.limiter.gap_s = float(value)

    def _set_joint_limits(self, lower: list, upper: list) -> None:
        if self.policy is not None and self.joint_mode:
            old = (self.joint_lower, self.joint_upper)
            self.joint_lower, self.joint_upper = lower, upper
            try:
                self._check_joint_limits(self.policy.act_cfg)
            except CheckpointError as exc:
                self.joint_lower, self.joint_upper = old
                raise ConfigError(str(exc)) from None
        elif len(lower) != len(upper) or any(lo > hi for lo, hi in zip(lower, upper)):
            raise ConfigError('joint_lower/joint_upper need equal lengths and lower <= upper')
        self.joint_lower, self.joint_upper = lower, upper

    # --- inputs ---------------------------------------------------------------------
    def _set_policy(self, policy) -> None:
        """Swap in ``policy``.

        Raises:
            CheckpointError: its action kind does not fit ``command_type``, the joint limits
                or the velocity bounds (one line).
        """
        kind = getattr(policy.act_cfg, 'kind', 'twist')
        if (kind == 'joint') != self.joint_mode:
            raise CheckpointError(
                f'the policy commands a {kind} action, this node publishes '
                f'{self.command_type}: set command_type accordingly'
            )
        if self.joint_mode:
            self._check_joint_limits(policy.act_cfg)
        else:
            try:
                self.limiter.limits = self._velocity_limits(policy)
            except ConfigError as exc:
                raise CheckpointError(str(exc)) from None
            lo, hi = self.limiter.limits.linear
            self.diag.set('linear_bounds', f'[{lo:g}, {hi:g}]', task='safety')
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
        data = msg.data.tobytes() if hasattr(msg.data, 'tobytes') else bytes(msg.data)
        keep = f'version {self.policy.version}' if self.policy is not None else 'no policy'
        try:
            bad = nonfinite_weights(data)  # every tensor, before anything is swapped
            if bad:
                more = f' and {len(bad) - 3} more' if len(bad) > 3 else ''
                self.diag.error(
                    'error_weights_nonfinite',
                    f'rejected weights: non-finite values in {", ".join(bad[:3])}{more}; '
                    f'keeping {keep}',
                )
                return
            policy = policy_from_bytes(data)
            self._set_policy(policy)
        except CheckpointError as exc:
            self.diag.error('error_weights', f'rejected weights: {exc}; keeping {keep}')
            return
        self.diag.set('weights_version', policy.version, task='weights')
        self.diag.set('weights_load_ms', f'{1e3 * (time.perf_counter() - t0):.1f}', task='weights')
        sent = policy.metadata.get('sent_unix')
        if isinstance(sent, (int, float)):
            # Send (learner, before serialising) to active (here): both wall clocks; on one
            # machine exact, across machines as good as their clock sync.
            self.last_weights_latency_ms = 1e3 * (time.time() - sent)
            self._latency_max_ms = max(self._latency_max_ms, self.last_weights_latency_ms)
            self.diag.set('weights_latency_ms', f'{self.last_weights_latency_ms:.1f}', 'weights')
            self.diag.set('weights_latency_max_ms', f'{self._latency_max_ms:.1f}', 'weights')
        self.diag.count('weights_received')

    def _on_e_stop(self, msg: Bool) -> None:
        # A flood costs one comparison per message; only a change is logged and acted on.
        self.diag.count('e_stop_messages')
        if not self.gate.set_e_stop(msg.data):
            return
        if msg.data:
            self._publish_stop(-1)
        # Throttled: a flood alternating true/false must not flood the log either.
        self.get_logger().warning(
            'e-stop engaged: zero commands until a false on e_stop'
            if msg.data
            else 'e-stop released',
            throttle_duration_sec=1.0,
        )
        self._update_safety(self._stop_reason())

    def _on_enable(self, request: SetBool.Request, response: SetBool.Response):
        self.gate.set_enabled(request.data)
        response.success = True
        response.message = 'enabled' if request.data else 'disabled: zero policy commands'
        if self.gate.e_stop:
            response.message += ' (e-stop engaged)'
        if not request.data and not self._teleop_active():
            self._publish_stop(-1)
        self._update_safety(self._stop_reason())
        return response

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
        if self.gate.e_stop:
            self.diag.count('teleop_blocked')  # the e-stop stops the human too
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
        if self._stopped():
            self._publish_stop(stamp)  # never replay a command given before the stop
        elif self._last_cmd is not None and self._last_cmd[0] == stamp:
            self.diag.count('resends_answered')
            self._publish_twist(*self._last_cmd)
        elif self._last_obs is not None and self._last_obs[0].stamp == stamp:
            self.diag.count('resends_answered')
            self._act(*self._last_obs)

    def _on_observation(self, obs: RawObservation, image: np.ndarray | None = None) -> None:
        if obs.stamp <= self._last_obs_stamp:
            return  # completed late: acting on it would send a second command for an old step
        self._fresh(obs, image)
        self._act(obs, image)

    def _fresh(self, obs, image) -> None:
        self._last_obs_stamp = obs.stamp
        self._last_obs_time = self.get_clock().now().nanoseconds
        self._last_obs = (obs, image)
        self.diag.count('observations')

    def _stopped(self) -> bool:
        # The e-stop stops everything; disabled stops the policy, not an active teleop.
        return self.gate.e_stop or (not self.gate.enabled and not self._teleop_active())

    def _act(self, obs: RawObservation, image: np.ndarray | None = None) -> None:
        if self._stopped():
            self._publish_stop(obs.stamp)  # answered, so a lockstep sim keeps stepping
            return
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
                    f'observation/image is {image.shape[1]}x{image.shape[0]}, the policy was '
                    f'trained on {w}x{h}: resizing here (set camera_ingest width/height)',
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
            if self._stopped():
                self._publish_stop(stamp)
            elif self._last_cmd is not None and self._last_cmd[0] == stamp:
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
        self._fresh(obs, None)
        self._act_joint(obs)

    def _act_joint(self, obs: VectorObservation) -> None:
        if self._stopped():
            self._publish_stop(obs.stamp)
            return
        if self.policy is None:
            return
        try:
            action = self.policy.act_observation(obs, None, deterministic=self.deterministic)
        except MessageError as exc:
            self.diag.error('error_observation', str(exc))
            return
        command = np.clip(self.policy.act_cfg.to_command(action), *self._limits)
        self._publish_joint(obs.stamp, command)

    # --- stopping -------------------------------------------------------------------
    def _stop_reason(self) -> str | None:
        age = None
        if self._last_obs_time is not None:
            age = (self.get_clock().now().nanoseconds - self._last_obs_time) * 1e-9
        return self.gate.reason(age, self.obs_timeout)

    def _on_tick(self) -> None:
        """Steady-clock timer at ``command_rate``: zero commands while stopped."""
        reason = self._stop_reason()
        if reason != self._reason:
            self._update_safety(reason)
        if reason is None or (reason != E_STOP and self._teleop_active()):
            return
        if time.monotonic() - self._last_pub_wall >= 0.9 * self._period:
            self._publish_stop(-1)  # nothing went out this period (no observation answered)

    def _update_safety(self, reason: str | None) -> None:
        self._reason = reason
        if reason == STALE:
            self.diag.error(
                'error_stale_observation',
                f'newest observation is older than {self.obs_timeout} s: '
                f'{self._stop_what()} at {self.command_rate:g} Hz',
            )
        level = {None: OK, E_STOP: ERROR}.get(reason, WARN)
        text = {None: '', E_STOP: 'e-stop engaged', STALE: 'observations stale'}
        self.diag.set_condition('safety', level, text.get(reason, 'disabled (enable service)'))
        self.diag.set('stopped', reason or 'no', task='safety')

    def _stop_what(self) -> str:
        if not self.joint_mode:
            return 'zero Twist'
        return 'zero commands' if self._zero_joints() is not None else 'no commands'

    def _zero_joints(self) -> np.ndarray | None:
        # Zero effort/velocity stops driving; a zero *position* would move the joints, so
        # position commands and trajectories simply stop (the controller holds).
        if self.command_type != 'float64_multi_array' or self.command_interface == 'position':
            return None
        dim = self.policy.act_cfg.dim if self.policy is not None else len(self._names)
        return np.zeros(dim) if dim else None

    def _publish_stop(self, stamp: int) -> None:
        """One zero command now (echoed as ``action`` when it answers observation ``stamp``)."""
        if not self.joint_mode:
            self.diag.count('stop_commands')
            self.limiter.stop(self.get_clock().now().nanoseconds * 1e-9)
            self._publish_twist(stamp, 0.0, 0.0, False, echo=stamp >= 0)
            return
        zero = self._zero_joints()
        if zero is not None:
            self.diag.count('stop_commands')
            self._publish_joint(stamp, zero)

    # --- output ---------------------------------------------------------------------
    def _send(self, stamp: int, v: float, w: float, intervention: bool) -> None:
        if not (np.isfinite(v) and np.isfinite(w)):
            self.diag.error('error_command_nonfinite', f'non-finite command ({v}, {w}): zero')
            self._publish_stop(stamp)
            return
        v, w = self.limiter.apply(v, w, self.get_clock().now().nanoseconds * 1e-9)
        self._publish_twist(stamp, v, w, intervention)

    def _publish_twist(
        self, stamp: int, v: float, w: float, intervention: bool, echo: bool = True
    ) -> None:
        # Messages are built once and refilled: publish() serialises them, and building
        # three messages per command costs more than the MLP's forward pass.
        cmd, act = self._msgs
        if self._stamped:
            cmd.header.stamp = self.get_clock().now().to_msg()  # as ros2_control expects
            twist = cmd.twist
        else:
            twist = cmd
        twist.linear.x, twist.angular.z = v, w
        self.cmd_pub.publish(cmd)
        self._last_pub_wall = time.monotonic()
        if not echo:
            return  # a stop with no observation to answer: nothing for the learner
        act.header.stamp.sec, act.header.stamp.nanosec = divmod(max(stamp, 0), 1_000_000)
        act.header.stamp.nanosec *= 1000
        act.twist.linear.x, act.twist.angular.z = v, w
        self.action_pub.publish(act)
        self.intervention_pub.publish(self._flags[intervention])
        self._last_cmd = (stamp, v, w, intervention)
        self.diag.count('interventions' if intervention else 'commands')

    def _publish_joint(self, stamp: int, command: np.ndarray) -> None:
        values = [float(c) for c in command]
        if self.command_type == 'float64_multi_array':
            self.joint_cmd_pub.publish(Float64MultiArray(data=values))
        else:
            traj = JointTrajectory()
            traj.joint_names = list(self._names)
            point = JointTrajectoryPoint()
            field = {'effort': 'effort', 'velocity': 'velocities', 'position': 'positions'}
            setattr(point, field[self.command_interface], values)
            secs = max(float(self.time_from_start), 0.0)
            point.time_from_start = Duration(sec=int(secs), nanosec=int(round((secs % 1.0) * 1e9)))
            traj.points = [point]
            self.joint_cmd_pub.publish(traj)
        self._last_pub_wall = time.monotonic()
        if stamp < 0:
            return
        echo = JointState()
        echo.header.stamp.sec, echo.header.stamp.nanosec = divmod(stamp, 1_000_000)
        echo.header.stamp.nanosec *= 1000
        echo.name = list(self._names)
        setattr(echo, self.command_interface, values)
        self.joint_action_pub.publish(echo)
        self._last_cmd = (stamp, np.asarray(values))
        self.diag.count('commands')


def main(args=None) -> None:
    """Entry point ``policy_node``."""
    spin_node(PolicyNode, args)


if __name__ == '__main__':
    main()
