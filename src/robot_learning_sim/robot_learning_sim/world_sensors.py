# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 robot_learning maintainers
"""Sensors of the built-in world: pose, velocity, detections, lidar and camera (ROS-free).

:class:`WorldSensors` is mixed into :class:`~robot_learning_sim.world.World` and reads
its MuJoCo ``model``/``data``.
"""

from __future__ import annotations

import math

from robot_learning_sim.world_config import LIDAR_HEIGHT  # noqa: F401 - MUJOCO_GL
import mujoco  # noqa: I100 - after world_config, which picks the GL backend
import numpy as np
from robot_learning.common.geometry import world_to_base, yaw_from_quaternion

#: Geom groups: 0 scenery (seen by the lidar), 1 floor, 2 robot visuals, 3 robot collision.
_LIDAR_GEOMGROUP = np.array([1, 0, 0, 0, 0, 0], dtype=np.uint8)


class WorldSensors:
    """Observation methods of :class:`~robot_learning_sim.world.World`."""

    def pose(self) -> tuple[float, float, float]:
        """Robot base pose in the world (odom) frame: (x m, y m, yaw rad in (-pi, pi])."""
        q = self.data.qpos
        return float(q[0]), float(q[1]), yaw_from_quaternion(q[4], q[5], q[6], q[3])

    def velocity(self) -> tuple[float, float]:
        """Return the base velocity in the base frame: (forward v m/s, yaw rate w rad/s)."""
        qv = self.data.qvel
        yaw = self.pose()[2]
        # Free joint: linear velocity is in the world frame, angular in the body frame.
        return (float(math.cos(yaw) * qv[0] + math.sin(yaw) * qv[1]), float(qv[5]))

    def goal_position(self) -> tuple[float, float]:
        """Instructed pillar centre in the world (odom) frame, (x m, y m)."""
        gx, gy = self.pillars[self.goal_index]
        return float(gx), float(gy)

    def detections(self) -> np.ndarray:
        """Pillar centres in the robot base frame.

        Returns:
            float32 (n_colors, 2): (x forward m, y left m) per colour in ``cfg.colors``
            order; NaN rows for colours absent this episode.
        """
        return world_to_base(self.pose(), self.pillars)

    def scan(self) -> np.ndarray:
        """360-degree lidar scan from the lidar site (height :data:`LIDAR_HEIGHT`).

        Rays are horizontal (the scanner is levelled to the base yaw), cast against
        scenery only (robot geoms and the floor are excluded through geom groups).

        Returns:
            float32 (lidar_rays,): range in m of ray i at angle ``-pi + i * 2pi/lidar_rays``
            in the base frame, counter-clockwise; +inf when nothing is hit within
            ``range_max``; -inf for returns closer than ``range_min`` (REP-117). With
            ``cfg.appearance.randomize``, Gaussian noise of std ``scan_noise_m`` on the
            finite ranges (clipped into [range_min, range_max]).
        """
        cfg, m, d = self.cfg, self.model, self.data
        yaw = self.pose()[2]
        c, s = math.cos(yaw), math.sin(yaw)
        vec = self._ray_vec
        np.multiply(self._ray_c, c, out=vec[:, 0])
        vec[:, 0] -= s * self._ray_s
        np.multiply(self._ray_c, s, out=vec[:, 1])
        vec[:, 1] += c * self._ray_s
        mujoco.mj_multiRay(
            m,
            d,
            d.site_xpos[self._lidar_site],
            vec.reshape(-1),
            _LIDAR_GEOMGROUP,
            1,
            -1,
            self._ray_geom,
            self._ray_dist,
            None,
            cfg.lidar_rays,
            cfg.range_max,
        )
        out = self._ray_dist.astype(np.float32)
        out[(self._ray_geom < 0) | (out > cfg.range_max)] = np.inf
        out[out < cfg.range_min] = -np.inf
        return self._look.noisy_scan(out, cfg.range_min, cfg.range_max)

    def render_camera(self) -> np.ndarray:
        """Render the onboard forward camera.

        Returns:
            uint8 (camera_height, camera_width, 3) RGB image (a new array). With
            ``cfg.appearance.randomize``, Gaussian pixel noise of std ``image_noise``.
        """
        if self._renderer is None:
            self._renderer = mujoco.Renderer(
                self.model, self.cfg.camera_height, self.cfg.camera_width, max_geom=200
            )
            flags = self._renderer.scene.flags
            # Speed: no shadows, reflections or skybox (the walls fill the view anyway).
            flags[mujoco.mjtRndFlag.mjRND_SHADOW] = 0
            flags[mujoco.mjtRndFlag.mjRND_REFLECTION] = 0
            flags[mujoco.mjtRndFlag.mjRND_SKYBOX] = 0
        self._renderer.update_scene(self.data, self._camera)
        return self._look.noisy_image(self._renderer.render())

    def close(self) -> None:
        """Release the renderer (GL context)."""
        if self._renderer is not None:
            self._renderer.close()
            self._renderer = None

    def __del__(self):
        try:
            self.close()
        except Exception:  # interpreter shutdown: GL may already be gone
            pass
