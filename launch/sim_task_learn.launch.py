# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 robot_learning maintainers
"""Launch the nodes of `robot-learning up sim_task_learn`.

Usage: ``ros2 launch robot_learning_bringup sim_task_learn.launch.py``.

The node list, parameter files and overrides come from config/profiles/sim_task_learn.yaml.
"""

from robot_learning_bringup.launch_description import generate


def generate_launch_description():
    return generate('sim_task_learn')
