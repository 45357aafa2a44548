# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 robot_learning maintainers
"""Domain randomisation of the built-in world's appearance and sensors (ROS-free).

Domain randomisation (Tobin et al. 2017, "Domain Randomization for Transferring Deep
Neural Networks from Simulation to the Real World", IROS; Sadeghi & Levine 2017, "CAD2RL:
Real Single-Image Flight without a Single Real Image", RSS, for the textures and colours)
trains on many renderings of the same task, so that the real world looks like one more
variation: every episode the floor, wall and box colours, the pillar shades, the light,
the onboard camera's orientation and field of view are drawn anew, and Gaussian noise is
added to the camera pixels and the lidar ranges. :class:`AppearanceConfig` holds the
amplitudes (``randomize`` switches them on), :class:`SceneAppearance` applies them to a
compiled ``mujoco.MjModel`` at every :meth:`~robot_learning_sim.world.World.reset`.

``appearance='shifted'`` is a fixed *target domain* instead (:data:`SHIFTED`): the same
changed look every episode, partly outside the randomisation ranges, for sim-to-real style
adaptation experiments (train on the default or the randomised world, evaluate on it).

No MuJoCo import: the model is only read and written through its arrays, so
:mod:`robot_learning_sim.world_config` can hold the configuration.
"""

from __future__ import annotations

from dataclasses import dataclass
import math

import numpy as np
from robot_learning.errors import ConfigError

#: Values of :attr:`AppearanceConfig.appearance`.
APPEARANCES = ('default', 'shifted')

#: The fixed target domain of ``appearance='shifted'`` (what :class:`SceneAppearance`
#: applies to the compiled model's nominal values; boxes keep their colour).
SHIFTED = {
    'floor_rgb': (0.22, 0.25, 0.32),  # dark bluish grey (nominal 0.6 0.6 0.62)
    'wall_rgb': (0.55, 0.75, 0.55),  # greenish tint (nominal 0.85 0.8 0.7)
    'light_scale': 0.55,  # diffuse and ambient intensity of every light, x nominal
    'camera_pitch_deg': 6.0,  # camera pitched down, deg (on top of its nominal tilt)
    'camera_fovy_deg': 70.0,  # vertical field of view, deg (nominal 60)
    'pillar_brightness': 0.75,  # pillar colour x 0.75 (hue kept)
    'pillar_grey': 0.1,  # and 10 % toward grey (hue kept)
}

#: The amplitude fields: name -> (lowest, highest, what it is); checked by
#: :class:`AppearanceConfig` and the ranges of ``sim_node``'s ``randomize.*`` parameters.
AMPLITUDES = {
    'floor_rgb': (0.0, 1.0, 'max per-channel floor colour offset'),
    'wall_rgb': (0.0, 1.0, 'max per-channel wall colour offset'),
    'obstacle_rgb': (0.0, 1.0, 'max per-channel box colour offset'),
    'pillar_shade': (0.0, 0.5, 'pillar brightness/saturation jitter'),
    'light': (0.0, 0.9, 'max relative light intensity change'),
    'camera_pitch_deg': (0.0, 30.0, 'camera pitch jitter, deg'),
    'camera_yaw_deg': (0.0, 30.0, 'camera yaw jitter, deg'),
    'camera_fovy_deg': (0.0, 30.0, 'camera field-of-view jitter, deg'),
    'image_noise': (0.0, 64.0, 'pixel noise std, 0..255 units'),
    'scan_noise_m': (0.0, 0.5, 'lidar range noise std, m'),
}


@dataclass
class AppearanceConfig:
    """Appearance and sensor randomisation of the built-in world.

    The amplitudes apply only while ``randomize`` is True (each is a half-width or a
    std; 0 switches that property off). With the defaults (``randomize=False``,
    ``appearance='default'``) the world renders and scans bit-identically to a world
    without this feature. The per-episode draws come from a generator of their own
    (seeded from the world seed), so the layouts and goals of a seed are the same with and
    without randomisation.

    Raises:
        ConfigError: an amplitude outside its range, a non-bool ``randomize`` or an
            unknown ``appearance`` (one line saying what to fix).
    """

    randomize: bool = False
    """Draw a new appearance every episode and add sensor noise (Tobin et al. 2017)."""
    floor_rgb: float = 0.25
    """Max per-channel offset of the floor colour, uniform in [-a, a] per RGB channel
    (colour in 0..1, clipped); Sadeghi & Levine 2017 randomise textures/colours likewise."""
    wall_rgb: float = 0.25
    """Max per-channel offset of the wall colour (one draw for the four walls), 0..1."""
    obstacle_rgb: float = 0.25
    """Max per-channel offset of each box obstacle's colour (one draw per box), 0..1."""
    pillar_shade: float = 0.3
    """Pillar shade jitter ``a`` that keeps the hue: per pillar the colour is mixed toward
    its own grey (the channel mean) by t in [0, a/2], then its brightness scaled by s in
    [1-a, 1+a] (s capped so no channel exceeds 1). Both keep the HSV hue exactly, so the
    pillars stay recognisably red/green/blue (the instruction names the colour)."""
    light: float = 0.4
    """Max relative change of the light intensity: the diffuse (directional light and
    headlight) and the ambient (headlight) colours are scaled by 1 + u, u in [-a, a]
    (two independent draws)."""
    camera_pitch_deg: float = 3.0
    """Onboard camera pitch jitter, deg, uniform in [-a, a] (positive: down)."""
    camera_yaw_deg: float = 3.0
    """Onboard camera yaw jitter about the base z axis, deg, uniform in [-a, a]
    (positive: left)."""
    camera_fovy_deg: float = 5.0
    """Camera vertical field-of-view jitter, deg, uniform in [-a, a] around the nominal."""
    image_noise: float = 4.0
    """Std of Gaussian noise added to every pixel channel of the rendered uint8 image, in
    0..255 units (rounded and clipped to 0..255), drawn anew per frame."""
    scan_noise_m: float = 0.01
    """Std of Gaussian noise added to the finite lidar ranges, m, drawn anew per scan;
    noisy ranges are clipped into [range_min, range_max], and +inf (no return) / -inf
    (too close) entries stay as they are (REP-117)."""
    appearance: str = 'default'
    """'default' (the nominal look) or 'shifted': one fixed target domain applied every
    episode, not random (:data:`SHIFTED`): a dark bluish-grey floor (RGB 0.22 0.25 0.32,
    every channel beyond the default floor_rgb range), greenish walls (RGB 0.55 0.75
    0.55), every light's diffuse and ambient intensity at 55 % (beyond light=0.4), the
    camera pitched 6 deg further down (beyond 3 deg) with a 70 deg vertical field of view
    (beyond 60 +- 5 deg), and darker pillars: each pillar colour 10 % toward its grey
    and x 0.75 in brightness (hue kept; with the dimmer light they render at about 40 %
    of their default brightness). Boxes keep their colour;
    no sensor noise. With ``randomize`` too, the randomisation is around the shifted
    look."""

    def __post_init__(self):
        if not isinstance(self.randomize, (bool, np.bool_)):
            raise ConfigError(f'appearance randomize {self.randomize!r} must be true or false')
        self.randomize = bool(self.randomize)
        for name, (lo, hi, what) in AMPLITUDES.items():
            value = getattr(self, name)
            try:
                ok = not isinstance(value, bool) and lo <= float(value) <= hi
            except (TypeError, ValueError):
                ok = False
            if not ok:
                raise ConfigError(
                    f'appearance {name} {value!r} must be a number in [{lo}, {hi}] ({what})'
                )
            setattr(self, name, float(value))
        if self.appearance not in APPEARANCES:
            raise ConfigError(
                f'appearance {self.appearance!r} must be one of {list(APPEARANCES)}'
            )


def shade_color(rgb: np.ndarray, brightness: float, grey: float) -> np.ndarray:
    """Change a colour's brightness and saturation, keeping its hue.

    Args:
        rgb: float (3,) colour in [0, 1].
        brightness: scale factor (> 0); capped so that no channel exceeds 1.
        grey: mix toward the colour's own grey (the channel mean), 0 = none, 1 = all.

    Returns:
        float64 (3,) colour in [0, 1] with the same HSV hue as ``rgb`` (mixing toward a
        grey and scaling both keep ``(c - min) / (max - min)``).
    """
    rgb = np.asarray(rgb, dtype=float)
    mixed = (1.0 - grey) * rgb + grey * rgb.mean()
    top = mixed.max()
    if top > 0.0:
        brightness = min(brightness, 1.0 / top)
    return np.clip(mixed * brightness, 0.0, 1.0)


def _quat_mul(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Hamilton product of two (w, x, y, z) quaternions (MuJoCo's order)."""
    aw, ax, ay, az = a
    bw, bx, by, bz = b
    return np.array([
        aw * bw - ax * bx - ay * by - az * bz,
        aw * bx + ax * bw + ay * bz - az * by,
        aw * by - ax * bz + ay * bw + az * bx,
        aw * bz + ax * by - ay * bx + az * bw,
    ])


def _axis_quat(axis: int, angle: float) -> np.ndarray:
    """(w, x, y, z) quaternion of a rotation by ``angle`` rad about coordinate ``axis``."""
    q = np.zeros(4)
    q[0] = math.cos(angle / 2.0)
    q[1 + axis] = math.sin(angle / 2.0)
    return q


def camera_quat(quat: np.ndarray, pitch_down_deg: float, yaw_deg: float) -> np.ndarray:
    """Tilt a MuJoCo camera's body-relative orientation.

    Args:
        quat: float (4,) (w, x, y, z) ``cam_quat`` of the camera (it looks along its -z,
            x to the right, y up).
        pitch_down_deg: rotation about the camera's own x axis, deg (positive: looks down).
        yaw_deg: rotation about the body's z axis, deg (positive: looks left).

    Returns:
        float64 (4,) unit quaternion.
    """
    q = _quat_mul(_axis_quat(2, math.radians(yaw_deg)), np.asarray(quat, dtype=float))
    q = _quat_mul(q, _axis_quat(0, -math.radians(pitch_down_deg)))
    return q / np.linalg.norm(q)


class SceneAppearance:
    """Applies an :class:`AppearanceConfig` to a compiled world model.

    The nominal values are read from the model at construction (and, with
    ``appearance='shifted'``, replaced once by the shifted look); every :meth:`reset`
    writes the nominal values plus a fresh draw, so nothing accumulates over episodes.
    Three generators, spawned from ``np.random.SeedSequence(seed)`` (the layout stream
    ``default_rng(seed)`` is a different one): the per-episode appearance, the image
    noise and the scan noise (a frame more or less does not shift the other draws).

    Args:
        model: the ``mujoco.MjModel`` (written in place: ``geom_rgba``, ``light_diffuse``,
            ``light_ambient``, ``vis.headlight``, ``cam_quat``, ``cam_fovy``).
        cfg: the configuration.
        seed: the world seed.
        floor: geom id of the floor.
        walls: geom ids of the walls.
        obstacles: geom ids of the box obstacles.
        pillars: geom ids of the pillars.
        camera: camera id of the onboard camera.
    """

    def __init__(self, model, cfg: AppearanceConfig, seed: int, *, floor: int,
                 walls, obstacles, pillars, camera: int):
        self.cfg, self.model = cfg, model
        self._floor, self._cam = int(floor), int(camera)
        self._walls = np.asarray(walls, dtype=int)
        self._obs = np.asarray(obstacles, dtype=int)
        self._pil = np.asarray(pillars, dtype=int)
        self.active = cfg.randomize or cfg.appearance != 'default'
        self.reseed(seed)
        if not self.active:
            return  # the model is never touched: bit-identical to a world without it
        m = model
        self._floor_rgb = m.geom_rgba[self._floor, :3].copy()
        self._wall_rgb = m.geom_rgba[self._walls, :3].copy()
        self._obs_rgb = m.geom_rgba[self._obs, :3].copy()
        self._pil_rgb = m.geom_rgba[self._pil, :3].copy()
        self._light_diffuse = m.light_diffuse.copy()
        self._light_ambient = m.light_ambient.copy()
        self._head_diffuse = np.array(m.vis.headlight.diffuse, dtype=np.float32)
        self._head_ambient = np.array(m.vis.headlight.ambient, dtype=np.float32)
        self._cam_quat = m.cam_quat[self._cam].copy()
        self._cam_fovy = float(m.cam_fovy[self._cam])
        if cfg.appearance == 'shifted':
            s = SHIFTED
            self._floor_rgb = np.array(s['floor_rgb'])
            self._wall_rgb[:] = s['wall_rgb']
            for k in range(len(self._pil_rgb)):
                self._pil_rgb[k] = shade_color(
                    self._pil_rgb[k], s['pillar_brightness'], s['pillar_grey']
                )
            for a in ('_light_diffuse', '_light_ambient', '_head_diffuse', '_head_ambient'):
                setattr(self, a, getattr(self, a) * s['light_scale'])
            self._cam_quat = camera_quat(self._cam_quat, s['camera_pitch_deg'], 0.0)
            self._cam_fovy = s['camera_fovy_deg']
        self._apply(np.zeros(self.n_draws))

    @property
    def n_draws(self) -> int:
        """Return the number of uniform draws per episode (fixed for a model)."""
        return 3 + 3 + 3 * len(self._obs) + 2 * len(self._pil) + 2 + 3

    def reseed(self, seed: int) -> None:
        """Restart the appearance, image noise and scan noise streams from ``seed``."""
        ss = np.random.SeedSequence(int(seed)).spawn(3)
        self._rng, self._img_rng, self._scan_rng = (np.random.default_rng(s) for s in ss)

    def reset(self) -> None:
        """Draw and apply the next episode's appearance (``randomize``; else nothing)."""
        if self.cfg.randomize:
            self._apply(self._rng.uniform(-1.0, 1.0, self.n_draws))

    def _apply(self, u: np.ndarray) -> None:
        """Write nominal + amplitude * draw to the model; ``u``: (n_draws,) in [-1, 1]."""
        cfg, m = self.cfg, self.model
        i = 0

        def take(n: int) -> np.ndarray:
            nonlocal i
            i += n
            return u[i - n:i]

        m.geom_rgba[self._floor, :3] = np.clip(self._floor_rgb + cfg.floor_rgb * take(3), 0, 1)
        m.geom_rgba[self._walls, :3] = np.clip(self._wall_rgb + cfg.wall_rgb * take(3), 0, 1)
        off = take(3 * len(self._obs)).reshape(-1, 3)
        m.geom_rgba[self._obs, :3] = np.clip(self._obs_rgb + cfg.obstacle_rgb * off, 0, 1)
        a = cfg.pillar_shade if cfg.randomize else 0.0  # u = 0 is not the nominal grey
        for k, (ub, ug) in enumerate(take(2 * len(self._pil)).reshape(-1, 2)):
            m.geom_rgba[self._pil[k], :3] = shade_color(
                self._pil_rgb[k], 1.0 + a * ub, a / 2.0 * (ug + 1.0) / 2.0
            )
        diffuse, ambient = 1.0 + cfg.light * take(2)
        m.light_diffuse[:] = self._light_diffuse * diffuse
        m.light_ambient[:] = self._light_ambient * ambient
        m.vis.headlight.diffuse = self._head_diffuse * diffuse
        m.vis.headlight.ambient = self._head_ambient * ambient
        pitch, yaw, fovy = take(3)
        m.cam_quat[self._cam] = camera_quat(
            self._cam_quat, cfg.camera_pitch_deg * pitch, cfg.camera_yaw_deg * yaw
        )
        m.cam_fovy[self._cam] = self._cam_fovy + cfg.camera_fovy_deg * fovy

    def noisy_image(self, image: np.ndarray) -> np.ndarray:
        """Add the pixel noise (``randomize`` and ``image_noise`` > 0; else unchanged).

        Args:
            image: uint8 (H, W, 3) RGB image; not modified.

        Returns:
            uint8 (H, W, 3): the image itself when off, else a new noisy array.
        """
        std = self.cfg.image_noise
        if not (self.cfg.randomize and std > 0.0):
            return image
        noise = self._img_rng.standard_normal(image.shape, dtype=np.float32)
        out = image.astype(np.float32) + std * noise
        return np.clip(np.rint(out), 0, 255).astype(np.uint8)

    def noisy_scan(self, ranges: np.ndarray, range_min: float, range_max: float) -> np.ndarray:
        """Add the range noise to the finite returns, in place (``randomize``, > 0 std).

        Args:
            ranges: float32 (n,) ranges, m; +inf/-inf entries are kept (REP-117).
            range_min: lowest finite range, m (noisy ranges are clipped to it).
            range_max: highest finite range, m (noisy ranges are clipped to it).

        Returns:
            float32 (n,): ``ranges`` (the same array).
        """
        std = self.cfg.scan_noise_m
        if not (self.cfg.randomize and std > 0.0):
            return ranges
        noise = self._scan_rng.standard_normal(ranges.shape, dtype=np.float32)
        finite = np.isfinite(ranges)
        ranges[finite] = np.clip(ranges[finite] + std * noise[finite], range_min, range_max)
        return ranges
