# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 robot_learning maintainers
"""Subscribes the low-dimensional observation topics and emits synchronized samples.

Shared by the policy node and the SAC learner so that both see exactly the same
observation (design.md: one transition assembler, same features online and offline).
"""

from __future__ import annotations

from typing import Callable

from geometry_msgs.msg import PoseArray
from nav_msgs.msg import Odometry
import numpy as np
from rclpy.node import Node
from robot_learning.common.features import (
    detections_from_msg,
    RawObservation,
    sectors_from_msg,
    stamp_us,
    velocity_from_odom,
)
from robot_learning.data.ingest import image_msg_to_rgb
from robot_learning.data.transitions import StampedSync
from robot_learning.errors import MessageError, RobotLearningError
from sensor_msgs.msg import Image, LaserScan
from std_msgs.msg import String

from .diagnostics import Diagnostics
from .qos import LATCHED_QOS, SENSOR_QOS


class ObservationStreams:
    """Creates the subscriptions on ``node`` and calls ``on_observation(RawObservation)``.

    Topics (relative, remappable): ``observation/scan`` (LaserScan sectors, the trigger),
    ``odom``, ``detections`` (PoseArray), ``instruction`` (latched String). Sensor QoS for
    streams; a malformed message is counted on ``diagnostics`` (task ``observations``) and
    skipped.

    Args:
        node: owner of the subscriptions.
        diagnostics: where errors are counted.
        on_observation: called once per new synchronized stamp.
        on_scan_stamp: optional, called with every scan stamp (also duplicates), so the
            policy node can answer a lockstep resend.
        tolerance_s: largest stamp difference between streams of one observation.
        qos: QoS for the streams (the learner asks for a deep reliable queue).
        with_image: also subscribe ``observation/image`` (camera_ingest output, rgb8);
            while ``require_image`` is true an observation completes only with the image of
            its stamp, and ``on_observation`` gets it as a second argument (else ``None``).
        on_instruction: optional, called with every new instruction (a new episode).
    """

    def __init__(
        self,
        node: Node,
        diagnostics: Diagnostics,
        on_observation: Callable[..., None],
        on_scan_stamp: Callable[[int], None] | None = None,
        tolerance_s: float = 0.02,
        qos=SENSOR_QOS,
        with_image: bool = False,
        on_instruction: Callable[[str], None] | None = None,
    ):
        self._diag = diagnostics
        # The owning node may declare the task itself (rates, staleness); the keys stay.
        diagnostics.route(
            'observations', ('error_image', 'error_scan_nonfinite', 'error_detections')
        )
        self._cb = on_observation
        self._on_scan_stamp = on_scan_stamp
        self._on_instruction = on_instruction
        self._with_image = with_image
        self.require_image = False
        self.instruction = ''
        tol = int(tolerance_s * 1e6)
        self._sync = StampedSync(('scan', 'odom', 'detections'), tol)
        self._sync_image = StampedSync(('scan', 'odom', 'detections', 'image'), tol)
        node.create_subscription(LaserScan, 'observation/scan', self._scan, qos)
        node.create_subscription(Odometry, 'odom', self._odom, qos)
        node.create_subscription(PoseArray, 'detections', self._detections, qos)
        node.create_subscription(String, 'instruction', self._instruction, LATCHED_QOS)
        if with_image:
            node.create_subscription(Image, 'observation/image', self._image, qos)

    def _push(self, stream: str, stamp: int, value) -> None:
        done = self._sync.push(stream, stamp, value) if stream != 'image' else None
        done_img = self._sync_image.push(stream, stamp, value) if self._with_image else None
        if self.require_image:
            if done_img is not None:
                st, vals = done_img
                self._emit(st, vals, vals['image'])
        elif done is not None:
            st, vals = done
            self._emit(st, vals, None)

    def _emit(self, stamp: int, vals: dict, image) -> None:
        raw = RawObservation(
            stamp, vals['scan'], vals['detections'], vals['odom'], self.instruction
        )
        if self._with_image:
            self._cb(raw, image)
        else:
            self._cb(raw)

    def _image(self, msg: Image) -> None:
        try:
            rgb = image_msg_to_rgb(msg)
        except RobotLearningError as exc:
            self._diag.error('error_image', f'observation/image: {exc}')
            return
        self._push('image', stamp_us(msg.header), rgb)

    def _scan(self, msg: LaserScan) -> None:
        sectors = sectors_from_msg(msg)
        if not np.isfinite(sectors).all():
            self._diag.error(
                'error_scan_nonfinite',
                'observation/scan has non-finite ranges; '
                'is lidar_ingest running between the sensor and this node?',
            )
            return
        st = stamp_us(msg.header)
        if self._on_scan_stamp is not None:
            self._on_scan_stamp(st)
        self._push('scan', st, sectors)

    def _odom(self, msg: Odometry) -> None:
        self._push('odom', stamp_us(msg.header), velocity_from_odom(msg))

    def _detections(self, msg: PoseArray) -> None:
        try:
            det = detections_from_msg(msg)
        except (AttributeError, ValueError) as exc:
            self._diag.error('error_detections', f'malformed detections: {exc}')
            return
        self._push('detections', stamp_us(msg.header), det)

    def _instruction(self, msg: String) -> None:
        self.instruction = msg.data
        if self._on_instruction is not None:
            self._on_instruction(msg.data)

    def reset(self) -> None:
        self._sync.reset()
        self._sync_image.reset()


__all__ = ['ObservationStreams', 'RawObservation', 'MessageError']
