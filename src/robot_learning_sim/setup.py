# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 robot_learning maintainers
from setuptools import find_packages, setup

package_name = 'robot_learning_sim'

setup(
    name=package_name,
    version='0.1.0',
    packages=find_packages(exclude=['test']),
    data_files=[
        ('share/ament_index/resource_index/packages', ['resource/' + package_name]),
        ('share/' + package_name, ['package.xml']),
    ],
    install_requires=['setuptools'],
    zip_safe=True,
    maintainer='robot_learning maintainers',
    maintainer_email='maintainers@robot-learning.org',
    description='Built-in MuJoCo world, its ROS 2 node and a scripted expert teleop.',
    license='Apache-2.0',
    extras_require={'test': ['pytest']},
    entry_points={
        'console_scripts': [
            'sim_node = robot_learning_sim.sim_node:main',
            'expert_teleop = robot_learning_sim.expert_teleop:main',
            'gym_bridge = robot_learning_sim.gym_bridge:main',
        ],
        # `robot-learning export-world` (robot_learning.cli): the world as SDF for Gazebo.
        'robot_learning.verbs': [
            'export-world = robot_learning_sim.world_sdf:run_export',
        ],
    },
)
