# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 robot_learning maintainers
"""``gym_bridge``: any gymnasium environment as a ROS 2 robot (docs/interfaces.md, Gym bridge).

It follows ``sim_node``'s conventions (the ``episode`` status protocol, lockstep/realtime,
stamped actions), with a gymnasium env in place of the built-in world.

Per step it publishes, in this order and all with the same ``header.stamp`` (sim time =
ticks x ``dt``; a tick per step and one per reset, so the first observation of an episode
never shares a stamp with the last one of the previous episode):

* ``/clock`` (rosgraph_msgs/Clock);
* ``episode`` (diagnostic_msgs/DiagnosticArray, reliable depth 100): one status named
  ``episode``, message running|success|failure|timeout (terminated with
  ``info['is_success']`` -> success, terminated otherwise -> failure, truncated ->
  timeout), values reward, terminated, truncated, episode, step, return, instruction,
  prev_stamp; the step-0 status of each episode has reward 0 and prev_stamp -1;
* ``observation/array`` (std_msgs/Float64MultiArray, only with
  ``observation_type: array``; dim label ``observation``);
* ``joint_states`` (sensor_msgs/JointState, reliable depth 50) last: observers trigger on
  it. ``position ‖ velocity ‖ effort`` is exactly the (flattened) gym observation in
  float64. MuJoCo envs whose observation is ``qpos ‖ qvel`` of hinge/slide joints get the
  joint names, ``position`` = qpos, ``velocity`` = qvel; any other env gets names
  ``obs_0..obs_{n-1}`` with everything in ``position``.

At each reset it publishes ``instruction`` (std_msgs/String, latched) before the step-0
observation; ``gym/spec`` (std_msgs/String, latched) holds a JSON description of the env
(env_id, obs_dim, joint_names, position_dim, velocity_dim, observation_names,
observation_low/high, action_dim, action_names, action_low/high, dt, max_episode_steps,
...; infinite bounds are null).

Commands (reliable, depth 10), in the env's units, clipped to the action Box:

* ``commands`` (std_msgs/Float64MultiArray, ros2_control forward-command convention) with
  ``action_type: float64_multi_array``, or ``cmd_vel`` (geometry_msgs/TwistStamped, as the
  policy node publishes by default; plain Twist with ``cmd_vel_stamped: false``: [linear.x,
  angular.z] for 2-D actions, [linear.x] for 1-D) with ``action_type: twist``;
* ``joint_action`` (sensor_msgs/JointState, header.stamp = stamp of the observation it
  answers; values from the first non-empty of effort, velocity, position).

A command of the wrong length or with non-finite values is rejected (throttled error,
counted on ``/diagnostics``) and does not step.

Modes: ``realtime`` steps on a wall timer at ``control_rate`` with the latest command
(zero, clipped to the bounds, once it is older than ``cmd_timeout``); ``lockstep`` steps
once per command. In lockstep, ``lockstep_commands`` picks what steps: ``auto`` (while a
``joint_action`` publisher is matched only the first ``joint_action`` stamped with the
current observation, others counted as ``stale_actions``; otherwise the unstamped topic),
``action`` or ``commands``. With nothing for ``lockstep_resend_s`` the last step is
republished (same stamp); ``lockstep_max_rate`` caps steps per wall second;
``lockstep_max_lag`` holds step k+1 while k - ``learner/progress`` (std_msgs/UInt64) >
the lag, until progress arrives or none came for ``lockstep_lag_timeout_s``.

Service ``sim/reset`` (std_srvs/Trigger) starts a new episode. ``autoreset``: after a
terminal step the next command starts a new episode (and is not applied).
"""

from __future__ import annotations

import array
import json
import math
import time

from diagnostic_msgs.msg import DiagnosticArray, DiagnosticStatus, KeyValue
from geometry_msgs.msg import Twist, TwistStamped
import numpy as np
from rclpy.clock import Clock, ClockType
from rclpy.node import Node
from robot_learning.errors import ConfigError
from robot_learning_nodes.common import (
    COMMAND_QOS,
    declare,
    Diagnostics,
    LATCHED_QOS,
    live_parameters,
    s_to_stamp,
    SENSOR_PUB_QOS,
    spin_node,
)
from robot_learning_sim import gym_spaces
from robot_learning_sim.sim_node import (
    _EPISODE_KEYS,
    _stamp_key,
    _stamp_str,
    CLOCK_QOS,
    EPISODE_QOS,
)
from rosgraph_msgs.msg import Clock as ClockMsg
from sensor_msgs.msg import JointState
from std_msgs.msg import Float64MultiArray, MultiArrayDimension, String, UInt64
from std_srvs.srv import Trigger

_MODES = ('lockstep', 'realtime')
_LOCKSTEP_COMMANDS = ('auto', 'action', 'commands')
_ACTION_TYPES = ('float64_multi_array', 'twist')
_OBSERVATION_TYPES = ('joint_state', 'array')


def _one_of(name: str, value: str, allowed: tuple[str, ...]) -> str:
    if value not in allowed:
        raise ConfigError(f'parameter {name} must be one of {", ".join(allowed)}, not {value!r}')
    return value


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
        self.env_id = declare(
            self,
            'env_id',
            'Pendulum-v1',
            "gymnasium environment id for gym.make ('module:Env-v0' imports " 'module first)',
            read_only=True,
        )
        env_kwargs = declare(
            self,
            'env_kwargs',
            '{}',
            'JSON object of keyword arguments for gym.make',
            read_only=True,
        )
        seed = declare(
            self,
            'seed',
            0,
            'seed of the first reset; later resets continue the '
            "env's RNG (episode k is reproducible)",
            read_only=True,
            min_value=0,
        )
        max_steps = declare(
            self,
            'max_episode_steps',
            0,
            "truncate episodes after this many steps (0 = the env's own " 'TimeLimit)',
            read_only=True,
            min_value=0,
        )
        self.mode = _one_of(
            'mode',
            declare(
                self,
                'mode',
                'lockstep',
                "'lockstep' (one step per command) or 'realtime' " '(wall timer at control_rate)',
                read_only=True,
            ),
            _MODES,
        )
        rate = declare(
            self,
            'control_rate',
            0.0,
            'realtime steps per wall second, Hz (0 = 1/env dt, or 20 Hz when the '
            'env has no dt)',
            read_only=True,
            min_value=0.0,
            max_value=10000.0,
        )
        self.cmd_timeout = declare(
            self,
            'cmd_timeout',
            0.5,
            'realtime: a command older than this (wall) counts as ' 'zero, s',
            min_value=0.0,
            max_value=3600.0,
        )
        self.resend_s = declare(
            self,
            'lockstep_resend_s',
            0.5,
            'lockstep: republish the last step (same stamp) after this '
            'many wall seconds without a command (0 = never), s',
            min_value=0.0,
            max_value=3600.0,
        )
        self.max_rate = declare(
            self,
            'lockstep_max_rate',
            0.0,
            'lockstep: at most this many steps per wall second ' '(0 = unlimited), Hz',
            read_only=True,
            min_value=0.0,
        )
        self.lockstep_commands = _one_of(
            'lockstep_commands',
            declare(
                self,
                'lockstep_commands',
                'auto',
                "lockstep: what advances a step: 'action' (joint_action stamped with the "
                "observation it answers; only the first for the current step counts), 'commands'"
                " (every unstamped command), 'auto' ('action' while a joint_action publisher is "
                "matched, else 'commands')",
                read_only=True,
            ),
            _LOCKSTEP_COMMANDS,
        )
        self.action_type = _one_of(
            'action_type',
            declare(
                self,
                'action_type',
                'float64_multi_array',
                "unstamped command topic: 'float64_multi_array' (sub commands) or 'twist' (sub "
                'cmd_vel: [linear.x, angular.z] or [linear.x])',
                read_only=True,
            ),
            _ACTION_TYPES,
        )
        self.observation_type = _one_of(
            'observation_type',
            declare(
                self,
                'observation_type',
                'joint_state',
                "'joint_state' (joint_states only) or 'array' (also Float64MultiArray on "
                'observation/array)',
                read_only=True,
            ),
            _OBSERVATION_TYPES,
        )
        self.autoreset = declare(
            self,
            'autoreset',
            True,
            'after a terminal step the next command starts a new episode'
            ' (and is not applied); false: wait for sim/reset',
        )
        self.instruction = declare(
            self, 'instruction', '', "instruction text published at each reset ('' = env_id)"
        )
        self.max_lag = declare(
            self,
            'lockstep_max_lag',
            0,
            'lockstep: hold step k+1 while k - learner/progress exceeds ' 'this (0 = off)',
            read_only=True,
            min_value=0,
        )
        self.max_steps = declare(
            self,
            'max_steps',
            0,
            'stop stepping after this many env steps in all (a fixed budget, '
            'e.g. for a benchmark; 0 = never)',
            read_only=True,
            min_value=0,
        )
        self.lag_timeout_s = declare(
            self,
            'lockstep_lag_timeout_s',
            5.0,
            'lockstep_max_lag: stop waiting when no learner/progress '
            'came for this long (wall), s',
            min_value=0.0,
            max_value=3600.0,
        )
        for name, value in (
            ('cmd_timeout', self.cmd_timeout),
            ('lockstep_resend_s', self.resend_s),
            ('lockstep_max_rate', self.max_rate),
            ('control_rate', rate),
            ('lockstep_max_lag', self.max_lag),
            ('max_steps', self.max_steps),
            ('lockstep_lag_timeout_s', self.lag_timeout_s),
        ):
            if not value >= 0:
                raise ConfigError(f'parameter {name} must be >= 0, not {value}')

        # ---------------------------------------------------------------- the env
        self.env = gym_spaces.make_env(
            self.env_id, gym_spaces.parse_env_kwargs(env_kwargs), max_steps
        )
        self._setup_env(seed, rate)

        self.diag = Diagnostics(self)
        # Env steps and episodes, and the commands that drive them.
        self.diag.task('environment', keys=('steps',), params=True)
        self.diag.task(
            'commands',
            keys=(
                'rejected_commands',
                'clipped_commands',
                'commands_ignored_while_paired',
                'stale_actions',
                'cmds_while_waiting_for_reset',
                'commands_after_max_steps',
            ),
            errors=('error_command_length', 'error_command_nonfinite'),
        )
        self.diag.set('mode', self.mode)
        self.diag.set('env_id', self.env_id)

        # ---------------------------------------------------------------- topics
        self._pub_clock = self.create_publisher(ClockMsg, '/clock', CLOCK_QOS)
        self._pub_episode = self.create_publisher(DiagnosticArray, 'episode', EPISODE_QOS)
        self._pub_array = None
        if self.observation_type == 'array':
            self._pub_array = self.create_publisher(
                Float64MultiArray, 'observation/array', SENSOR_PUB_QOS
            )
        self._pub_joints = self.create_publisher(JointState, 'joint_states', SENSOR_PUB_QOS)
        self._pub_instruction = self.create_publisher(String, 'instruction', LATCHED_QOS)
        self._pub_spec = self.create_publisher(String, 'gym/spec', LATCHED_QOS)
        cmd_stamped = declare(
            self,
            'cmd_vel_stamped',
            True,
            "action_type 'twist': cmd_vel is TwistStamped (false: plain Twist)",
            read_only=True,
        )
        if self.action_type == 'twist':
            self._cmd_topic = 'cmd_vel'
            self.create_subscription(
                TwistStamped if cmd_stamped else Twist, 'cmd_vel', self._on_twist, COMMAND_QOS
            )
        else:
            self._cmd_topic = 'commands'
            self.create_subscription(Float64MultiArray, 'commands', self._on_commands, COMMAND_QOS)
        self._action_sub = None
        if self.mode == 'realtime' or self.lockstep_commands != 'commands':
            self._action_sub = self.create_subscription(
                JointState, 'joint_action', self._on_joint_action, COMMAND_QOS
            )
        if self.mode == 'lockstep' and self.max_lag > 0:
            self.create_subscription(UInt64, 'learner/progress', self._on_progress, COMMAND_QOS)
        self.create_service(Trigger, 'sim/reset', self._on_reset)

        # ---------------------------------------------------------------- state
        self._init_messages()
        self._wall = Clock(clock_type=ClockType.STEADY_TIME)
        self.episode = 0
        self.episode_steps = 0
        self.steps_total = 0  # env steps taken since start-up (all episodes)
        self._ticks = 0  # sim time = _ticks * dt
        self._ended = False  # last published step was terminal / truncated
        self._return = 0.0
        self._prev_stamp = None  # stamp of the previously published observation
        self._last_pub_wall = 0.0  # monotonic time of the last publication of a step
        self._last_step_wall = -math.inf
        self._zero = self._clip(np.zeros(self.action_dim))
        self.last_action = self._zero  # the action applied by the last step (as given to env)
        self._cmd = self._zero  # realtime: latest command and its wall time
        self._cmd_wall = -math.inf
        self._pending = None  # lockstep: command waiting for max_rate / max_lag
        self._pending_waited = False  # the pending command was counted as a lag wait
        self._pending_timed_out = False
        self._obs_key = None  # lockstep: (sec, usec) stamp of the current observation
        self._answered = False  # lockstep: a command was taken for the current observation
        self.progress = None  # latest learner/progress value and its wall time
        self._progress_wall = -math.inf
        self._lag_warn_wall = -math.inf
        self._rate_t0, self._rate_n = time.monotonic(), 0

        self._pub_spec.publish(String(data=json.dumps(self.spec)))
        if self.mode == 'realtime':
            self.create_timer(1.0 / self.control_rate, self._on_tick, clock=self._wall)
        else:
            period = 0.05 if self.max_rate <= 0 else min(0.05, 0.25 / self.max_rate)
            self.create_timer(period, self._on_lockstep_timer, clock=self._wall)
        self._new_episode(first=True)
        live_parameters(
            self,
            {
                name: (lambda v, attr=attr: setattr(self, attr, v))
                for name, attr in (
                    ('autoreset', 'autoreset'),
                    ('lockstep_resend_s', 'resend_s'),
                    ('cmd_timeout', 'cmd_timeout'),
                    ('lockstep_lag_timeout_s', 'lag_timeout_s'),
                    ('instruction', 'instruction'),
                )
            },
        )
        self.get_logger().info(
            f'gym_bridge up: {self.env_id} mode={self.mode} dt={self.dt} s, action '
            f'{self.env.action_space} on {self._cmd_topic}/joint_action, observation '
            f'{self.obs_dim} values on joint_states'
        )

    # ------------------------------------------------------------------ env
    def _setup_env(self, seed: int, rate: float) -> None:
        """Spaces, first reset (with ``seed``), observation layout, dt, rate and spec."""
        env = self.env
        self.action_space = env.action_space
        self._low, self._high = gym_spaces.action_bounds(env.action_space, self.env_id)
        self.action_dim = int(self._low.size)
        if self.action_type == 'twist' and self.action_dim not in (1, 2):
            raise ConfigError(
                f"action_type 'twist' needs a 1-D or 2-D action space, "
                f'{self.env_id} has {env.action_space}'
            )
        self.obs_dim = gym_spaces.observation_dim(env.observation_space, self.env_id)
        try:
            obs, _ = env.reset(seed=seed)
        except Exception as exc:  # noqa: BLE001 - third-party reset
            raise ConfigError(
                f'{self.env_id}: reset(seed={seed}) failed: '
                f'{type(exc).__name__}: {" ".join(str(exc).split())}'
            ) from None
        self._first_obs = gym_spaces.flat_observation(env.observation_space, obs)
        names = gym_spaces.mujoco_joint_names(env, obs)
        if names is not None:
            self.joint_names, self.n_position = names, len(names)
        else:
            self.joint_names = [f'obs_{i}' for i in range(self.obs_dim)]
            self.n_position = self.obs_dim
        env_dt = gym_spaces.env_dt(env)
        if rate > 0:
            self.control_rate = rate
        else:
            self.control_rate = 1.0 / env_dt if env_dt else gym_spaces.DEFAULT_RATE_HZ
        self.dt = env_dt if env_dt else 1.0 / self.control_rate
        if self.action_type == 'twist':
            action_names = ['linear.x', 'angular.z'][: self.action_dim]
        else:
            action_names = gym_spaces.mujoco_actuator_names(env, self.action_dim) or [
                f'action_{i}' for i in range(self.action_dim)
            ]
        self.spec = gym_spaces.spec_dict(
            self.env_id,
            env,
            self.obs_dim,
            self.joint_names,
            self.n_position,
            self.dt,
            action_names,
            {
                'mode': self.mode,
                'control_rate': self.control_rate,
                'action_type': self.action_type,
                'observation_type': self.observation_type,
                'command_topic': 'cmd_vel' if self.action_type == 'twist' else 'commands',
                'seed': seed,
            },
        )

    def _clip(self, values) -> np.ndarray:
        """Command (float64, env units) -> the action given to the env (clipped, its dtype)."""
        return np.clip(np.asarray(values, dtype=np.float64), self._low, self._high).astype(
            self.action_space.dtype
        )

    # ------------------------------------------------------------------ messages
    def _init_messages(self) -> None:
        """Pre-allocate the per-step messages; each step only overwrites fields."""
        self._clock_msg = ClockMsg()
        js = self._joint_msg = JointState()
        js.name = list(self.joint_names)
        a = self._array_msg = Float64MultiArray()
        a.layout.dim = [
            MultiArrayDimension(label='observation', size=self.obs_dim, stride=self.obs_dim)
        ]
        self._kv = {k: KeyValue(key=k, value='') for k in _EPISODE_KEYS}
        st = self._status = DiagnosticStatus(name='episode', hardware_id=self.get_name())
        st.values = [self._kv[k] for k in _EPISODE_KEYS]
        self._episode_msg = DiagnosticArray(status=[st])

    def _publish_step(
        self, obs: np.ndarray, reward: float, terminated: bool, truncated: bool, outcome: str
    ) -> None:
        """Publish one step: /clock, episode, [observation/array], joint_states."""
        stamp = s_to_stamp(self._ticks * self.dt)
        self._clock_msg.clock = stamp
        self._pub_clock.publish(self._clock_msg)

        kv = self._kv
        kv['reward'].value = repr(float(reward))
        kv['terminated'].value = '1' if terminated else '0'
        kv['truncated'].value = '1' if truncated else '0'
        kv['episode'].value = str(self.episode)
        kv['step'].value = str(self.episode_steps)
        kv['return'].value = repr(float(self._return))
        kv['instruction'].value = self._instruction_text
        kv['prev_stamp'].value = '-1' if self._prev_stamp is None else _stamp_str(self._prev_stamp)
        st = self._status
        st.message = outcome
        st.level = (
            DiagnosticStatus.OK if outcome in ('running', 'success') else DiagnosticStatus.WARN
        )
        self._episode_msg.header.stamp = stamp
        self._pub_episode.publish(self._episode_msg)

        if not np.isfinite(obs).all():
            self.diag.error(
                'error_nonfinite_observation',
                f'{self.env_id} returned a non-finite observation at episode '
                f'{self.episode} step {self.episode_steps}: published as is',
            )
        if self._pub_array is not None:
            self._array_msg.data = array.array('d', obs.tobytes())
            self._pub_array.publish(self._array_msg)
        js = self._joint_msg
        js.header.stamp = stamp
        n = self.n_position
        js.position = array.array('d', obs[:n].tobytes())
        js.velocity = array.array('d', obs[n:].tobytes())
        self._pub_joints.publish(js)

        self._prev_stamp = stamp
        self._obs_key = _stamp_key(stamp)
        self._answered = False
        self._last_pub_wall = time.monotonic()

    def _republish(self) -> None:
        """Lockstep resend: the last step's messages again, unchanged (same stamp)."""
        self._pub_clock.publish(self._clock_msg)
        self._pub_episode.publish(self._episode_msg)
        if self._pub_array is not None:
            self._pub_array.publish(self._array_msg)
        self._pub_joints.publish(self._joint_msg)
        self._last_pub_wall = time.monotonic()
        self.diag.count('resends')

    # ------------------------------------------------------------------ episodes
    def _new_episode(self, first: bool = False) -> None:
        """Reset the env, publish the instruction and the step-0 observation.

        The first episode's env is already reset with ``seed``.
        """
        if first:
            obs = self._first_obs
        else:
            try:
                raw, _ = self.env.reset()
            except Exception as exc:  # noqa: BLE001 - third-party reset
                self.diag.error(
                    'error_env_reset',
                    f'{self.env_id}.reset() raised ' f'{type(exc).__name__}: {exc}',
                )
                return
            obs = gym_spaces.flat_observation(self.env.observation_space, raw)
            self._ticks += 1  # the step-0 stamp differs from the previous terminal stamp
            self.episode += 1
        self._ended = False
        self._return = 0.0
        self._prev_stamp = None
        self.episode_steps = 0
        self._instruction_text = self.instruction or self.env_id
        self._pub_instruction.publish(String(data=self._instruction_text))
        self._publish_step(obs, 0.0, False, False, 'running')
        self.diag.count('episodes')
        self.diag.set('episode', self.episode)

    def _advance(self, action: np.ndarray) -> None:
        """Apply one action for one env step (or start the next episode)."""
        self._last_step_wall = time.monotonic()
        if self.max_steps and self.steps_total >= self.max_steps:
            self.diag.count('commands_after_max_steps')  # the budget is spent: hold still
            return
        if self._ended:
            if self.autoreset:
                self._new_episode()  # this command is not applied
            else:
                self.diag.count('cmds_while_waiting_for_reset')
            return
        try:
            raw, reward, terminated, truncated, info = self.env.step(action)
        except Exception as exc:  # noqa: BLE001 - third-party step: report, do not die
            self.diag.error(
                'error_env_step',
                f'{self.env_id}.step({action.tolist()}) raised ' f'{type(exc).__name__}: {exc}',
            )
            self._answered = False  # another command for this observation may try again
            return
        obs = gym_spaces.flat_observation(self.env.observation_space, raw)
        reward = float(reward)
        terminated, truncated = bool(terminated), bool(truncated)
        if not math.isfinite(reward):
            self.diag.error(
                'error_nonfinite_reward',
                f'{self.env_id} returned reward {reward}'
                f' at episode {self.episode}: published as is',
            )
        self.last_action = action
        self._ticks += 1
        self.episode_steps += 1
        self.steps_total += 1
        self._return += reward
        self._ended = terminated or truncated
        outcome = gym_spaces.outcome(terminated, truncated, info)
        if self._ended:
            self.diag.count(f'outcome_{outcome}')
        self._publish_step(obs, reward, terminated, truncated, outcome)
        self.diag.count('steps')
        self._rate_n += 1
        now = time.monotonic()
        if now - self._rate_t0 >= 2.0:
            self.diag.set('steps_per_s', f'{self._rate_n / (now - self._rate_t0):.1f}')
            self._rate_t0, self._rate_n = now, 0

    # ------------------------------------------------------------------ commands
    def _action_from(self, values, topic: str) -> np.ndarray | None:
        """Return the checked and clipped action, or None (rejected: counted, throttled error)."""
        values = [float(v) for v in values]
        problem = gym_spaces.check_command(
            values, self.action_dim, topic, self.env_id, self.action_space
        )
        if problem is not None:
            key = (
                'error_command_length'
                if len(values) != self.action_dim
                else 'error_command_nonfinite'
            )
            self.diag.count('rejected_commands')
            self.diag.error(key, problem)
            return None
        if any(v < lo or v > hi for v, lo, hi in zip(values, self._low, self._high)):
            self.diag.count('clipped_commands')
        return self._clip(values)

    def _pair_actions(self) -> bool:
        """Lockstep advances on ``joint_action`` (stamped) rather than the unstamped topic."""
        if self.mode != 'lockstep' or self._action_sub is None:
            return False
        return self.lockstep_commands == 'action' or self._action_sub.get_publisher_count() > 0

    def _on_unstamped(self, values, topic: str) -> None:
        if self._pair_actions():
            self.diag.count('commands_ignored_while_paired')
            return  # the matching stamped joint_action advances the step
        action = self._action_from(values, topic)
        if action is None:
            return
        if self.mode == 'realtime':
            self._cmd, self._cmd_wall = action, time.monotonic()
        else:
            self._lockstep_command(action)

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
        topic = f'joint_action.{field}'
        if self.mode == 'realtime':
            action = self._action_from(getattr(msg, field), topic)
            if action is not None:
                self._cmd, self._cmd_wall = action, time.monotonic()
            return
        if not self._pair_actions():
            return
        if _stamp_key(msg.header.stamp) != self._obs_key or self._answered:
            # A late answer (to an earlier step or episode) or a second answer to this one.
            self.diag.count('stale_actions')
            return
        action = self._action_from(getattr(msg, field), topic)
        if action is not None:
            self._lockstep_command(action)

    # ------------------------------------------------------------------ lockstep pacing
    def _lockstep_command(self, action: np.ndarray) -> None:
        self._answered = True
        self._pending = action
        self._pending_waited = self._pending_timed_out = False
        self._try_pending()

    def _lagging(self, now: float) -> bool:
        """lockstep_max_lag: whether step ``steps_total + 1`` must wait for the learner."""
        if self.max_lag <= 0 or self.progress is None:
            return False  # off, or no learner has reported yet
        lag = self.steps_total - self.progress
        if lag <= self.max_lag:
            return False
        if now - self._progress_wall > self.lag_timeout_s:
            if not self._pending_timed_out:
                self._pending_timed_out = True
                self.diag.count('lag_timeouts')
            if now - self._lag_warn_wall >= 5.0:
                self._lag_warn_wall = now
                self.get_logger().warning(
                    f'no learner/progress for {now - self._progress_wall:.1f} s (last '
                    f'{self.progress}, {lag} steps behind): stepping without waiting'
                )
            return False
        if not self._pending_waited:
            self._pending_waited = True
            self.diag.count('lag_waits')
        return True

    def _try_pending(self) -> None:
        if self._pending is None:
            return
        now = time.monotonic()
        if self.max_rate > 0 and now - self._last_step_wall < 1.0 / self.max_rate:
            return  # the lockstep timer applies it when its turn comes
        if self._lagging(now):
            return  # progress (or its timeout) releases it
        action, self._pending = self._pending, None
        self._advance(action)

    def _on_progress(self, msg: UInt64) -> None:
        self.progress = int(msg.data)
        self._progress_wall = time.monotonic()
        self.diag.set('learner_progress', self.progress)
        self._try_pending()

    def _on_lockstep_timer(self) -> None:
        if self._pending is not None:
            self._try_pending()  # no resend while a command waits: nothing was lost
        elif (
            self.resend_s > 0
            and time.monotonic() - self._last_pub_wall >= self.resend_s
            and not (self.max_steps and self.steps_total >= self.max_steps)
        ):
            self._republish()

    # ------------------------------------------------------------------ realtime
    def _on_tick(self) -> None:
        if self._ended and not self.autoreset:
            return  # episode over: time stands still until sim/reset
        fresh = time.monotonic() - self._cmd_wall <= self.cmd_timeout
        self._advance(self._cmd if fresh else self._zero)

    # ------------------------------------------------------------------ params, service
    def _on_reset(self, request, response):
        self._pending = None
        self._new_episode()
        response.success = True
        response.message = f'episode {self.episode}: {self._instruction_text}'
        return response

    def destroy_node(self):
        self.env.close()
        return super().destroy_node()


def main(args=None) -> None:
    """Entry point ``gym_bridge``."""
    spin_node(GymBridge, args)


if __name__ == '__main__':
    main()
