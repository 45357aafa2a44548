# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 robot_learning maintainers
"""The ``sac_learner`` parameters: declared with descriptors and ranges, read into configs.

:func:`declare_learner` declares every parameter of the node (names, defaults and
descriptions are the node's interface, unchanged) and returns them as
:class:`LearnerParams`; with ``vector_observation.dim`` 0 the joint-space spec is read
from the JSON that ``gym_bridge`` latches on ``gym/spec`` (:func:`wait_for_spec`).
"""

from __future__ import annotations

from dataclasses import dataclass
import json
import time
from typing import Any

from rclpy.node import Node
from robot_learning.algos.sac import OnlineConfig, SACConfig
from robot_learning.common.features import (
    ActionConfig,
    JointActionConfig,
    ObservationConfig,
    VectorObservationConfig,
)
from robot_learning.errors import ConfigError
from std_msgs.msg import String

from .common import declare, declare_dataclass, LATCHED_QOS
from .modes import joint_observations, OBSERVATION_TYPES

#: Descriptor ranges (min, max) of the ``observation.*`` and ``sac.*`` parameters.
_OBS_RANGES = {
    'num_sectors': (1, 4096),
    'range_max': (1e-3, 1000.0),
    'detection_range': (1e-3, 1000.0),
    'max_linear': (1e-3, 100.0),
    'max_angular': (1e-3, 100.0),
    'near_range': (0.0, 1000.0),
}
_SAC_RANGES = {
    'gamma': (0.0, 1.0),
    'tau': (0.0, 1.0),
    'actor_lr': (0.0, 1.0),
    'critic_lr': (0.0, 1.0),
    'alpha_lr': (0.0, 1.0),
    'init_alpha': (0.0, 1e6),
    'batch_size': (1, 1 << 20),
    'utd_ratio': (1, 1000),
    'actor_update_every': (1, 1000),
    'num_critics': (2, 100),
    'num_target_critics': (1, 100),
    'n_step': (1, 1000),
    'demo_ratio': (0.0, 1.0),
    'seed': (0, 2**63 - 1),
}
#: The scalar parameters: name -> (default, description, lowest value or None).
_SCALARS = {
    'buffer_capacity': (300000, 'online replay buffer capacity (transitions)', 1),
    'warmup_transitions': (256, 'online transitions before the first update', 0),
    'push_every': (100, 'send actor weights every N updates', 1),
    'checkpoint_every': (
        5000,
        'write checkpoints/latest (with replay buffers) every N updates (0 = only on '
        'request/exit)',
        0,
    ),
    'progress_every': (10, 'publish learner/progress every N updates', 0),
    'best_window': (
        50,
        'training episodes in the rolling success rate that selects checkpoints/best',
        1,
    ),
    'max_env_steps': (0, 'stop updating after this many transitions (0 = never)', 0),
    'critic_warmup_updates': (
        0,
        'after loading init_from, the first N updates train the critics only (the actor '
        'waits until they fit the online data); 0 = off',
        0,
    ),
    'init_from': (
        '',
        'checkpoint directory whose full SAC state to start from '
        '(SACPretrainer.save or <run_dir>/checkpoints/latest); empty = fresh networks',
        None,
    ),
}


@dataclass
class LearnerParams:
    """The node's parameter values, as the configs the core takes."""

    run_dir: str
    demo_bags: list[str]
    demo_outcomes: list[str]
    demo_reward: list[float]  # [time, success, failure] sparse relabel; [] = the bags'
    values: dict[str, Any]  # the _SCALARS by name
    resume: bool
    robots: list[str]
    observation_type: str
    obs_cfg: Any
    act_cfg: Any
    sac_cfg: SACConfig

    @property
    def online_cfg(self) -> OnlineConfig:
        """Return the :class:`OnlineConfig` of these values."""
        names = (
            'buffer_capacity',
            'warmup_transitions',
            'checkpoint_every',
            'best_window',
            'critic_warmup_updates',
        )
        return OnlineConfig(
            max_env_steps=self.values['max_env_steps'], **{n: self.values[n] for n in names}
        )


def topic(robot: str, name: str) -> str:
    """Return ``name`` under ``robot``'s namespace ('' = the node's own)."""
    return f'{robot.rstrip("/")}/{name}' if robot else name


def declare_learner(node: Node) -> LearnerParams:
    """Declare every ``sac_learner`` parameter and build the configs.

    Raises:
        ConfigError: a value out of range or of the wrong type, an unknown
            ``observation_type``, or no readable ``gym/spec`` in time (one line each).
    """
    run_dir = declare(
        node,
        'run_dir',
        'runs/learner',
        'where checkpoints, episodes.jsonl and TensorBoard events go',
    )
    demo_bags = declare(
        node, 'demo_bags', [''], 'bag directories (episodes or sessions) seeding the demo buffer'
    )
    outcomes = declare(node, 'demo_outcomes', ['success'], 'episode outcomes taken from demo bags')
    demo_reward = list(declare(
        node, 'demo_sparse_reward', [0.0], '[time, success, failure]: relabel the demo rewards '
        "with task_node's sparse reward (reward_mode classifier/operator); [0.0] = keep the "
        "bags' rewards", read_only=True,
    ))
    if demo_reward == [0.0]:
        demo_reward = []
    elif len(demo_reward) != 3:
        raise ConfigError(
            f'sac_learner: demo_sparse_reward {demo_reward} must be [time, success, failure] '
            "(or [0.0] to keep the bags' rewards)"
        )
    values = {
        name: declare(node, name, default, text, min_value=low)
        for name, (default, text, low) in _SCALARS.items()
    }
    resume = declare(
        node,
        'resume',
        True,
        'continue from <run_dir>/checkpoints/latest when it holds a '
        'learner state (networks, optimizers, buffers, counters)',
        read_only=True,
    )
    robots = list(
        declare(
            node,
            'robots',
            [''],
            "robot namespaces feeding this learner ('' = the learner's own; "
            "e.g. ['/robot1', '/robot2'])",
            read_only=True,
        )
    )
    values['torch_threads'] = declare(
        node, 'torch_threads', 1, 'torch intra-op threads for updates', min_value=1
    )
    values['update_process'] = declare(
        node, 'update_process', True, 'run the SAC updates in a process of their own, the '
        'replay in shared memory (false: a thread of the node)', read_only=True,
    )
    kind = declare(
        node,
        'observation_type',
        'navigation',
        "'navigation' (LiDAR sectors, detections, odometry, instruction) or "
        "'joint_state' (joint_states vector, joint_action commands)",
        read_only=True,
    )
    if kind not in OBSERVATION_TYPES:
        raise ConfigError(
            f'sac_learner: observation_type {kind!r} must be one of {list(OBSERVATION_TYPES)}'
        )
    if joint_observations(kind):
        obs_cfg, act_cfg = _joint_spec(node, robots[0] if robots else '')
    else:
        obs_cfg = declare_dataclass(node, ObservationConfig, 'observation.', ranges=_OBS_RANGES)
        act_cfg = ActionConfig(
            linear=tuple(
                declare(
                    node, 'action.linear', [-0.3, 0.6], 'linear speed range (m/s) of action -1..1'
                )
            ),
            angular=tuple(
                declare(
                    node, 'action.angular', [-1.5, 1.5], 'yaw rate range (rad/s) of action -1..1'
                )
            ),
        )
    sac_cfg = declare_dataclass(
        node,
        SACConfig,
        'sac.',
        skip=('device',),
        ranges=_SAC_RANGES,
        obs_dim=obs_cfg.dim,
        action_dim=act_cfg.dim,
    )
    return LearnerParams(
        run_dir, demo_bags, outcomes, demo_reward, values, resume, robots, kind, obs_cfg,
        act_cfg, sac_cfg
    )


def _joint_spec(node: Node, robot: str) -> tuple[VectorObservationConfig, JointActionConfig]:
    dim = declare(
        node,
        'vector_observation.dim',
        0,
        'length of the joint_states vector (position+velocity+effort); 0 = take the spec '
        'from gym/spec (gym_bridge)',
        read_only=True,
        min_value=0,
    )
    names = declare(node, 'vector_observation.names', [''], 'names (documentation)')
    names = [n for n in names if n]
    low = declare(
        node, 'joint_action.low', [0.0], 'command that action -1 maps to, per joint (joint units)'
    )
    high = declare(node, 'joint_action.high', [0.0], 'command that action +1 maps to, per joint')
    joints = [n for n in declare(node, 'joint_action.names', [''], 'joint names') if n]
    timeout = declare(
        node,
        'spec_timeout_s',
        30.0,
        'how long to wait for gym/spec when vector_observation.dim is 0',
        min_value=0.0,
    )
    if dim <= 0:
        spec = wait_for_spec(node, topic(robot, 'gym/spec'), timeout)
        dim = int(spec['obs_dim'])
        names = list(spec.get('observation_names') or spec.get('joint_names') or names)
        low, high = list(spec['action_low']), list(spec['action_high'])
        joints = list(spec.get('action_names') or joints)
    return (
        VectorObservationConfig(dim=dim, names=tuple(names)),
        JointActionConfig(low=tuple(low), high=tuple(high), names=tuple(joints)),
    )


def wait_for_spec(node: Node, name: str, timeout: float) -> dict:
    """Read the JSON spec the gym bridge latches on ``name`` (obs dim, action bounds).

    Raises:
        ConfigError: nothing within ``timeout`` seconds, or the spec is unreadable.
    """
    import rclpy
    from rclpy.executors import SingleThreadedExecutor

    got: list[str] = []
    sub = node.create_subscription(String, name, lambda m: got.append(m.data), LATCHED_QOS)
    executor = SingleThreadedExecutor(context=node.context)
    executor.add_node(node)
    deadline = time.monotonic() + float(timeout)
    try:
        while not got and time.monotonic() < deadline and rclpy.ok(context=node.context):
            executor.spin_once(timeout_sec=0.1)
    finally:
        executor.remove_node(node)
        node.destroy_subscription(sub)
    where = node.resolve_topic_name(name)
    if not got:
        raise ConfigError(
            f'sac_learner: no spec on {where} within {timeout:.0f} s: start gym_bridge first '
            'or set vector_observation.dim and joint_action.low/high'
        )
    try:
        spec = json.loads(got[-1])
        if 'obs_dim' not in spec and 'observation_dim' in spec:
            spec['obs_dim'] = spec['observation_dim']
        int(spec['obs_dim']), list(spec['action_low']), list(spec['action_high'])
        if any(v is None for v in spec['action_low'] + spec['action_high']):
            raise ValueError('unbounded action space: set joint_action.low/high')
    except (ValueError, KeyError, TypeError) as exc:
        raise ConfigError(f'sac_learner: unreadable gym/spec ({exc}): {got[-1][:120]}') from None
    node.get_logger().info(f'spec from {where}: {got[-1]}')
    return spec
