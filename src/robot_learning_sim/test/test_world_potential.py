# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 robot_learning maintainers
"""The path-distance progress potential (world_potential) and WorldConfig.progress (no ROS)."""

import math

import numpy as np
import pytest
from robot_learning_sim.world import World, WorldConfig
from robot_learning_sim.world_potential import PathField

NO_BOXES = np.zeros((0, 5))
NO_PILLARS = np.zeros((0, 2))


def test_open_room_is_the_straight_line_to_the_disc():
    field = PathField(5.0, (1.0, 0.0), 0.4, 0.17, NO_BOXES, NO_PILLARS, 0.45)
    assert field(1.0, 0.1) == 0.0  # inside the success disc
    for x, y in ((-1.0, 0.0), (1.0, 1.5), (-1.0, -1.0)):
        straight = math.hypot(x - 1.0, y) - 0.4
        # 8-connected grid: at most ~8 % longer than the straight line, never shorter.
        assert straight - 0.1 <= field(x, y) <= straight * 1.09 + 0.1


def test_a_box_and_a_wrong_pillar_are_gone_around():
    wall = np.array([[0.0, 0.0, 0.1, 1.2, 0.0]])  # a 2.4 m barrier between start and goal
    field = PathField(5.0, (1.0, 0.0), 0.4, 0.17, wall, NO_PILLARS, 0.45)
    detour = field(-1.0, 0.0)
    assert detour > 2.0 * (math.hypot(2.0, 0.0) - 0.4)  # around the barrier's end
    assert field(0.0, 0.0) > detour  # inside the box: finite, and worse than outside
    pillar = PathField(5.0, (1.0, 0.0), 0.4, 0.17, NO_BOXES, np.array([[0.0, 0.0]]), 0.45)
    assert pillar(-1.0, 0.0) > PathField(
        5.0, (1.0, 0.0), 0.4, 0.17, NO_BOXES, np.array([[np.nan, np.nan]]), 0.45
    )(-1.0, 0.0) + 0.1


def test_bad_sizes_are_refused():
    with pytest.raises(ValueError, match='resolution'):
        PathField(5.0, (1.0, 0.0), 0.4, 0.17, NO_BOXES, NO_PILLARS, 0.45, resolution=0.0)
    with pytest.raises(ValueError, match="progress must be 'straight' or 'path'"):
        WorldConfig(progress='manhattan')


def test_path_progress_pays_the_same_for_a_clear_approach():
    # Straight at the goal with nothing in between: both potentials reward the same
    # progress (the path field measures to the disc, a constant offset), within a cell.
    rewards = {}
    for progress in ('straight', 'path'):
        world = World(WorldConfig(seed=3, n_obstacles=0, progress=progress))
        world.reset(seed=3)
        gx, gy = world.pillars[world.goal_index]
        side = -1.0 if gx > 0 else 1.0  # start 1.5 m toward the room centre, facing it
        world.place_robot(gx + side * 1.5, gy, 0.0 if side < 0 else math.pi)
        rewards[progress] = sum(world.step(0.5, 0.0).reward for _ in range(10))
        world.close()
    assert rewards['path'] == pytest.approx(rewards['straight'], abs=1.0)
