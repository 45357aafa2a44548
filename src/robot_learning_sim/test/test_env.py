# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 robot_learning maintainers
"""The built-in world as a gymnasium env: the checker, seeding, and the world's own loop."""

import gymnasium as gym
from gymnasium.utils.env_checker import check_env
import numpy as np
import pytest
from robot_learning_sim.env import ENV_ID, WorldEnv
from robot_learning_sim.expert import ExpertPolicy
from robot_learning_sim.world import World, WorldConfig


def test_env_checker_passes_with_and_without_the_camera():
    for kwargs in ({}, {'camera': True, 'camera_width': 32, 'camera_height': 24}):
        env = gym.make(f'robot_learning_sim.env:{ENV_ID}', **kwargs)
        try:
            check_env(env.unwrapped, skip_render_check=False)
            obs, info = env.reset(seed=4)
            assert env.observation_space.contains(obs)
            assert ('image' in obs) == bool(kwargs)
            assert info['instruction'].startswith('go to the ')
        finally:
            env.close()
    env = WorldEnv(render_mode='rgb_array', camera_width=40, camera_height=30)
    check_env(env)
    env.reset(seed=0)
    assert env.render().shape == (30, 40, 3) and env.render().dtype == np.uint8
    env.close()


def test_registered_id_makes_the_env():
    env = gym.make(ENV_ID, n_obstacles=1)  # registered on import of robot_learning_sim.env
    assert isinstance(env.unwrapped, WorldEnv)
    assert env.unwrapped.world.cfg.n_obstacles == 1
    env.close()
    # The world truncates its episodes itself (gym.make's max_episode_steps would add a
    # TimeLimit on top, whose truncation the world's outcome would not know).
    env = WorldEnv(max_episode_steps=7)
    env.reset(seed=1)
    for _ in range(7):
        *_, terminated, truncated, info = env.step(np.zeros(2, np.float32))
    assert truncated and not terminated and info['outcome'] == 'timeout'
    env.close()


def test_seeded_reset_repeats_the_layout():
    env = WorldEnv()
    a, ia = env.reset(seed=11)
    env.step(env.action_space.sample())
    b, ib = env.reset(seed=11)
    assert ia['goal'] == ib['goal'] and ia['pose'] == ib['pose']
    assert all(np.array_equal(a[k], b[k]) for k in a)
    env.close()


def test_expert_through_the_env_matches_the_world_loop():
    """Same seeds, same commands: the env is the world, nothing added or reordered."""
    env, world = WorldEnv(seed=3), World(WorldConfig(seed=3))
    expert_env, expert_world = ExpertPolicy(), ExpertPolicy()
    got, want = [], []
    for ep in range(2):
        obs, info = env.reset(seed=100 + ep)
        world.reset(seed=100 + ep)
        expert_env.reset()
        expert_world.reset()
        ret_env = ret_world = 0.0
        while True:
            action = expert_env.act(info['pose'], info['goal'], obs['scan'])
            obs, reward, terminated, truncated, info = env.step(action)
            ret_env += reward
            if terminated or truncated:
                got.append((info['outcome'], env.world.episode_steps, ret_env))
                break
        while True:
            r = world.step(*expert_world.act(world.pose(), world.goal_position(), world.scan()))
            ret_world += r.reward
            if r.terminated or r.truncated:
                want.append((r.outcome, world.episode_steps, ret_world))
                break
    assert got == want
    assert got[0][0] == 'success'
    env.close()
    world.close()


def test_bad_arguments_raise():
    with pytest.raises(ValueError, match='render_mode'):
        WorldEnv(render_mode='human')
    with pytest.raises(ValueError, match='colou'):
        WorldEnv(colors=('red', 'mauve'))
    env = WorldEnv()
    env.reset(seed=0)
    with pytest.raises(ValueError, match='non-finite'):
        env.step(np.array([np.nan, 0.0]))
    env.close()
