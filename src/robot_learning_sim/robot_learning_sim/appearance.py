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

import math

import numpy as np
from robot_learning_sim.appearance_config import (  # noqa: F401 - re-exported
    AMPLITUDES,
    AppearanceConfig,
    APPEARANCES,
    SHIFTED,
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
