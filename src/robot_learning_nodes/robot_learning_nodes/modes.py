# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 robot_learning maintainers
"""What a node observes and what it commands: the enumerated parameters, named once.

Two different questions, two names: :func:`joint_observations` (the observation is
``joint_states``, not the navigation streams: learner, policy node) and
:func:`joint_commands` (the output is joint commands, not a Twist on ``cmd_vel``: policy
node). A policy node may observe one kind and command the other only if the checkpoint's
action kind fits ``command_type`` (``PolicyNode`` checks it).
"""

#: ``observation_type``: LiDAR sectors, detections, odometry and instruction; or joints.
OBSERVATION_TYPES = ('navigation', 'joint_state')
#: ``command_type`` values publishing a Twist (stamped or plain) on ``cmd_vel``.
TWIST_COMMANDS = ('twist_stamped', 'twist')
#: ``command_type`` values publishing joint commands (forward controllers, trajectories).
JOINT_COMMANDS = ('float64_multi_array', 'joint_trajectory')
COMMAND_TYPES = TWIST_COMMANDS + JOINT_COMMANDS
#: ``command_interface``: the JointTrajectory point field and joint_action field.
COMMAND_INTERFACES = ('effort', 'velocity', 'position')


def joint_observations(observation_type: str) -> bool:
    """Return whether ``observation_type`` observes ``joint_states`` (not navigation)."""
    return observation_type == 'joint_state'


def joint_commands(command_type: str) -> bool:
    """Return whether ``command_type`` publishes joint commands (not a Twist)."""
    return command_type in JOINT_COMMANDS
