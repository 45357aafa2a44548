# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 robot_learning maintainers
"""World behaviour: layout sampling, lidar, rewards and episode ends (no ROS)."""

import math

import mujoco
import numpy as np
import pytest
from robot_learning_sim.world import _box_distance, ROBOT_RADIUS, World, WorldConfig


def _wall_distance(p, half):
    return min(half - abs(p[0]), half - abs(p[1]))


def _set_pillars(world, positions):
    """Move the pillars (rows in colour order) for a scripted scenario."""
    world.pillars = np.asarray(positions, dtype=float)
    for k, mid in enumerate(world._pil_mocap):
        world.data.mocap_pos[mid] = (*world.pillars[k], world.cfg.pillar_height / 2)
    mujoco.mj_forward(world.model, world.data)


@pytest.fixture(scope='module')
def world():
    w = World(WorldConfig(seed=1))
    yield w
    w.close()


def test_reset_places_pillars_with_clearance(world):
    cfg = world.cfg
    half = cfg.room_size / 2
    goals = set()
    for ep in range(60):
        world.reset(seed=ep)
        assert world.episode_steps == 0 and world.outcome == 'running'
        pillars, obs = world.pillars, world.obstacles
        assert pillars.shape == (3, 2) and np.isfinite(pillars).all()
        x, y, _ = world.pose()
        for k, p in enumerate(pillars):
            assert _wall_distance(p, half) >= 0.6 - 1e-9
            for o in obs:
                assert _box_distance(p[0], p[1], o[:2], o[2:4], o[4]) >= 0.6 - 1e-9
            for q in pillars[k + 1:]:
                assert np.hypot(*(p - q)) >= 0.6
            assert math.hypot(p[0] - x, p[1] - y) >= 1.0
        for o in obs:
            assert 0.1 - 1e-9 <= o[2] <= 0.25 + 1e-9 and 0.1 - 1e-9 <= o[3] <= 0.25 + 1e-9
            assert _box_distance(x, y, o[:2], o[2:4], o[4]) >= ROBOT_RADIUS
        assert _wall_distance((x, y), half) > ROBOT_RADIUS
        # The simulated scene is the sampled one.
        for k, mid in enumerate(world._pil_mocap):
            np.testing.assert_allclose(world.data.mocap_pos[mid][:2], pillars[k])
        for i, g in enumerate(world._obs_geom):
            np.testing.assert_allclose(world.model.geom_size[g][:2], obs[i, 2:4])
        assert world.instruction == f'go to the {world.goal_color} pillar'
        assert world.goal_color in cfg.colors
        assert world.goal_position() == tuple(pillars[cfg.colors.index(world.goal_color)])
        goals.add(world.goal_color)
    assert goals == set(world.cfg.colors)


def test_reset_is_seeded():
    a, b = World(WorldConfig(seed=5)), World(WorldConfig(seed=5))
    np.testing.assert_array_equal(a.pillars, b.pillars)
    a.reset(seed=9)
    b.reset(seed=9)
    np.testing.assert_array_equal(a.obstacles, b.obstacles)
    assert a.pose() == b.pose() and a.instruction == b.instruction


def test_scan_excludes_robot_and_matches_walls():
    w = World(WorldConfig(n_obstacles=0, seed=2))
    _set_pillars(w, [(-2.0, -2.0), (-2.0, 2.0), (2.0, -2.0)])
    w.place_robot(0.3, 0.2, 0.7)
    scan = w.scan()
    assert scan.shape == (360,) and scan.dtype == np.float32
    finite = scan[np.isfinite(scan)]
    assert finite.min() > ROBOT_RADIUS  # no ray stops on the robot's own body
    # Rays that miss the pillars match the analytic distance to the square room.
    ang = -math.pi + 2 * math.pi / 360 * np.arange(360) + 0.7
    c, s = np.cos(ang), np.sin(ang)
    with np.errstate(divide='ignore'):
        tx = np.where(c > 0, (2.5 - 0.3) / c, (-2.5 - 0.3) / c)
        ty = np.where(s > 0, (2.5 - 0.2) / s, (-2.5 - 0.2) / s)
    expect = np.minimum(np.abs(tx), np.abs(ty))
    expect = np.where(expect > w.cfg.range_max, np.inf, expect)
    close = np.isclose(scan, expect, atol=0.01) | (np.isinf(scan) & np.isinf(expect))
    assert close.mean() > 0.95
    assert np.isinf(scan).any()  # room corners are beyond range_max


def test_scan_sees_resized_obstacles():
    """Obstacles are resized per episode without recompiling: rays must see the new size."""
    w = World(WorldConfig(seed=3))
    checked = 0
    for ep in range(20):
        w.reset(seed=100 + ep)
        for o in w.obstacles:
            # Stand 0.9 m from the box surface along +x of the world, looking at its centre.
            d0 = _box_distance(o[0] - 1.5, o[1], o[:2], o[2:4], o[4])
            w.place_robot(o[0] - 1.5, o[1], 0.0)
            r = w.scan()[180]  # ray at angle 0
            # Exact ray/box distance along +x from (o.x - 1.5, o.y).
            c, s = math.cos(o[4]), math.sin(o[4])
            lx, ly = c * -1.5, -s * -1.5  # ray start in box frame
            dx, dy = c, -s  # ray direction in box frame
            t = []
            for lo, hi, p, dd in ((-o[2], o[2], lx, dx), (-o[3], o[3], ly, dy)):
                if abs(dd) < 1e-12:
                    t.append((-np.inf, np.inf))
                else:
                    t.append(tuple(sorted(((lo - p) / dd, (hi - p) / dd))))
            t_in = max(t[0][0], t[1][0])
            if t_in <= min(t[0][1], t[1][1]) and not np.isinf(r):
                # Another pillar/obstacle may stand in between: the box is then farther.
                assert r <= t_in + 0.01
                if abs(r - t_in) < 0.01:
                    checked += 1
            assert d0 > 0.5
    assert checked >= 30


def test_success_when_reaching_the_goal(world):
    world.reset(seed=11)
    gx, gy = world.goal_position()
    # Put the robot 0.35 m from the instructed pillar, on the side away from the others.
    others = np.delete(world.pillars, world.goal_index, axis=0)
    away = np.array([gx, gy]) - others.mean(axis=0)
    away /= np.linalg.norm(away)
    # Keep inside the room: flip if needed.
    x, y = gx + 0.35 * away[0], gy + 0.35 * away[1]
    if abs(x) > 2.3 or abs(y) > 2.3:
        x, y = gx - 0.35 * away[0], gy - 0.35 * away[1]
    world.place_robot(x, y, 0.0)
    r = world.step(0.0, 0.0)
    assert r.terminated and not r.truncated
    assert r.outcome == 'success' == world.outcome
    assert r.reward == pytest.approx(10.0 + world.cfg.reward_time, abs=0.05)


def test_failure_at_a_wrong_pillar(world):
    world.reset(seed=12)
    wrong = [k for k in range(3) if k != world.goal_index][0]
    px, py = world.pillars[wrong]
    x = px + (0.35 if px < 0 else -0.35)
    world.place_robot(x, py, 0.0)
    r = world.step(0.0, 0.0)
    assert r.terminated and r.outcome == 'failure'
    assert r.reward == pytest.approx(-5.0 + world.cfg.reward_time, abs=0.05)


def test_timeout_truncates():
    w = World(WorldConfig(seed=4, max_episode_steps=5))
    for i in range(5):
        r = w.step(0.0, 0.0)
        assert not r.terminated
        assert r.truncated == (i == 4)
    assert r.outcome == 'timeout' and w.episode_steps == 5
    t = w.time
    w.reset()
    assert w.episode_steps == 0 and w.outcome == 'running'
    assert w.time == pytest.approx(t + w.cfg.control_dt)  # fresh stamp for step 0


def test_collision_penalty_and_walls_hold():
    w = World(WorldConfig(n_obstacles=0, seed=5))
    _set_pillars(w, [(-2.0, -2.0), (-2.0, 2.0), (2.0, -2.0)])
    w.goal_index = 2
    w.place_robot(0.0, 2.5 - 0.4, math.pi / 2)  # 0.23 m from the north wall, facing it
    hits = []
    d_prev = math.hypot(2.0 - w.pose()[0], -2.0 - w.pose()[1])
    for _ in range(15):
        r = w.step(0.4, 0.0)
        d = math.hypot(2.0 - w.pose()[0], -2.0 - w.pose()[1])
        # Exactly progress + time + collision terms.
        assert r.reward == pytest.approx(10 * (d_prev - d) + w.cfg.reward_time - 0.5 * r.collided)
        d_prev = d
        hits.append(r)
        assert not r.terminated
    assert not hits[0].collided
    assert hits[-1].collided
    assert hits[-1].reward == pytest.approx(-0.51, abs=0.05)  # pushing, not moving
    x, y, _ = w.pose()
    assert 2.5 - y >= ROBOT_RADIUS - 0.01  # the wall holds


def test_progress_reward_and_command_tracking():
    w = World(WorldConfig(n_obstacles=0, seed=6))
    _set_pillars(w, [(2.0, 0.0), (-2.0, 2.0), (-2.0, -2.0)])
    w.goal_index = 0
    w.place_robot(-1.0, 0.0, 0.0)
    total = 0.0
    d0 = 3.0
    for _ in range(20):
        r = w.step(0.5, 0.0)
        total += r.reward
    v, om = w.velocity()
    assert v == pytest.approx(0.5, abs=0.05) and abs(om) < 0.05
    d1 = math.hypot(2.0 - w.pose()[0], w.pose()[1])
    assert total == pytest.approx(10 * (d0 - d1) + 20 * w.cfg.reward_time, abs=1e-6)
    assert w.pose()[0] == pytest.approx(-1.0 + 0.5 * 2.0, abs=0.15)
    # Commands are clipped to the limits.
    for _ in range(10):
        w.step(5.0, 0.0)
    assert w.velocity()[0] <= 0.6 * 1.1
    for _ in range(15):
        w.step(0.0, 10.0)
    assert w.velocity()[1] == pytest.approx(1.5, abs=0.15)
    with pytest.raises(ValueError):
        w.step(float('nan'), 0.0)


def test_detections_in_base_frame(world):
    world.reset(seed=13)
    x, y, yaw = world.pose()
    det = world.detections()
    assert det.shape == (3, 2) and det.dtype == np.float32
    for k, (px, py) in enumerate(world.pillars):
        dx, dy = px - x, py - y
        np.testing.assert_allclose(
            det[k],
            (math.cos(yaw) * dx + math.sin(yaw) * dy, -math.sin(yaw) * dx + math.cos(yaw) * dy),
            atol=1e-5,
        )


def test_absent_pillars_are_nan():
    w = World(WorldConfig(seed=7, n_pillars=2))
    for ep in range(5):
        w.reset()
        det = w.detections()
        absent = np.isnan(det[:, 0])
        assert absent.sum() == 1
        assert not absent[w.goal_index]
        # Parked under the floor: invisible to the lidar.
        assert w.data.mocap_pos[w._pil_mocap[np.argmax(absent)]][2] < 0


def test_camera_frame(world):
    try:
        img = world.render_camera()
    except Exception as e:  # no GL on this machine
        pytest.skip(f'offscreen rendering unavailable: {e}')
    assert img.shape == (120, 160, 3) and img.dtype == np.uint8
    assert img.std() > 5  # not a blank frame


def test_collision_with_resized_obstacle():
    """Obstacles are resized per episode: contacts must use the new size.

    Bounding volumes are updated, e.g. at the corner of a large box beyond the compile-time
    bounding sphere.
    """
    from robot_learning_sim.world import _yaw_quat

    w = World(WorldConfig(seed=0, n_obstacles=1, obstacle_size=(0.5, 0.5)))
    d = w.data
    _set_pillars(w, [(-2.0, -2.0), (-2.0, 2.0), (2.0, -2.0)])
    mid = w._obs_mocap[0]
    d.mocap_pos[mid] = (0.0, 0.0, w.cfg.obstacle_height / 2)
    d.mocap_quat[mid] = _yaw_quat(math.pi / 4)  # corner at (-0.354, 0)
    w.place_robot(-0.354 - ROBOT_RADIUS - 0.05, 0.0, 0.0)
    collided = False
    for _ in range(10):
        collided |= w.step(0.3, 0.0).collided
    assert collided
    assert w.pose()[0] < -0.354 - ROBOT_RADIUS + 0.02  # stopped at the corner


def test_goal_distance_cap_bounds_the_start_and_can_change_between_episodes():
    w = World(WorldConfig(seed=3, goal_distance_max=1.5))
    ref = World(WorldConfig(seed=3))
    try:
        far = []
        for _ in range(20):
            w.reset()
            x, y, _ = w.pose()
            gx, gy = w.goal_position()
            assert math.hypot(gx - x, gy - y) <= 1.5 + 1e-9
            ref.reset()
            x, y, _ = ref.pose()
            gx, gy = ref.goal_position()
            far.append(math.hypot(gx - x, gy - y))
        assert max(far) > 2.0  # without the cap the same seed draws farther goals
        w.set_goal_distance_max(0.0)  # the full task again: the uncapped stream's draws
        a, b = World(WorldConfig(seed=8)), World(WorldConfig(seed=8, goal_distance_max=2.0))
        b.set_goal_distance_max(0.0)
        a.reset(seed=4)
        b.reset(seed=4)
        assert a.pose() == b.pose() and a.instruction == b.instruction
        with pytest.raises(ValueError, match='goal_distance_max'):
            w.set_goal_distance_max(0.5)
    finally:
        w.close()
        ref.close()
