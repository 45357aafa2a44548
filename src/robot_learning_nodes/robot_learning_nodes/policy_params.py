# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 robot_learning maintainers
"""The parameters of ``policy_node``: name -> (default, description, ``declare`` keywords).

Live ones are applied by ``PolicyNode`` (``live_parameters``): the velocity bounds and
rates, ``deterministic``, the timeouts, the joint limits, ``takeover_uncertainty`` and
``trajectory_time_from_start``; every other one is read-only.
"""

from .modes import COMMAND_INTERFACES, COMMAND_TYPES, OBSERVATION_TYPES

#: Parameter -> ``robot_learning.safety.VelocityLimits`` field (m/s^2, rad/s^2; live).
RATE_LIMITS = {
    'max_linear_accel': 'linear_accel',
    'max_linear_decel': 'linear_decel',
    'max_angular_accel': 'angular_accel',
    'max_angular_decel': 'angular_decel',
}
#: Velocity bounds (m/s, rad/s; live).
BOUNDS = ('min_linear', 'max_linear', 'min_angular', 'max_angular')
_RO = {'read_only': True}
PARAMETERS = {
    'checkpoint': ('', 'checkpoint directory to act from (empty: learner weights)', _RO),
    'deterministic': (True, 'act with the mean action (false: sample, explore)', {}),
    'min_linear': (-0.6, 'lowest linear.x (reverse), m/s', {'min_value': -10.0, 'max_value': 0.0}),
    'max_linear': (0.6, 'highest linear.x, m/s', {'min_value': 0.0, 'max_value': 10.0}),
    'min_angular': (-1.5, 'lowest angular.z, rad/s', {'min_value': -20.0, 'max_value': 0.0}),
    'max_angular': (1.5, 'highest angular.z, rad/s', {'min_value': 0.0, 'max_value': 20.0}),
    **{
        name: (0.0, f'{name[4:].replace("_", " ")} limit, {"m" if "linear" in name else "rad"}'
               '/s^2 (0: none)', {'min_value': 0.0, 'max_value': 100.0})
        for name in RATE_LIMITS
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
    'observation_type': ('navigation', f'one of {list(OBSERVATION_TYPES)}: navigation (LiDAR '
                         'sectors, detections, odometry, instruction) or joint_state', _RO),
    'command_type': ('twist_stamped', f'one of {list(COMMAND_TYPES)}: cmd_vel TwistStamped or '
                     'Twist, commands (forward controllers) or joint_trajectory', _RO),
    'joint_names': ([''], "joint names of joint commands (empty: the checkpoint's)", _RO),
    'joint_lower': ([0.0], 'per-joint lower command limits; [0.0] with joint_upper [0.0]: '
                    "the checkpoint's", {}),
    'joint_upper': ([0.0], 'per-joint upper command limits', {}),
    'command_interface': ('effort', f'one of {list(COMMAND_INTERFACES)}: the JointTrajectory '
                          'point and joint_action field', _RO),
    'uncertainty_samples': (0, 'MC-dropout passes per step for the uncertainty on '
                            '`uncertainty` (BC/ACT checkpoints; 0: off)',
                            {**_RO, 'min_value': 0, 'max_value': 64}),
    'takeover_uncertainty': (0.0, 'request a takeover on `takeover_request` when the '
                             'uncertainty exceeds this (action units; 0: never)',
                             {'min_value': 0.0, 'max_value': 2.0}),
    'trajectory_time_from_start': (0.1, 'JointTrajectory: the point is reached this long (s) '
                                   'after the message', {'min_value': 0.0, 'max_value': 3600.0}),
}
#: Enumerated parameters and their allowed values (checked at start-up).
CHOICES = {
    'observation_type': OBSERVATION_TYPES,
    'command_type': COMMAND_TYPES,
    'command_interface': COMMAND_INTERFACES,
}
