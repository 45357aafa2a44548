# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 robot_learning maintainers
"""Gazebo Harmonic, the robot, ros_gz_bridge and the nodes of `robot-learning up gazebo_deploy`.

Usage: ``ros2 launch robot_learning_bringup gazebo_deploy.launch.py [world_dir:=DIR] [seed:=N]``
(needs ``ros-jazzy-ros-gz``). Gazebo, spawn and bridge:
src/robot_learning_bringup/robot_learning_bringup/gazebo_launch.py; the node list, parameter
files and overrides: config/profiles/gazebo_deploy.yaml.
"""

from robot_learning_bringup.gazebo_launch import generate


def generate_launch_description():
    return generate('gazebo_deploy')
