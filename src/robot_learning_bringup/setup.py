# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 robot_learning maintainers
from glob import glob
import os

from setuptools import find_packages, setup

package_name = 'robot_learning_bringup'
# launch/ and config/ live at the repository top level (design.md); the package installs them.
top = os.path.relpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..'))

setup(
    name=package_name,
    version='0.1.0',
    packages=find_packages(exclude=['test']),
    data_files=[
        ('share/ament_index/resource_index/packages', ['resource/' + package_name]),
        ('share/' + package_name, ['package.xml', 'rosdep.yaml']),
        ('share/' + package_name + '/launch', glob(os.path.join(top, 'launch', '*.launch.py'))),
        ('share/' + package_name + '/config', glob(os.path.join(top, 'config', '*.yaml'))),
        (
            'share/' + package_name + '/config/profiles',
            glob(os.path.join(top, 'config', 'profiles', '*.yaml')),
        ),
        (
            'share/' + package_name + '/config/tasks',
            glob(os.path.join(top, 'config', 'tasks', '*.yaml')),
        ),
    ],
    install_requires=['setuptools'],
    zip_safe=True,
    maintainer='robot_learning maintainers',
    maintainer_email='maintainers@robot-learning.org',
    description='Launch files, parameters, profiles and orchestration of robot_learning.',
    license='Apache-2.0',
    extras_require={'test': ['pytest']},
    entry_points={
        # The ROS verbs of the core's `robot-learning` command (robot_learning.cli).
        'robot_learning.verbs': [
            'up = robot_learning_bringup.verbs:run_up',
            'profiles = robot_learning_bringup.verbs:run_profiles',
            'demo = robot_learning_bringup.verbs:run_demo',
            'eval = robot_learning_bringup.verbs:run_eval',
        ],
    },
)
