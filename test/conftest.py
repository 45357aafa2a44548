# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 robot_learning maintainers
"""System tests: real nodes over real topics, isolated on their own DDS domain."""

import os
import random

# Before any rclpy import: a domain of our own so concurrent runs don't cross-talk.
os.environ.setdefault('ROS_DOMAIN_ID', str(random.randint(60, 110)))
os.environ.setdefault('ROS_AUTOMATIC_DISCOVERY_RANGE', 'LOCALHOST')
os.environ.setdefault('MUJOCO_GL', 'egl')
