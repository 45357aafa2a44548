# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 robot_learning maintainers
"""Error classes of the robot_learning core, in one module (as rosbags ``errors.py``).

Every message is built before raising, so that a CLI can print ``str(error)`` as the
one line a user needs to fix the problem.
"""

from __future__ import annotations

import sys
from typing import Callable


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


def one_line(exc: BaseException | str, limit: int = 300) -> str:
    """Return ``exc``'s message as one line of at most ``limit`` characters.

    Library errors (YAML, rosbags, safetensors) span lines; a user gets one line, so
    whitespace runs become one space and a long message is cut with ``...``. An
    exception without a message gives its class name.

    Args:
        exc: an exception, or a message already built.
        limit: a message this long or longer is cut to ``limit`` characters (``...`` included).

    Returns:
        The line.
    """
    text = ' '.join(str(exc).split())
    if not text and isinstance(exc, BaseException):
        text = type(exc).__name__
    return text if len(text) < limit else text[: limit - 3] + '...'


def run_verb(verb: str, run: Callable[[], int]) -> int:
    """Run one ``robot-learning`` verb; an expected failure becomes one line on stderr.

    Args:
        verb: the verb's name, the prefix of the line (``robot-learning VERB: ...``).
        run: the verb's body; returns the exit code.

    Returns:
        ``run``'s exit code; 2 after a :class:`RobotLearningError` (its message is the
        line), 130 after Ctrl-C.
    """
    try:
        return run()
    except RobotLearningError as exc:
        print(f'robot-learning {verb}: {exc}', file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
