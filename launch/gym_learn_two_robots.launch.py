# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 robot_learning maintainers
"""Launch the nodes of `robot-learning up gym_learn_two_robots`.

Usage: ``ros2 launch robot_learning_bringup gym_learn_two_robots.launch.py``.

The node list, parameter files and overrides come from config/profiles/gym_learn_two_robots.yaml.
"""

from robot_learning_bringup.launch_description import generate


def generate_launch_description():
    return generate('gym_learn_two_robots')
