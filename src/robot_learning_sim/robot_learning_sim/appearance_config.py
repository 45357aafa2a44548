# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 robot_learning maintainers
"""Configuration of the world's domain randomisation and of the shifted target domain.

:class:`AppearanceConfig` (amplitudes, ``randomize``, ``appearance``), :data:`AMPLITUDES`
(each amplitude's range and meaning, the ``sim_node`` parameters' descriptors) and
:data:`SHIFTED` (the fixed target domain). Applied by
:class:`robot_learning_sim.appearance.SceneAppearance`; no MuJoCo import.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from robot_learning.errors import ConfigError

__all__ = ['AMPLITUDES', 'APPEARANCES', 'AppearanceConfig', 'SHIFTED']

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
