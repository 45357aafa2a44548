# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 robot_learning maintainers
from setuptools import find_packages, setup

package_name = 'robot_learning_nodes'

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
    description='rclpy nodes of robot_learning.',
    license='Apache-2.0',
    extras_require={'test': ['pytest']},
    entry_points={
        'console_scripts': [
            'camera_ingest = robot_learning_nodes.camera_ingest:main',
            'lidar_ingest = robot_learning_nodes.lidar_ingest:main',
            'demo_recorder = robot_learning_nodes.demo_recorder:main',
            'operator_node = robot_learning_nodes.operator_node:main',
            'policy_node = robot_learning_nodes.policy_node:main',
            'sac_learner = robot_learning_nodes.sac_learner:main',
            'task_node = robot_learning_nodes.task_node:main',
        ],
    },
)
