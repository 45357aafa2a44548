# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 robot_learning maintainers
"""Appearance and sensor randomisation, and the fixed 'shifted' domain (no ROS)."""

import colorsys
import math

import mujoco
import numpy as np
import pytest
from robot_learning.errors import ConfigError
from robot_learning_sim.appearance import (
    AppearanceConfig,
    SceneAppearance,
    shade_color,
    SHIFTED,
)
from robot_learning_sim.world import build_xml, COLOR_RGBA, World, WorldConfig

#: Every visual property the appearance writes, read from a model.
_LOOK = ('geom_rgba', 'light_diffuse', 'light_ambient', 'cam_quat', 'cam_fovy')


def _look(model) -> dict:
    out = {k: getattr(model, k).copy() for k in _LOOK}
    out['headlight'] = np.concatenate(
        [model.vis.headlight.ambient, model.vis.headlight.diffuse]
    )
    return out


def _same_look(a, b) -> bool:
    return all(np.array_equal(a[k], b[k]) for k in a)


def _world(seed=3, **look):
    return World(WorldConfig(seed=seed, appearance=AppearanceConfig(**look)))


def _render(world):
    try:
        return world.render_camera()
    except Exception as e:  # no GL on this machine
        pytest.skip(f'offscreen rendering unavailable: {e}')


def _layout(world):
    return (world.pillars.copy(), world.obstacles.copy(), world.pose(), world.goal_index)


def _same_layout(a, b):
    return (
        np.array_equal(a[0], b[0]) and np.array_equal(a[1], b[1])
        and a[2] == b[2] and a[3] == b[3]
    )


def _face_pillar(world, k, distance=0.5):
    """Place the robot ``distance`` m from pillar ``k``, facing it (from the room centre)."""
    px, py = world.pillars[k]
    a = math.atan2(-py, -px)
    x, y = px + distance * math.cos(a), py + distance * math.sin(a)
    world.place_robot(x, y, math.atan2(py - y, px - x))


def test_default_is_identical_to_the_compiled_world():
    """Without randomize the amplitudes do nothing: images, scans and the model as built."""
    plain = World(WorldConfig(seed=4))
    off = _world(seed=4, floor_rgb=0.9, light=0.8, image_noise=40.0, scan_noise_m=0.3)
    fresh = mujoco.MjModel.from_xml_string(build_xml(plain.cfg))
    try:
        assert not plain._look.active and not off._look.active
        for _ in range(3):
            assert _same_layout(_layout(plain), _layout(off))
            np.testing.assert_array_equal(_render(plain), _render(off))
            np.testing.assert_array_equal(plain.scan(), off.scan())
            assert _same_look(_look(off.model), _look(fresh))
            plain.reset()
            off.reset()
    finally:
        plain.close()
        off.close()


def test_randomize_changes_the_look_reproducibly_and_keeps_the_layouts():
    plain = World(WorldConfig(seed=6))
    a, b = _world(seed=6, randomize=True), _world(seed=6, randomize=True)
    try:
        images, looks = [], []
        for _ in range(4):
            assert _same_layout(_layout(plain), _layout(a))  # the layout stream is untouched
            assert _same_layout(_layout(a), _layout(b))
            img = _render(a)
            np.testing.assert_array_equal(img, _render(b))  # same seed, same pictures
            np.testing.assert_array_equal(a.scan(), b.scan())  # and the same noise
            assert _same_look(_look(a.model), _look(b.model))
            images.append(img)
            looks.append(_look(a.model))
            for w in (plain, a, b):
                w.reset()
        for i in range(1, len(images)):
            assert not _same_look(looks[i - 1], looks[i])
            assert np.abs(images[i].astype(int) - images[i - 1]).mean() > 5.0
        # Reseeding replays the appearance stream too; nominal values are not accumulated.
        a.reset(seed=11)
        b.reset(seed=11)
        first = _look(a.model)
        assert _same_look(first, _look(b.model))
        a.reset(seed=11)
        assert _same_look(first, _look(a.model))
        # Another seed, another look.
        c = _world(seed=7, randomize=True)
        assert not _same_look(_look(c.model), looks[0])
        c.close()
    finally:
        for w in (plain, a, b):
            w.close()


def test_draws_stay_within_the_amplitudes():
    cfg = AppearanceConfig(randomize=True)
    w = World(WorldConfig(seed=2, appearance=cfg))
    fresh = _look(mujoco.MjModel.from_xml_string(build_xml(w.cfg)))
    floor = w._look._floor
    cam = w._camera
    try:
        for _ in range(30):
            w.reset()
            m = w.model
            assert np.all(np.abs(m.geom_rgba[floor, :3] - fresh['geom_rgba'][floor, :3])
                          <= cfg.floor_rgb + 1e-6)
            assert abs(m.cam_fovy[cam] - 60.0) <= cfg.camera_fovy_deg + 1e-9
            scale = m.light_diffuse[0, 0] / fresh['light_diffuse'][0, 0]
            assert 1 - cfg.light - 1e-6 <= scale <= 1 + cfg.light + 1e-6
            # The camera turned by at most the pitch and yaw amplitudes together.
            dot = abs(float(np.dot(m.cam_quat[cam], fresh['cam_quat'][cam])))
            angle = math.degrees(2 * math.acos(min(1.0, dot)))
            assert angle <= math.hypot(cfg.camera_pitch_deg, cfg.camera_yaw_deg) + 1e-6
    finally:
        w.close()


def test_shade_color_keeps_the_hue():
    rng = np.random.default_rng(0)
    for name, rgba in COLOR_RGBA.items():
        h0, s0, v0 = colorsys.rgb_to_hsv(*rgba[:3])
        for _ in range(50):
            out = shade_color(rgba[:3], rng.uniform(0.5, 1.5), rng.uniform(0.0, 0.25))
            assert np.all((0.0 <= out) & (out <= 1.0))
            h, s, _ = colorsys.rgb_to_hsv(*out)
            if s0 > 0.05:  # grey-ish colours (white, black) have no meaningful hue
                assert min(abs(h - h0), 1 - abs(h - h0)) < 1e-6, name


def test_red_pillar_stays_red_under_randomisation():
    w = World(WorldConfig(seed=5, colors=('red', 'green', 'blue'),
                          appearance=AppearanceConfig(randomize=True, pillar_shade=0.5)))
    pillar = w._look._pil[0]
    h, y, x = w.cfg.camera_height, w.cfg.camera_height // 2, w.cfg.camera_width // 2
    try:
        for _ in range(6):
            w.reset()
            r, g, b = w.model.geom_rgba[pillar, :3]
            assert r > 2 * g and r > 2 * b
            _face_pillar(w, 0)
            patch = _render(w)[y - 3:y + 4, x - 3:x + 4].reshape(-1, 3).mean(axis=0)
            assert patch[0] > 1.5 * patch[1] and patch[0] > 1.5 * patch[2], (patch, h)
    finally:
        w.close()


def test_shifted_is_fixed_and_differs_from_default():
    plain = World(WorldConfig(seed=1))
    s1, s2 = World(WorldConfig(seed=1, appearance='shifted')), _world(seed=9, appearance='shifted')
    try:
        look = _look(s1.model)
        assert _same_look(look, _look(s2.model))  # the same for any seed
        floor = s1._look._floor
        np.testing.assert_allclose(look['geom_rgba'][floor, :3], SHIFTED['floor_rgb'], atol=1e-6)
        assert look['cam_fovy'][s1._camera] == pytest.approx(70.0)
        assert look['light_diffuse'][0, 0] == pytest.approx(0.55 * 0.5)
        # Beyond the default randomisation ranges: a randomised bag never shows it.
        amp = AppearanceConfig()
        nominal = _look(plain.model)
        assert np.all(np.abs(look['geom_rgba'][floor, :3] - nominal['geom_rgba'][floor, :3])
                      > amp.floor_rgb)
        assert 0.55 < 1 - amp.light
        images = []
        for _ in range(3):
            assert _same_layout(_layout(plain), _layout(s1))
            img = _render(s1)
            assert np.abs(img.astype(int) - _render(plain)).mean() > 20.0
            np.testing.assert_array_equal(s1.scan(), plain.scan())  # no sensor noise
            images.append(img)
            assert _same_look(look, _look(s1.model))  # every episode the same
            plain.reset()
            s1.reset()
        # The shifted pillars keep their hue (the instruction names the colour).
        for k, c in enumerate(s1.cfg.colors):
            h0 = colorsys.rgb_to_hsv(*COLOR_RGBA[c][:3])[0]
            h = colorsys.rgb_to_hsv(*look['geom_rgba'][s1._look._pil[k], :3])[0]
            assert h == pytest.approx(h0, abs=1e-6)
    finally:
        for w in (plain, s1, s2):
            w.close()


@pytest.mark.parametrize('fields, match', [
    ({'floor_rgb': -0.1}, r'floor_rgb -0.1 must be a number in \[0.0, 1.0\]'),
    ({'pillar_shade': 0.6}, 'pillar_shade 0.6 must be'),
    ({'image_noise': 'lots'}, "image_noise 'lots' must be a number"),
    ({'scan_noise_m': float('nan')}, 'scan_noise_m nan'),
    ({'camera_fovy_deg': True}, 'camera_fovy_deg True'),
    ({'randomize': 'yes'}, "randomize 'yes' must be true or false"),
    ({'appearance': 'night'}, r"appearance 'night' must be one of \['default', 'shifted'\]"),
])
def test_bad_values_are_one_line_config_errors(fields, match):
    with pytest.raises(ConfigError, match=match) as info:
        AppearanceConfig(**fields)
    assert '\n' not in str(info.value)


def test_world_config_takes_a_name_or_fields():
    assert WorldConfig(appearance='shifted').appearance.appearance == 'shifted'
    assert WorldConfig(appearance={'randomize': True}).appearance.randomize
    with pytest.raises(ValueError, match='appearance must be'):
        WorldConfig(appearance=3)
    with pytest.raises(ConfigError, match='appearance'):
        WorldConfig(appearance='night')


def test_scan_noise_keeps_infinities_and_perturbs_finite_ranges():
    cfg = WorldConfig(seed=2, n_obstacles=0)
    plain = World(cfg)
    noisy = World(WorldConfig(seed=2, n_obstacles=0,
                              appearance=AppearanceConfig(randomize=True, scan_noise_m=0.02)))
    try:
        for w in (plain, noisy):
            # A pillar 0.15 m ahead (closer than range_min), the robot in a corner: some rays
            # see nothing within range_max.
            w.pillars[:] = [(-1.75, -2.0), (2.0, 2.0), (2.0, -2.0)]
            for k, mid in enumerate(w._pil_mocap):
                w.data.mocap_pos[mid] = (*w.pillars[k], cfg.pillar_height / 2)
            w.place_robot(-1.9, -2.0, 0.0)
        ref, got = plain.scan(), noisy.scan()
        assert np.isneginf(ref).any() and np.isposinf(ref).any() and np.isfinite(ref).any()
        np.testing.assert_array_equal(np.isneginf(got), np.isneginf(ref))
        np.testing.assert_array_equal(np.isposinf(got), np.isposinf(ref))
        fin = np.isfinite(ref)
        diff = got[fin] - ref[fin]
        assert np.count_nonzero(diff) > 0.9 * fin.sum()
        assert 0.01 < diff.std() < 0.03
        assert got[fin].min() >= cfg.range_min and got[fin].max() <= cfg.range_max
        assert not np.array_equal(noisy.scan(), got)  # fresh noise every scan
    finally:
        plain.close()
        noisy.close()


def test_noise_functions_directly():
    look = SceneAppearance.__new__(SceneAppearance)
    look.cfg = AppearanceConfig(randomize=True, image_noise=10.0, scan_noise_m=0.5)
    look.reseed(0)
    ranges = np.array([np.inf, -np.inf, 1.0, 0.13, 3.49, np.inf], dtype=np.float32)
    out = look.noisy_scan(ranges.copy(), 0.12, 3.5)
    assert out.dtype == np.float32
    assert out[0] == np.inf and out[1] == -np.inf and out[5] == np.inf
    assert np.all((0.12 <= out[2:5]) & (out[2:5] <= 3.5))
    image = np.full((4, 5, 3), 250, dtype=np.uint8)
    noisy = look.noisy_image(image)
    assert noisy.dtype == np.uint8 and noisy.shape == image.shape
    assert (image == 250).all() and not np.array_equal(noisy, image)  # input untouched
