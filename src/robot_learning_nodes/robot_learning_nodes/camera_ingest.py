# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 robot_learning maintainers
"""camera_ingest: camera images -> small RGB observation images.

Subscribes ``image`` (sensor_msgs/Image: rgb8, bgr8, mono8, 16UC1, 32FC1, ...) and
``image/compressed`` (sensor_msgs/CompressedImage: jpeg, png) with sensor-data QoS and
publishes ``observation/image`` (sensor_msgs/Image rgb8, ``width`` x ``height``, header
copied from the input). Conversion is done by :mod:`robot_learning.data.ingest`. Malformed
input is logged (throttled), counted on ``/diagnostics`` and skipped.

Parameters: ``width``, ``height`` (read-only: consumers are built for one size) and
``depth_min``/``depth_max`` (m, live). Diagnostics (``camera_ingest: images``): counters
``frames`` (raw images converted), ``frames_compressed``, ``error_image``,
``error_compressed``; live ``diagnostics.images.expected_hz`` and
``diagnostics.images.stale_s`` (STALE after 5 s without images by default).
"""

from __future__ import annotations

from rclpy.node import Node
from robot_learning.data.ingest import compressed_msg_to_rgb, image_msg_to_rgb, resize_rgb
from robot_learning.errors import ConfigError, RobotLearningError
from sensor_msgs.msg import CompressedImage, Image

from .diagnostics import Diagnostics
from .params import declare, live_parameters, pending
from .qos import SENSOR_PUB_QOS, SENSOR_QOS
from .spin import spin_node


class CameraIngest(Node):
    """Image / CompressedImage -> ``observation/image`` (rgb8, width x height)."""

    def __init__(self, **kwargs):
        super().__init__('camera_ingest', **kwargs)
        self.width = int(
            declare(
                self, 'width', 64, 'output image width, px', True, min_value=1, max_value=4096
            )
        )
        self.height = int(
            declare(
                self, 'height', 64, 'output image height, px', True, min_value=1, max_value=4096
            )
        )
        near = declare(
            self,
            'depth_min',
            0.0,
            'depth images: depth (m) shown white; closer is white too',
            min_value=0.0,
            max_value=1000.0,
        )
        far = declare(
            self,
            'depth_max',
            10.0,
            'depth images: depth (m) shown black; farther and no data too',
            min_value=0.0,
            max_value=1000.0,
        )
        self.depth_range = self._depth_range(near, far)
        self.diag = Diagnostics(self)
        self.diag.task(
            'images',
            keys=('frames', 'frames_compressed'),
            errors=('error_image', 'error_compressed'),
            stale_s=5.0,
            params=True,
        )
        self.diag.set('output_size', f'{self.width}x{self.height}')
        live_parameters(
            self,
            {
                'depth_min': lambda v: self._set_depth(v, pending(self, 'depth_max')),
                'depth_max': lambda v: self._set_depth(pending(self, 'depth_min'), v),
            },
        )
        self.pub = self.create_publisher(Image, 'observation/image', SENSOR_PUB_QOS)
        self.create_subscription(Image, 'image', self.on_image, SENSOR_QOS)
        self.create_subscription(
            CompressedImage, 'image/compressed', self.on_compressed, SENSOR_QOS
        )

    @staticmethod
    def _depth_range(near: float, far: float) -> tuple[float, float]:
        if not far > near >= 0.0:
            raise ConfigError(f'camera_ingest: depth_max {far} must be > depth_min {near} >= 0')
        return (float(near), float(far))

    def _set_depth(self, near: float, far: float) -> None:
        self.depth_range = self._depth_range(near, far)

    def on_image(self, msg: Image) -> None:
        """Convert one raw image; errors are counted, never raised."""
        try:
            rgb = image_msg_to_rgb(msg, self.depth_range)
        except RobotLearningError as exc:
            self.diag.error('error_image', f'image: {exc}')
            return
        self._publish(msg.header, rgb)
        self.diag.count('frames')

    def on_compressed(self, msg: CompressedImage) -> None:
        """Convert one compressed image; errors are counted, never raised."""
        try:
            rgb = compressed_msg_to_rgb(msg, self.depth_range)
        except RobotLearningError as exc:
            self.diag.error('error_compressed', f'image/compressed: {exc}')
            return
        self._publish(msg.header, rgb)
        self.diag.count('frames_compressed')

    def _publish(self, header, rgb) -> None:
        small = resize_rgb(rgb, self.width, self.height)
        out = Image()
        out.header = header
        out.height, out.width = self.height, self.width
        out.encoding = 'rgb8'
        out.is_bigendian = 0
        out.step = self.width * 3
        out.data = small.tobytes()  # bytes assignment is the fast path (ndarray is ~50x slower)
        self.pub.publish(out)


def main(args=None) -> None:
    """Entry point ``camera_ingest``."""
    spin_node(CameraIngest, args)


if __name__ == '__main__':
    main()
