# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 robot_learning maintainers
"""robot_learning_nodes: the rclpy nodes of robot_learning, one node per file, thin."""

from robot_learning._moved import install as _install

# Orchestration moved to robot_learning_bringup in issue 9; the old names still import.
_MOVED = {
    'robot_learning_nodes.demo': 'robot_learning_bringup.demo',
    'robot_learning_nodes.launch_description': 'robot_learning_bringup.launch_description',
    'robot_learning_nodes.launcher': 'robot_learning_bringup.launcher',
}
_install(_MOVED)
