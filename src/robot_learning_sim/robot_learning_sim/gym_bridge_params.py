# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 robot_learning maintainers
"""The parameters of ``gym_bridge`` that are its own (the stepping ones are the lockstep's)."""

from __future__ import annotations

from types import SimpleNamespace

from rclpy.node import Node
from robot_learning_nodes.common import declare, one_of

ACTION_TYPES = ('float64_multi_array', 'twist')
OBSERVATION_TYPES = ('joint_state', 'array')


def declare_bridge_parameters(node: Node) -> SimpleNamespace:
    """Declare the env, topic and budget parameters on ``node`` and return their values.

    Raises:
        ConfigError: a value out of its range or not one of the allowed (one line).
    """
    p = SimpleNamespace()
    ro = {'read_only': True}
    p.env_id = declare(
        node, 'env_id', 'Pendulum-v1', 'gymnasium environment id for gym.make '
        "('module:Env-v0' imports module first)", **ro,
    )
    p.env_kwargs = declare(
        node, 'env_kwargs', '{}', 'JSON object of keyword arguments for gym.make', **ro
    )
    p.seed = declare(
        node, 'seed', 0, 'seed of the first reset; later resets continue the '
        "env's RNG (episode k is reproducible)", min_value=0, **ro,
    )
    p.max_episode_steps = declare(
        node, 'max_episode_steps', 0, 'truncate episodes after this many steps (0 = the '
        "env's own TimeLimit)", min_value=0, **ro,
    )
    p.control_rate = declare(
        node, 'control_rate', 0.0, 'realtime steps per wall second, Hz (0 = 1/env dt, or '
        '20 Hz when the env has no dt)', min_value=0.0, max_value=10000.0, **ro,
    )
    p.action_type = one_of(node, 'action_type', declare(
        node, 'action_type', 'float64_multi_array', 'unstamped command topic: '
        "'float64_multi_array' (sub commands) or 'twist' (sub cmd_vel: [linear.x, "
        'angular.z] or [linear.x])', **ro,
    ), ACTION_TYPES)
    p.observation_type = one_of(node, 'observation_type', declare(
        node, 'observation_type', 'joint_state', "'joint_state' (joint_states only) or "
        "'array' (also Float64MultiArray on observation/array)", **ro,
    ), OBSERVATION_TYPES)
    p.instruction = declare(
        node, 'instruction', '', "instruction text published at each reset ('' = env_id)"
    )
    p.max_steps = declare(
        node, 'max_steps', 0, 'stop stepping after this many env steps in all (a fixed '
        'budget, e.g. for a benchmark; 0 = never)', min_value=0, **ro,
    )
    p.cmd_vel_stamped = declare(
        node, 'cmd_vel_stamped', True,
        "action_type 'twist': cmd_vel is TwistStamped (false: plain Twist)", **ro,
    )
    return p
