# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 robot_learning maintainers
"""The observation messages ``gym_bridge`` publishes per step: joint_states, observation/array.

``joint_states`` (sensor_msgs/JointState) carries the flat float64 gym observation as
``position`` (the first ``n_position`` values) ‖ ``velocity`` (the rest), under the
env's joint names; ``observation/array`` (std_msgs/Float64MultiArray, dim label
``observation``) carries it whole, only with ``observation_type: array``. Both are
pre-allocated and refilled per step; ``joint_states`` goes last (observers trigger on it).
"""

from __future__ import annotations

import array

import numpy as np
from rclpy.node import Node
from robot_learning_nodes.common import SENSOR_PUB_QOS
from sensor_msgs.msg import JointState
from std_msgs.msg import Float64MultiArray, MultiArrayDimension


class GymObservation:
    """Publishers and messages of one env's observation.

    Args:
        node: owner of the publishers (relative names).
        joint_names: names of the ``joint_states`` entries.
        n_position: how many leading observation values are positions.
        obs_dim: length of the flat observation.
        with_array: also publish ``observation/array``.
    """

    def __init__(
        self, node: Node, joint_names: list[str], n_position: int, obs_dim: int, with_array: bool
    ):
        self._n = n_position
        self._pub_array = None
        if with_array:
            self._pub_array = node.create_publisher(
                Float64MultiArray, 'observation/array', SENSOR_PUB_QOS
            )
        self._pub_joints = node.create_publisher(JointState, 'joint_states', SENSOR_PUB_QOS)
        js = self._joint_msg = JointState()
        js.name = list(joint_names)
        a = self._array_msg = Float64MultiArray()
        a.layout.dim = [MultiArrayDimension(label='observation', size=obs_dim, stride=obs_dim)]

    def publish(self, obs: np.ndarray, stamp) -> None:
        """Publish the float64 (obs_dim,) observation ``obs`` stamped ``stamp``."""
        if self._pub_array is not None:
            self._array_msg.data = array.array('d', obs.tobytes())
            self._pub_array.publish(self._array_msg)
        js = self._joint_msg
        js.header.stamp = stamp
        js.position = array.array('d', obs[: self._n].tobytes())
        js.velocity = array.array('d', obs[self._n:].tobytes())
        self._pub_joints.publish(js)

    def republish(self) -> None:
        """Publish the last step's messages again, unchanged (a lockstep resend)."""
        if self._pub_array is not None:
            self._pub_array.publish(self._array_msg)
        self._pub_joints.publish(self._joint_msg)
