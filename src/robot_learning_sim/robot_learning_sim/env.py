# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 robot_learning maintainers
"""The built-in world as a ``gymnasium.Env`` (ROS-free): ``RobotLearningWorld-v0``.

In-process code (benchmarks, reference learners, tests) steps the same
:class:`~robot_learning_sim.world.World` as ``sim_node`` through the plain gymnasium API::

    import gymnasium as gym
    env = gym.make('robot_learning_sim.env:RobotLearningWorld-v0', camera=True, seed=3)
    obs, info = env.reset(seed=0)
    obs, reward, terminated, truncated, info = env.step(env.action_space.sample())

Spaces: :func:`robot_learning_sim.gym_spaces.world_spaces` (lidar, detections, odometry
velocity, instruction index, optionally the camera; action (v m/s, w rad/s), clipped by
the world). Rewards, termination (reaching a pillar) and truncation
(``max_episode_steps``, a :class:`WorldConfig` field: pass it to the env, not as
``gym.make``'s own argument, which would add a TimeLimit the world knows nothing of) are
the world's. ``info`` carries what the ROS topics carry
beside the observation: ``instruction`` (text), ``outcome``, ``collided``,
``is_success``, and the privileged ``pose`` (x m, y m, yaw rad) and ``goal`` (x m, y m)
the scripted expert drives from. ``reset(seed=s)`` reseeds the episode generator (same
seed, same layout sequence), as :meth:`World.reset` does.
"""

from __future__ import annotations

from typing import Any

import gymnasium as gym
import numpy as np
from robot_learning_sim.gym_spaces import world_spaces
from robot_learning_sim.world import World, WorldConfig

ENV_ID = 'RobotLearningWorld-v0'


class WorldEnv(gym.Env):
    """``gymnasium.Env`` over :class:`~robot_learning_sim.world.World`.

    Args:
        render_mode: None or 'rgb_array' (:meth:`render` returns the forward camera).
        camera: put the camera image in the observation (costs a render per step).
        **config: :class:`~robot_learning_sim.world_config.WorldConfig` fields.

    Raises:
        ValueError: an invalid configuration (from :class:`WorldConfig`).
    """

    metadata = {'render_modes': ['rgb_array'], 'render_fps': 10}

    def __init__(self, render_mode: str | None = None, camera: bool = False, **config: Any):
        if render_mode not in (None, 'rgb_array'):
            raise ValueError(f"render_mode must be None or 'rgb_array', not {render_mode!r}")
        self.render_mode = render_mode
        self.camera = bool(camera)
        self.world = World(WorldConfig(**config))
        cfg = self.world.cfg
        self.metadata = dict(self.metadata, render_fps=round(1.0 / cfg.control_dt))
        self.observation_space, self.action_space = world_spaces(cfg, self.camera)

    def _observation(self) -> dict:
        w = self.world
        obs = {
            'scan': w.scan(),
            'detections': w.detections(),
            'velocity': np.asarray(w.velocity(), np.float32),
            'instruction': w.goal_index,
        }
        if self.camera:
            obs['image'] = w.render_camera()
        return obs

    def _info(self, outcome: str = 'running', collided: bool = False) -> dict:
        w = self.world
        return {
            'instruction': w.instruction,
            'outcome': outcome,
            'collided': collided,
            'is_success': outcome == 'success',
            'pose': w.pose(),
            'goal': w.goal_position(),
        }

    def reset(self, *, seed: int | None = None, options: dict | None = None):
        """Start an episode; ``seed`` reseeds the layout generator. Returns (obs, info)."""
        super().reset(seed=seed)
        self.world.reset(seed=seed)
        return self._observation(), self._info()

    def step(self, action):
        """Apply (v m/s, w rad/s) for one control period.

        Returns:
            (observation, reward, terminated, truncated, info).

        Raises:
            ValueError: a non-finite action.
        """
        v, w = np.asarray(action, dtype=np.float64).reshape(2)
        r = self.world.step(float(v), float(w))
        info = self._info(r.outcome, r.collided)
        return self._observation(), r.reward, r.terminated, r.truncated, info

    def render(self):
        """Return the forward camera, uint8 (camera_height, camera_width, 3), in 'rgb_array'."""
        if self.render_mode == 'rgb_array':
            return self.world.render_camera()
        return None

    def close(self):
        """Release the renderer."""
        self.world.close()


if ENV_ID not in gym.registry:
    gym.register(id=ENV_ID, entry_point='robot_learning_sim.env:WorldEnv')
