# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 robot_learning maintainers
"""Joint-space robots (issue 4).

Policy node joint commands, learner on joint_states from several robots, bad input,
resume.
"""

from __future__ import annotations

import json

from diagnostic_msgs.msg import DiagnosticArray, DiagnosticStatus, KeyValue
import numpy as np
import pytest
from rclpy.parameter import Parameter
from robot_learning.common.checkpoint import save_checkpoint
from robot_learning.common.features import JointActionConfig, VectorObservationConfig
from robot_learning.common.networks import SquashedGaussianActor
from robot_learning.errors import CheckpointError, ConfigError
from robot_learning.policy import ACTOR_PREFIX, policy_metadata
from robot_learning_nodes.common import COMMAND_QOS, LATCHED_QOS
from robot_learning_nodes.policy_node import PolicyNode
from robot_learning_nodes.sac_learner import SacLearner
from sensor_msgs.msg import JointState
from std_msgs.msg import Float64MultiArray, String, UInt64, UInt8MultiArray
import torch
from trajectory_msgs.msg import JointTrajectory

OBS = VectorObservationConfig(dim=3, names=('cos', 'sin', 'thetadot'))
ACT = JointActionConfig(low=(-2.0,), high=(2.0,), names=('hinge',))
RELIABLE = 100


def _checkpoint(tmp_path, obs=OBS, act=ACT):
    torch.manual_seed(0)
    actor = SquashedGaussianActor(obs.dim, act.dim, (16, 16))
    tensors = {ACTOR_PREFIX + k: v for k, v in actor.state_dict().items()}
    return save_checkpoint(tmp_path / 'ckpt', tensors, policy_metadata(obs, act, (16, 16), 'sac'))


def _joint_state(sec: int, values, nsec: int = 0) -> JointState:
    msg = JointState()
    msg.header.stamp.sec, msg.header.stamp.nanosec = sec, nsec
    msg.name = [f'obs_{i}' for i in range(len(values))]
    msg.position = [float(v) for v in values]
    return msg


def _episode(
    sec: int,
    prev_sec: int,
    reward: float,
    step: int,
    episode: int = 0,
    terminated: bool = False,
    truncated: bool = False,
) -> DiagnosticArray:
    msg = DiagnosticArray()
    msg.header.stamp.sec = sec
    st = DiagnosticStatus(name='episode', message='running')
    values = {
        'reward': repr(float(reward)),
        'terminated': '1' if terminated else '0',
        'truncated': '1' if truncated else '0',
        'episode': str(episode),
        'step': str(step),
        'return': '0.0',
        'instruction': '',
        'prev_stamp': repr(float(prev_sec)) if prev_sec >= 0 else '-1',
    }
    st.values = [KeyValue(key=k, value=v) for k, v in values.items()]
    msg.status = [st]
    return msg


def _action(sec: int, values) -> JointState:
    msg = JointState()
    msg.header.stamp.sec = sec
    msg.effort = [float(v) for v in values]
    return msg


# ---------------------------------------------------------------- policy node


def _policy_node(ros, **params):
    return ros.add(
        PolicyNode(
            namespace=ros.ns,
            parameter_overrides=[
                Parameter(k, value=v)
                for k, v in {'observation_type': 'joint_state', **params}.items()
            ],
        )
    )


def test_policy_node_commands_joints_within_limits_and_echoes_the_stamp(ros, tmp_path):
    ckpt = _checkpoint(tmp_path)
    _policy_node(
        ros,
        checkpoint=str(ckpt),
        command_type='float64_multi_array',
        joint_lower=[-0.5],
        joint_upper=[0.5],
    )
    commands = ros.collect(Float64MultiArray, 'commands', COMMAND_QOS)
    echoes = ros.collect(JointState, 'joint_action', COMMAND_QOS)
    pub = ros.helper.create_publisher(JointState, 'joint_states', RELIABLE)
    echo = ros.send_until_output(pub, _joint_state(7, [1.0, 0.0, 3.0]), echoes, 7)
    ros.spin_until(lambda: commands, 5.0, 'commands')
    assert len(commands[-1].data) == 1 and abs(commands[-1].data[0]) <= 0.5
    assert list(echo.effort) == list(commands[-1].data) and echo.name == ['hinge']
    # A lockstep resend (same stamp) is answered with the same command, not a new sample.
    n = len(echoes)
    pub.publish(_joint_state(7, [1.0, 0.0, 3.0]))
    ros.spin_until(lambda: len(echoes) > n, 5.0, 'resend answer')
    assert list(echoes[-1].effort) == list(echo.effort)


def test_policy_node_publishes_a_joint_trajectory(ros, tmp_path):
    ckpt = _checkpoint(tmp_path)
    _policy_node(
        ros,
        checkpoint=str(ckpt),
        command_type='joint_trajectory',
        command_interface='position',
        trajectory_time_from_start=0.25,
    )
    got = ros.collect(JointTrajectory, 'joint_trajectory', COMMAND_QOS)
    echoes = ros.collect(JointState, 'joint_action', COMMAND_QOS)
    pub = ros.helper.create_publisher(JointState, 'joint_states', RELIABLE)
    ros.send_until_output(pub, _joint_state(3, [0.0, 1.0, 0.0]), echoes, 3)
    ros.spin_until(lambda: got, 5.0, 'joint_trajectory')
    traj = got[-1]
    assert traj.joint_names == ['hinge'] and len(traj.points) == 1
    point = traj.points[0]
    assert len(point.positions) == 1 and -2.0 <= point.positions[0] <= 2.0
    assert point.time_from_start.sec == 0 and point.time_from_start.nanosec == 250_000_000


def test_policy_node_rejects_wrong_length_and_nonfinite_observations(ros, tmp_path):
    ckpt = _checkpoint(tmp_path)
    node = _policy_node(ros, checkpoint=str(ckpt), command_type='float64_multi_array')
    pub = ros.helper.create_publisher(JointState, 'joint_states', RELIABLE)
    ros.wait_matched(pub)
    pub.publish(_joint_state(1, [1.0, 2.0]))
    pub.publish(_joint_state(2, [1.0, float('nan'), 0.0]))
    d = ros.diagnostics(
        node, cond=lambda d: 'error_observation' in d and 'error_observation_nonfinite' in d
    )
    assert int(d['error_observation']) == 1 and int(d['error_observation_nonfinite']) == 1
    assert 'commands' not in d


def test_policy_node_refuses_a_twist_policy_for_joint_commands(ros, tmp_path):
    from robot_learning.common.features import ActionConfig

    ckpt = _checkpoint(tmp_path, act=ActionConfig())
    with pytest.raises(CheckpointError, match='set command_type'):
        PolicyNode(
            namespace=ros.ns,
            parameter_overrides=[
                Parameter('observation_type', value='joint_state'),
                Parameter('command_type', value='float64_multi_array'),
                Parameter('checkpoint', value=str(ckpt)),
            ],
        )


# ---------------------------------------------------------------- learner


def _learner(ros, tmp_path, name='run', **params):
    values = {
        'run_dir': str(tmp_path / name),
        'observation_type': 'joint_state',
        'vector_observation.dim': 3,
        'joint_action.low': [-2.0],
        'joint_action.high': [2.0],
        'sac.hidden': [16, 16],
        'warmup_transitions': 10**6,
        'checkpoint_every': 0,
        'sac.n_step': 1,
        **params,
    }
    return ros.add(
        SacLearner(
            namespace=ros.ns,
            parameter_overrides=[Parameter(k, value=v) for k, v in values.items()],
        )
    )


def _feed(
    ros,
    pubs,
    steps: int,
    start: int = 1,
    bad_reward_at: int | None = None,
    terminate: bool = False,
):
    """One episode per robot: ``steps`` transitions each, stamps start..start+steps."""
    obs_pub, act_pub, ep_pub = pubs
    for pub in pubs:
        ros.wait_matched(pub)
    rng = np.random.default_rng(start)
    ep_pub.publish(_episode(start, -1, 0.0, 0))
    for k in range(steps + 1):
        sec = start + k
        obs_pub.publish(_joint_state(sec, rng.uniform(-1, 1, 3)))
        if k:
            reward = float('nan') if k == bad_reward_at else -float(k)
            ep_pub.publish(_episode(sec, sec - 1, reward, k, terminated=terminate and k == steps))
        if k < steps:
            act_pub.publish(_action(sec, [rng.uniform(-2, 2)]))
        ros.spin_for(0.005)


def _pubs(ros, robot: str):
    return (
        ros.helper.create_publisher(JointState, f'{robot}joint_states', RELIABLE),
        ros.helper.create_publisher(JointState, f'{robot}joint_action', RELIABLE),
        ros.helper.create_publisher(DiagnosticArray, f'{robot}episode', RELIABLE),
    )


def test_learner_takes_two_robots_and_drops_bad_input(ros, tmp_path):
    learner = _learner(ros, tmp_path, robots=['r1', 'r2'])
    weights = {
        r: ros.collect(UInt8MultiArray, f'{r}/policy/weights', LATCHED_QOS) for r in ('r1', 'r2')
    }
    p1, p2 = _pubs(ros, 'r1/'), _pubs(ros, 'r2/')
    _feed(ros, p1, 6, start=10, bad_reward_at=3)  # 6 steps, one with a NaN reward
    _feed(ros, p2, 4, start=10)  # same stamps as robot 1: kept apart
    p2[1].publish(_action(14, [1.0, 2.0]))  # wrong length
    p1[0].publish(_joint_state(40, [0.0, float('inf'), 0.0]))
    d = ros.diagnostics(
        learner,
        cond=lambda d: d.get('transitions_r1') == '5'
        and d.get('transitions_r2') == '4'
        and 'dropped_action_length' in d
        and 'dropped_nonfinite_observation' in d,
    )
    assert d['transitions'] == '9' and len(learner.learner.online) == 9
    assert d['dropped_nonfinite_reward'] == '1'
    assert np.isfinite(learner.learner.online.rewards[:9]).all()
    ros.spin_until(lambda: weights['r1'] and weights['r2'], 5.0, 'weights on both robots')
    assert bytes(weights['r1'][0].data) == bytes(weights['r2'][0].data)


def test_learner_stores_n_step_returns_per_robot(ros, tmp_path):
    learner = _learner(ros, tmp_path, **{'sac.n_step': 3, 'sac.gamma': 0.5})
    _feed(ros, _pubs(ros, ''), 6, start=20, terminate=True)
    ros.spin_until(lambda: len(learner.learner.online) == 6, 5.0, 'six n-step rows')
    assert learner.learner.online.n_steps[:6].tolist() == [3, 3, 3, 3, 2, 1]
    assert learner.learner.online.terminated[:6].tolist() == [0, 0, 0, 1, 1, 1]
    # rewards -1..-6: the first row is -1 + 0.5 * -2 + 0.25 * -3
    assert learner.learner.online.rewards[0] == pytest.approx(-2.75)


def test_learner_resumes_with_its_buffer_counters_and_networks(ros, tmp_path):
    first = _learner(ros, tmp_path, 'run', warmup_transitions=4, progress_every=1)
    progress = ros.collect(UInt64, 'learner/progress', 10)
    pubs = _pubs(ros, '')
    _feed(ros, pubs, 12, start=100)
    ros.spin_until(lambda: first.learner.updates >= 12, 20.0, '12 updates')
    ros.spin_until(lambda: progress and progress[-1].data == 12, 5.0, 'progress 12')
    path = first.learner.save('latest')
    meta = json.loads((path / 'checkpoint.json').read_text())
    assert meta['learner_state'] and meta['env_steps'] == 12 and meta['updates'] == 12
    saved_obs = first.learner.online.observations[:12].copy()
    saved_actor = {k: v.clone() for k, v in first.learner.sac.actor_state().items()}
    saved_alpha = first.learner.sac.alpha
    ros.executor.remove_node(first)
    ros.nodes.remove(first)
    first.destroy_node()

    second = _learner(ros, tmp_path, 'run', warmup_transitions=4)
    assert second.learner.resumed_from is not None
    assert (second.learner.transitions, second.learner.updates) == (12, 12)
    assert np.array_equal(second.learner.online.observations[:12], saved_obs)
    assert len(second.learner.online) == 12
    assert second.learner.sac.alpha == saved_alpha
    assert all(torch.equal(v, saved_actor[k]) for k, v in second.learner.sac.actor_state().items())
    assert second.learner.version == meta['version'] + 1  # the resumed learner's first push


def test_learner_refuses_to_resume_another_spec(ros, tmp_path):
    first = _learner(ros, tmp_path, 'run')
    first.learner.save('latest')
    with pytest.raises(CheckpointError, match='obs_dim is 3, this policy needs 4'):
        SacLearner(
            namespace=ros.ns,
            parameter_overrides=[
                Parameter(k, value=v)
                for k, v in {
                    'run_dir': str(tmp_path / 'run'),
                    'observation_type': 'joint_state',
                    'vector_observation.dim': 4,
                    'joint_action.low': [-2.0],
                    'joint_action.high': [2.0],
                    'sac.hidden': [16, 16],
                }.items()
            ],
        )


def test_learner_reads_its_spec_from_gym_spec(ros, tmp_path):
    spec = ros.helper.create_publisher(String, 'gym/spec', LATCHED_QOS)
    spec.publish(
        String(
            data=json.dumps(
                {
                    'env_id': 'X',
                    'obs_dim': 5,
                    'joint_names': [],
                    'action_dim': 2,
                    'action_low': [-1.0, -3.0],
                    'action_high': [1.0, 3.0],
                    'action_names': ['a', 'b'],
                }
            )
        )
    )
    learner = _learner(ros, tmp_path, **{'vector_observation.dim': 0, 'spec_timeout_s': 5.0})
    assert (
        learner.obs_cfg.dim == 5
        and learner.act_cfg.high == (1.0, 3.0)
        and learner.act_cfg.names == ('a', 'b')
    )


def test_learner_without_spec_says_what_to_do(ros, tmp_path):
    with pytest.raises(ConfigError, match='start gym_bridge first'):
        SacLearner(
            namespace=ros.ns,
            parameter_overrides=[
                Parameter(k, value=v)
                for k, v in {
                    'run_dir': str(tmp_path / 'x'),
                    'observation_type': 'joint_state',
                    'vector_observation.dim': 0,
                    'spec_timeout_s': 0.3,
                }.items()
            ],
        )
