# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 robot_learning maintainers
"""Test setup for robot_learning_sim.

The environment is fixed before anything imports rclpy or mujoco: a ROS domain of our own
(41, or ``ROBOT_LEARNING_TEST_DOMAIN_ID``) on localhost only (tests of other packages run at
the same time on this machine), and offscreen EGL rendering for the camera.
"""

import os

os.environ['ROS_DOMAIN_ID'] = os.environ.get('ROBOT_LEARNING_TEST_DOMAIN_ID', '41')
os.environ['ROS_AUTOMATIC_DISCOVERY_RANGE'] = 'LOCALHOST'
os.environ.setdefault('MUJOCO_GL', 'egl')

import pytest  # noqa: E402


@pytest.fixture(scope='module')
def rclpy_context():
    """Initialise rclpy for the tests of one module, shut it down afterwards."""
    import rclpy

    rclpy.init()
    try:
        yield
    finally:
        if rclpy.ok():
            rclpy.shutdown()
