"""The scripted expert drives the world directly (no ROS)."""

import math

import numpy as np

from robot_learning_sim.expert import ExpertConfig, ExpertPolicy, evaluate
from robot_learning_sim.world import World, WorldConfig


def test_expert_success_rate():
    stats = evaluate(World(WorldConfig(seed=3)), episodes=40, seed=2024)
    assert stats.episodes == 40
    assert stats.success_rate >= 0.9, stats
    assert stats.failures <= 1, stats  # it avoids the wrong pillars
    assert stats.mean_steps < 120, stats  # short episodes: straight when it can


def test_expert_drives_like_a_joystick_user():
    world, policy = World(WorldConfig(seed=8)), ExpertPolicy()
    cfg = policy.cfg
    for ep in range(5):
        world.reset(seed=300 + ep)
        policy.reset()
        prev = (0.0, 0.0)
        while True:
            v, w = policy.act(world.pose(), world.goal_position(), world.scan())
            assert 0.0 <= v <= cfg.max_linear and abs(w) <= cfg.max_angular
            # Acceleration limits: no jumps between consecutive commands.
            assert abs(v - prev[0]) <= cfg.accel_linear * cfg.dt + 1e-9
            assert abs(w - prev[1]) <= cfg.accel_angular * cfg.dt + 1e-9
            prev = (v, w)
            r = world.step(v, w)
            if r.terminated or r.truncated:
                break
        assert r.outcome == 'success'


def test_expert_goes_straight_in_open_space():
    world = World(WorldConfig(n_obstacles=0, seed=9))
    world.reset(seed=1)
    gx, gy = world.goal_position()
    x, y, _ = world.pose()
    policy = ExpertPolicy(ExpertConfig())
    steps = 0
    while True:
        r = world.step(*policy.act(world.pose(), (gx, gy), world.scan()))
        steps += 1
        if r.terminated or r.truncated:
            break
    dist = math.hypot(gx - x, gy - y)
    assert r.outcome == 'success'
    # Turning on the spot (<= 2.5 s with ramps) plus the straight line at ~0.55 m/s.
    assert steps * 0.1 <= 2.5 + (dist - 0.4) / 0.55


def test_expert_ignores_missing_returns():
    policy = ExpertPolicy()
    scan = np.full(360, np.inf, dtype=np.float32)
    scan[:10] = np.nan
    v, w = policy.act((0.0, 0.0, 0.0), (2.0, 0.0), scan)
    assert v > 0 and w == 0.0
