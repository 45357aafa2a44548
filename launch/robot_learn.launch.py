# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 robot_learning maintainers
"""ros2 launch robot_learning_bringup robot_learn.launch.py — online SAC on a real robot.

Remap the topics to your robot's (launch arguments, a params file); the node
list comes from config/profiles/robot_learn.yaml.
"""

from robot_learning_bringup.launch_description import generate


def generate_launch_description():
    return generate('robot_learn')
