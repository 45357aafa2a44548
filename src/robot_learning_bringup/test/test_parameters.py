# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 robot_learning maintainers
"""Type checks of ``--set`` values against our parameter files (no ROS graph)."""

import pytest
from robot_learning.errors import ProfileError
from robot_learning_bringup.parameters import check_type


def test_a_double_in_e_notation_without_a_dot_gets_the_yaml_hint():
    # PyYAML reads 1e-3 as a string (YAML 1.1 floats need a dot); the hint says how to write it.
    with pytest.raises(ProfileError, match=r'got .1e-3. \(string\): write 1\.000000e-03'):
        check_type('--set policy_node.takeover_uncertainty', 'takeover_uncertainty',
                   '1e-3', 0.0)
    with pytest.raises(ProfileError, match=r'write 2\.0$'):
        check_type('--set sim_node.control_rate', 'control_rate', 2, 10.0)
    check_type('--set sim_node.control_rate', 'control_rate', 2.5, 10.0)
    with pytest.raises(ProfileError, match=r"got 'fast' \(string\)$"):
        check_type('--set sim_node.control_rate', 'control_rate', 'fast', 10.0)
