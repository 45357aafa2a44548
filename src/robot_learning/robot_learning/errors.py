# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 robot_learning maintainers
"""Error classes of the robot_learning core, in one module (as rosbags ``errors.py``).

Every message is built before raising, so that a CLI can print ``str(error)`` as the
one line a user needs to fix the problem.
"""

from __future__ import annotations


class RobotLearningError(Exception):
    """Base class of every error the core raises on purpose."""


class ConfigError(RobotLearningError):
    """A configuration value (dataclass field, ROS parameter, CLI flag) is invalid."""


class MessageError(RobotLearningError):
    """A message cannot be converted: wrong length, unknown encoding, missing fields."""


class CheckpointError(RobotLearningError):
    """A checkpoint is missing, unreadable, or does not match the expected spec."""


class BagError(RobotLearningError):
    """A bag is missing, unreadable or lacks what a dataset needs."""


class ProfileError(RobotLearningError):
    """A run profile is unknown or malformed."""
