# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 robot_learning maintainers
"""The gymnasium side of ``gym_bridge``: one env, its layout, its commands (ROS-free).

:class:`BridgedEnv` makes the env, resets it once with the seed, and fixes what the node
publishes: the flat float64 observation split into ``position`` (the first
``n_position`` values) and ``velocity``, the joint names, the control period ``dt`` and
the JSON ``spec`` of ``gym/spec``. Commands are checked and clipped here.
"""

from __future__ import annotations

import numpy as np
from robot_learning.errors import ConfigError
from robot_learning_sim import gym_spaces


class BridgedEnv:
    """A gymnasium env as ``gym_bridge`` drives it.

    Args:
        env_id: gymnasium id ('module:Env-v0' imports module first).
        env_kwargs: JSON object text of keyword arguments for ``gym.make``.
        max_episode_steps: truncation limit (0: the env's own TimeLimit).
        seed: seed of the first reset.
        rate: realtime steps per wall second, Hz (0: 1/dt, or 20 Hz without a dt).
        action_type: 'float64_multi_array' or 'twist' (1-D or 2-D actions only).
        spec_extra: extra fields of the spec (mode, observation_type, ...).

    Raises:
        ConfigError: the env cannot be made or reset, or its spaces do not fit (one line).
    """

    def __init__(
        self,
        env_id: str,
        env_kwargs: str,
        max_episode_steps: int,
        seed: int,
        rate: float,
        action_type: str,
        spec_extra: dict,
    ):
        self.env_id = env_id
        self.env = gym_spaces.make_env(
            env_id, gym_spaces.parse_env_kwargs(env_kwargs), max_episode_steps
        )
        try:
            self._setup(seed, rate, action_type, spec_extra)
        except BaseException:
            self.env.close()
            raise

    def _setup(self, seed: int, rate: float, action_type: str, spec_extra: dict) -> None:
        env, env_id = self.env, self.env_id
        self.action_space = env.action_space
        self.low, self.high = gym_spaces.action_bounds(env.action_space, env_id)
        self.action_dim = int(self.low.size)
        if action_type == 'twist' and self.action_dim not in (1, 2):
            raise ConfigError(
                f"action_type 'twist' needs a 1-D or 2-D action space, "
                f'{env_id} has {env.action_space}'
            )
        self.obs_dim = gym_spaces.observation_dim(env.observation_space, env_id)
        try:
            obs, _ = env.reset(seed=seed)
        except Exception as exc:  # noqa: BLE001 - third-party reset
            raise ConfigError(
                f'{env_id}: reset(seed={seed}) failed: '
                f'{type(exc).__name__}: {" ".join(str(exc).split())}'
            ) from None
        self.first_obs = gym_spaces.flat_observation(env.observation_space, obs)
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
        if action_type == 'twist':
            action_names = ['linear.x', 'angular.z'][: self.action_dim]
        else:
            action_names = gym_spaces.mujoco_actuator_names(env, self.action_dim) or [
                f'action_{i}' for i in range(self.action_dim)
            ]
        self.spec = gym_spaces.spec_dict(
            env_id,
            env,
            self.obs_dim,
            self.joint_names,
            self.n_position,
            self.dt,
            action_names,
            {
                'mode': spec_extra['mode'],
                'control_rate': self.control_rate,
                'action_type': action_type,
                'observation_type': spec_extra['observation_type'],
                'command_topic': 'cmd_vel' if action_type == 'twist' else 'commands',
                'seed': seed,
            },
        )
        self.zero = self.clip(np.zeros(self.action_dim))

    def clip(self, values) -> np.ndarray:
        """Command (float64, env units) -> the action given to the env (clipped, its dtype)."""
        return np.clip(np.asarray(values, dtype=np.float64), self.low, self.high).astype(
            self.action_space.dtype
        )

    def check(self, values, topic: str) -> tuple[np.ndarray | None, str | None, str | bool]:
        """Check one command.

        Returns:
            (action, None, clipped) for a usable command (``clipped``: some value was out
            of the bounds); (None, error key, one-line problem) for a rejected one.
        """
        values = [float(v) for v in values]
        problem = gym_spaces.check_command(
            values, self.action_dim, topic, self.env_id, self.action_space
        )
        if problem is not None:
            key = 'error_command_length' if len(values) != self.action_dim else (
                'error_command_nonfinite'
            )
            return None, key, problem
        clipped = any(v < lo or v > hi for v, lo, hi in zip(values, self.low, self.high))
        return self.clip(values), None, clipped

    def reset(self) -> np.ndarray:
        """Reset the env (continuing its RNG); returns the flat float64 observation."""
        raw, _ = self.env.reset()
        return gym_spaces.flat_observation(self.env.observation_space, raw)

    def step(self, action: np.ndarray) -> tuple[np.ndarray, float, bool, bool, str]:
        """One env step; returns (flat observation, reward, terminated, truncated, outcome)."""
        raw, reward, terminated, truncated, info = self.env.step(action)
        obs = gym_spaces.flat_observation(self.env.observation_space, raw)
        terminated, truncated = bool(terminated), bool(truncated)
        return (
            obs,
            float(reward),
            terminated,
            truncated,
            gym_spaces.outcome(terminated, truncated, info),
        )

    def close(self) -> None:
        """Close the env."""
        self.env.close()
