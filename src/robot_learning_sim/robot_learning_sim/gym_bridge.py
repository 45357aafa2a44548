# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 robot_learning maintainers
"""``gym_bridge``: any gymnasium environment as a ROS 2 robot (docs/interfaces.md, Gym bridge).

It follows ``sim_node``'s conventions (the ``episode`` status protocol of
:mod:`robot_learning_sim.episode_status`, lockstep/realtime, stamped actions), with a
gymnasium env (:class:`~robot_learning_sim.gym_bridge_env.BridgedEnv`) in place of the
built-in world. Per step it publishes, all with the same ``header.stamp`` (sim time =
ticks x ``dt``; a tick per step and one per reset): ``/clock``, ``episode``,
``observation/array`` (Float64MultiArray, only with ``observation_type: array``) and
``joint_states`` last (``position ‖ velocity ‖ effort`` is exactly the flattened gym
observation in float64; MuJoCo envs observing ``qpos ‖ qvel`` get joint names). At each
reset ``instruction`` (latched) precedes the step-0 observation; ``gym/spec`` (latched)
holds the env's JSON description.

Commands, in the env's units, clipped to the action Box: ``commands``
(Float64MultiArray) with ``action_type: float64_multi_array`` or ``cmd_vel``
(TwistStamped; plain Twist with ``cmd_vel_stamped: false``) with ``action_type: twist``,
and ``joint_action`` (JointState stamped with the observation it answers). A command of
the wrong length or with non-finite values is rejected (throttled error, counted) and
does not step.

When to step is :mod:`robot_learning_sim.lockstep`'s (shared with ``sim_node``):
``realtime`` (a wall timer at ``control_rate``) or ``lockstep`` (one step per command,
paired by stamp while a ``joint_action`` publisher is matched), with resends,
``lockstep_max_rate``, pacing by ``learner/progress`` (``lockstep_max_lag``) and
``autoreset``. ``max_steps`` stops stepping after a fixed budget. Service ``sim/reset``
(std_srvs/Trigger) starts a new episode.
"""

from __future__ import annotations

import json
import math

from geometry_msgs.msg import Twist, TwistStamped
import numpy as np
from rclpy.node import Node
from robot_learning_nodes.common import (
    COMMAND_QOS,
    Diagnostics,
    LATCHED_QOS,
    live_parameters,
    s_to_stamp,
    spin_node,
)
from robot_learning_nodes.episode_status import EpisodeStatus
from robot_learning_sim.gym_bridge_env import BridgedEnv
from robot_learning_sim.gym_bridge_params import declare_bridge_parameters
from robot_learning_sim.gym_observation import GymObservation
from robot_learning_sim.lockstep import Lockstep
from sensor_msgs.msg import JointState
from std_msgs.msg import Float64MultiArray, String

_COMMAND_KEYS = (
    'rejected_commands',
    'clipped_commands',
    'commands_ignored_while_paired',
    'stale_actions',
    'cmds_while_waiting_for_reset',
    'commands_after_max_steps',
)
_COMMAND_ERRORS = ('error_command_length', 'error_command_nonfinite')


class GymBridge(Node):
    """The gym bridge node. Parameters are declared (with descriptions) in ``__init__``."""

    def __init__(self, **kwargs):
        super().__init__('gym_bridge', **kwargs)
        self.env = None
        try:
            self._build()
        except BaseException:
            if self.env is not None:
                self.env.close()
            Node.destroy_node(self)
            raise

    def _build(self) -> None:
        """Parameters, env, topics and the first episode (``__init__`` cleans up on error)."""
        p = declare_bridge_parameters(self)
        self.env_id, self.action_type = p.env_id, p.action_type
        self.observation_type, self.instruction = p.observation_type, p.instruction
        self.max_steps = p.max_steps
        self.diag = Diagnostics(self)
        self.lockstep = Lockstep(
            self, self.diag, self._step, self._new_episode, self._republish, mode='lockstep',
            resend_s=0.5, unstamped='commands', stamped='joint_action', hold=self._budget_spent,
        )
        self.mode = self.lockstep.mode
        self.env = BridgedEnv(
            self.env_id, p.env_kwargs, p.max_episode_steps, p.seed, p.control_rate,
            self.action_type,
            {'mode': self.mode, 'observation_type': self.observation_type},
        )
        e = self.env
        self.spec, self.dt, self.obs_dim = e.spec, e.dt, e.obs_dim
        self.control_rate, self.action_space = e.control_rate, e.action_space
        self.action_dim, self.joint_names, self.n_position = (
            e.action_dim, e.joint_names, e.n_position)
        # Env steps and episodes, and the commands that drive them.
        self.diag.task('environment', keys=('steps',), params=True)
        self.diag.task('commands', keys=_COMMAND_KEYS, errors=_COMMAND_ERRORS)
        self.diag.set('mode', self.mode)
        self.diag.set('env_id', self.env_id)

        # ---------------------------------------------------------------- topics
        self.status = EpisodeStatus(self)
        self.observation = GymObservation(
            self, self.joint_names, self.n_position, self.obs_dim, self.observation_type == 'array'
        )
        self._pub_instruction = self.create_publisher(String, 'instruction', LATCHED_QOS)
        self._pub_spec = self.create_publisher(String, 'gym/spec', LATCHED_QOS)
        if self.action_type == 'twist':
            self._cmd_topic = 'cmd_vel'
            twist = TwistStamped if p.cmd_vel_stamped else Twist
            self.create_subscription(twist, 'cmd_vel', self._on_twist, COMMAND_QOS)
        else:
            self._cmd_topic = 'commands'
            self.create_subscription(Float64MultiArray, 'commands', self._on_commands, COMMAND_QOS)
        self._action_sub = None
        if self.mode == 'realtime' or not self.lockstep.unstamped_only:
            self._action_sub = self.create_subscription(
                JointState, 'joint_action', self._on_joint_action, COMMAND_QOS
            )

        # ---------------------------------------------------------------- state
        self.episode = 0
        self.episode_steps = 0
        self._ticks = 0  # sim time = _ticks * dt
        self._return = 0.0
        self.last_action = e.zero  # the action applied by the last step (as given to env)
        self._pub_spec.publish(String(data=json.dumps(self.spec)))
        self.lockstep.start(
            e.control_rate, e.zero, self._action_sub,
            lambda: f'{self.episode}: {self._instruction_text}',
        )
        self._new_episode(first=True)
        live_parameters(
            self,
            {'instruction': lambda v: setattr(self, 'instruction', v), **self.lockstep.live()},
        )
        self.get_logger().info(
            f'gym_bridge up: {self.env_id} mode={self.mode} dt={self.dt} s, action '
            f'{e.action_space} on {self._cmd_topic}/joint_action, observation '
            f'{self.obs_dim} values on joint_states'
        )

    def _budget_spent(self) -> bool:
        return bool(self.max_steps) and self.lockstep.steps_total >= self.max_steps

    # ------------------------------------------------------------------ messages
    def _publish_step(
        self, obs: np.ndarray, reward: float, terminated: bool, truncated: bool, outcome: str
    ) -> None:
        """Publish one step: /clock, episode, [observation/array], joint_states."""
        stamp = s_to_stamp(self._ticks * self.dt)
        self.status.publish(
            stamp, reward, terminated, truncated, outcome, self.episode, self.episode_steps,
            self._return, self._instruction_text,
        )
        if not np.isfinite(obs).all():
            self.diag.error(
                'error_nonfinite_observation',
                f'{self.env_id} returned a non-finite observation at episode '
                f'{self.episode} step {self.episode_steps}: published as is',
            )
        self.observation.publish(obs, stamp)
        self.lockstep.published(stamp)

    def _republish(self) -> None:
        """Lockstep resend: the last step's messages again, unchanged (same stamp)."""
        self.status.republish()
        self.observation.republish()

    # ------------------------------------------------------------------ episodes
    def _new_episode(self, first: bool = False) -> None:
        """Reset the env, publish the instruction and the step-0 observation.

        The first episode's env is already reset with ``seed``.
        """
        if first:
            obs = self.env.first_obs
        else:
            try:
                obs = self.env.reset()
            except Exception as exc:  # noqa: BLE001 - third-party reset
                self.diag.error(
                    'error_env_reset',
                    f'{self.env_id}.reset() raised ' f'{type(exc).__name__}: {exc}',
                )
                return
            self._ticks += 1  # the step-0 stamp differs from the previous terminal stamp
            self.episode += 1
        self.lockstep.ended = False
        self._return = 0.0
        self.status.new_episode()
        self.episode_steps = 0
        self._instruction_text = self.instruction or self.env_id
        self._pub_instruction.publish(String(data=self._instruction_text))
        self._publish_step(obs, 0.0, False, False, 'running')
        self.diag.count('episodes')
        self.diag.set('episode', self.episode)

    def _step(self, action: np.ndarray) -> bool:
        """Apply one action for one env step and publish it; False if the env raised."""
        try:
            obs, reward, terminated, truncated, outcome = self.env.step(action)
        except Exception as exc:  # noqa: BLE001 - third-party step: report, do not die
            self.diag.error(
                'error_env_step',
                f'{self.env_id}.step({action.tolist()}) raised ' f'{type(exc).__name__}: {exc}',
            )
            return False
        if not math.isfinite(reward):
            self.diag.error(
                'error_nonfinite_reward',
                f'{self.env_id} returned reward {reward}'
                f' at episode {self.episode}: published as is',
            )
        self.last_action = action
        self._ticks += 1
        self.episode_steps += 1
        self._return += reward
        self.lockstep.ended = terminated or truncated
        if self.lockstep.ended:
            self.diag.count(f'outcome_{outcome}')
        self._publish_step(obs, reward, terminated, truncated, outcome)
        self.diag.count('steps')
        return True

    # ------------------------------------------------------------------ commands
    def _action_from(self, values, topic: str) -> np.ndarray | None:
        """Return the checked and clipped action, or None (rejected: counted, throttled error)."""
        action, key, detail = self.env.check(values, topic)
        if action is None:
            self.diag.count('rejected_commands')
            self.diag.error(key, detail)
        elif detail:
            self.diag.count('clipped_commands')
        return action

    def _on_unstamped(self, values, topic: str) -> None:
        if self.lockstep.ignores_unstamped():
            return  # the matching stamped joint_action advances the step
        action = self._action_from(values, topic)
        if action is not None:
            self.lockstep.command(action)

    def _on_commands(self, msg: Float64MultiArray) -> None:
        self._on_unstamped(msg.data, 'commands')

    def _on_twist(self, msg: Twist | TwistStamped) -> None:
        t = msg.twist if isinstance(msg, TwistStamped) else msg
        values = [t.linear.x, t.angular.z] if self.action_dim == 2 else [t.linear.x]
        self._on_unstamped(values, 'cmd_vel')

    def _on_joint_action(self, msg: JointState) -> None:
        field = next(
            (f for f in ('effort', 'velocity', 'position') if len(getattr(msg, f))), 'effort'
        )
        if not self.lockstep.take_stamped(msg.header.stamp):
            return
        action = self._action_from(getattr(msg, field), f'joint_action.{field}')
        if action is not None:
            self.lockstep.command(action)

    def destroy_node(self):
        self.env.close()
        return super().destroy_node()


def main(args=None) -> None:
    """Entry point ``gym_bridge``."""
    spin_node(GymBridge, args)


if __name__ == '__main__':
    main()
