# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 robot_learning maintainers
"""Builds a ``ros2 launch`` description from a run profile (config/profiles/*.yaml).

``launch/*.launch.py`` call :func:`generate` so that ``ros2 launch`` on a full ROS 2
install and ``robot-learning up`` on pip-installed ROS 2 run the same nodes with the
same parameter files. Each node becomes a ``launch_ros.actions.Node`` whose executable
is the node's module name (``robot_learning_sim.sim_node`` -> package
``robot_learning_sim``, executable ``sim_node``); process groups collapse to one process
per node, as ``ros2 launch`` does.
"""

from __future__ import annotations

from .launcher import _node_name, config_dir, load_profile


def profile_nodes(profile_name: str) -> list[dict]:
    """Plain description of every node: package, executable, name, params files, overrides."""
    prof = load_profile(profile_name)
    out = []
    for group, nodes in prof['groups'].items():
        for spec in nodes:
            module = spec['node'].split(':')[0]
            package, executable = module.split('.', 1)
            params = spec.get('params') or []
            out.append(
                {
                    'group': group,
                    'package': package,
                    'executable': executable,
                    'name': _node_name(spec),
                    'params_files': [
                        str(config_dir() / f)
                        for f in ([params] if isinstance(params, str) else params)
                    ],
                    'parameters': {
                        'use_sim_time': bool(prof.get('use_sim_time', False)),
                        **(spec.get('parameters') or {}),
                    },
                    'remaps': dict(spec.get('remaps') or {}),
                    'namespace': spec.get('namespace', ''),
                }
            )
    return out


def generate(profile_name: str):
    """LaunchDescription for ``profile_name``; ``namespace:=`` and ``<node>.<param>:=`` style
    overrides go through launch arguments ``namespace`` and ``params_file``."""
    from launch import LaunchDescription
    from launch.actions import DeclareLaunchArgument
    from launch.substitutions import LaunchConfiguration
    from launch_ros.actions import Node

    ns = LaunchConfiguration('namespace')
    actions = [
        DeclareLaunchArgument(
            'namespace', default_value='', description='namespace for every node'
        )
    ]
    for n in profile_nodes(profile_name):
        actions.append(
            Node(
                package=n['package'],
                executable=n['executable'],
                name=n['name'],
                namespace=n['namespace'] or ns,
                output='screen',
                parameters=n['params_files'] + [n['parameters']],
                remappings=list(n['remaps'].items()),
            )
        )
    return LaunchDescription(actions)
