# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 robot_learning maintainers
"""ros2 launch robot_learning_bringup robot_deploy.launch.py — policy on a real robot.

Set the checkpoint and remap topics in a params file or with ``--ros-args``; the node
list comes from config/profiles/robot_deploy.yaml.
"""

from robot_learning_bringup.launch_description import generate


def generate_launch_description():
    return generate('robot_deploy')
