# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 robot_learning maintainers
"""The ROS verbs of ``robot-learning``: ``up``, ``profiles``, ``demo``, ``eval``.

The core's CLI (``robot_learning.cli``) parses the command line and finds these through
the ``robot_learning.verbs`` entry points (this package's ``setup.py``), so the core never
imports rclpy and, installed alone, names this package instead of failing. Each entry is a
``run(args: argparse.Namespace) -> int`` taking the namespace the CLI's parser builds; an
expected failure raises a :class:`~robot_learning.errors.RobotLearningError`, which the CLI
prints as one line with exit code 2.
"""

from __future__ import annotations

import argparse

from .launcher import parse_switches, ProfileProcesses
from .profiles import available_profiles, load_profile

__all__ = ['run_demo', 'run_eval', 'run_profiles', 'run_up']


def run_up(args: argparse.Namespace) -> int:
    """``robot-learning up PROFILE``: run a profile's groups until one exits or Ctrl-C.

    Args:
        args: ``profile``, ``set`` (``node.param=value`` list), ``namespace``,
            ``params_file``, ``checkpoint``, ``log_level``, ``switches``
            (``name:=true|false`` list, the profile's switches).

    Returns:
        The worst exit code of the groups (0 after Ctrl-C).

    Raises:
        ProfileError: a bad profile or option, before any process starts.
    """
    return ProfileProcesses(
        args.profile,
        args.set,
        args.namespace,
        params_file=args.params_file,
        checkpoint=args.checkpoint,
        log_level=args.log_level,
        switches=parse_switches(getattr(args, 'switches', None) or []),
    ).wait()


def run_profiles(args: argparse.Namespace) -> int:
    """``robot-learning profiles``: print each profile's name and description; return 0.

    Raises:
        ProfileError: a profile file is malformed.
    """
    for name in available_profiles():
        prof = load_profile(name)
        switches = ''.join(f' [{s}:=true|false]' for s in prof['switches'])
        print(f'{name:14s} {prof.get("description", "")}{switches}')
    return 0


def run_demo(args: argparse.Namespace) -> int:
    """``robot-learning demo``: the main job (:func:`robot_learning_bringup.demo.run_demo`)."""
    from .demo import run_demo as demo

    return demo(args)


def run_eval(args: argparse.Namespace) -> int:
    """``robot-learning eval``: closed loop in the built-in sim, or ``--offline`` on bags.

    Returns:
        0 once ``metrics.json`` is written.

    Raises:
        RobotLearningError: a checkpoint that does not fit, missing bags, a stage that
            stopped (one line).
    """
    if getattr(args, 'offline', False):
        from robot_learning.evaluation import run_offline_eval

        return run_offline_eval(args)
    from .evaluate_closed_loop import run_eval_cli

    return run_eval_cli(args)
