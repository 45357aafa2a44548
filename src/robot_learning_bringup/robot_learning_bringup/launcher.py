# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 robot_learning maintainers
"""Runs a profile's nodes: what ``ros2 launch`` does, for machines with pip-installed ROS 2.

A profile (``config/profiles/<name>.yaml``, schema in :mod:`.profiles`) lists process
groups; each group is one OS process whose nodes share one executor (so the sim, ingestion
and policy exchange messages without fighting over two cores, and the learner gets a
process of its own). :mod:`.launch_description` resolves the profile into nodes, the same
description ``launch/*.launch.py`` hand to ``ros2 launch``.

``config_dir``, ``params_file_section``, ``available_profiles``, ``load_profile`` and
``parse_overrides`` live in :mod:`.profiles`; they still import from here (and from the
old ``robot_learning_nodes.launcher``).
"""

from __future__ import annotations

import importlib
import os
from pathlib import Path
import signal
import subprocess
import sys
import time
from typing import Any

from .launch_description import profile_nodes
from .profiles import (
    available_profiles,
    config_dir,
    load_profile,
    params_file_section,
    parse_overrides,
)

__all__ = [
    'ProfileProcesses',
    'available_profiles',
    'config_dir',
    'create_nodes',
    'load_profile',
    'main',
    'params_file_section',
    'parse_overrides',
    'parse_switches',
    'run_group',
]


def _to_param(name: str, value: Any):
    from rclpy.parameter import Parameter

    if isinstance(value, tuple):
        value = list(value)
    return Parameter(name, value=value)


def create_nodes(profile_name: str, group: str, options: dict[str, Any] | None = None) -> list:
    """Instantiate the nodes of one group (rclpy must be initialised).

    Args:
        profile_name: the profile.
        group: one of its process groups.
        options: keyword arguments of
            :func:`robot_learning_bringup.launch_description.profile_nodes` (namespace,
            params_file, checkpoint, log_level, overrides, ...), the same description the
            launch files use.

    Raises:
        ProfileError: a bad option (one line saying what to fix).
    """
    nodes = []
    for n in profile_nodes(profile_name, **(options or {})):
        if n['group'] != group:
            continue
        cls = getattr(importlib.import_module(n['module']), n['cls'])
        cli = ['--ros-args', '-r', f'__node:={n["name"]}', *n['ros_args']]
        for f in n['params_files']:
            cli += ['--params-file', f]
        for src, dst in n['remaps'].items():
            cli += ['-r', f'{src}:={dst}']
        kwargs = {
            'cli_args': cli,
            'parameter_overrides': [_to_param(k, v) for k, v in n['parameters'].items()],
        }
        if n['namespace']:
            kwargs['namespace'] = n['namespace']
        nodes.append(cls(**kwargs))
    return nodes


def _options(
    overrides: list[str] | None = None,
    namespace: str = '',
    params_file: str = '',
    checkpoint: str = '',
    log_level: str = '',
    switches: dict[str, bool] | None = None,
) -> dict[str, Any]:
    """Command-line options of ``up`` as :func:`profile_nodes` keyword arguments."""
    return {
        'overrides': parse_overrides(overrides or []),
        'namespace': namespace,
        'params_file': str(Path(params_file).resolve()) if params_file else '',
        'checkpoint': checkpoint,
        'log_level': log_level,
        'switches': dict(switches or {}),
    }


def _child_args(overrides: list[str] | None, options: dict[str, Any]) -> list[str]:
    """Return the command line that gives a group's child process the same options.

    Args:
        overrides: ``--set`` items as the user wrote them.
        options: the result of :func:`_options` (its ``params_file`` already absolute).
    """
    cmd = []
    for o in overrides or []:
        cmd += ['--set', o]
    for key in ('namespace', 'params_file', 'checkpoint', 'log_level'):
        if options[key]:
            cmd += ['--' + key.replace('_', '-'), options[key]]
    for name, on in options['switches'].items():
        # name=value: rcl would read a bare name:=value in the child's argv as a remap.
        cmd += ['--switch', f'{name}={"true" if on else "false"}']
    return cmd


def parse_switches(items: list[str]) -> dict[str, bool]:
    """``['interventions:=true']`` -> ``{'interventions': True}`` (a profile's switches).

    ``name=value`` is read the same way (what a group's child process is given).

    Raises:
        ProfileError: an item is not ``name:=true|false``.
    """
    from robot_learning.errors import ProfileError

    from .launch_description import parse_bool

    out = {}
    for item in items:
        text = str(item)
        name, sep, value = text.partition(':=' if ':=' in text else '=')
        if not sep or not name:
            raise ProfileError(f"bad switch '{item}': write name:=true or name:=false")
        out[name] = parse_bool(value, name)
    return out


def run_group(
    profile_name: str,
    group: str,
    overrides: list[str],
    namespace: str = '',
    params_file: str = '',
    checkpoint: str = '',
    log_level: str = '',
    switches: dict[str, bool] | None = None,
) -> int:
    """Process entry: create the group's nodes and spin them until SIGINT/SIGTERM."""
    import rclpy
    from rclpy.executors import ExternalShutdownException, SingleThreadedExecutor
    from robot_learning.errors import RobotLearningError

    load_profile(profile_name)
    rclpy.init(args=None, signal_handler_options=rclpy.signals.SignalHandlerOptions.NO)
    signal.signal(signal.SIGTERM, lambda *_: rclpy.try_shutdown())
    signal.signal(signal.SIGINT, lambda *_: rclpy.try_shutdown())
    try:
        nodes = create_nodes(
            profile_name,
            group,
            _options(overrides, namespace, params_file, checkpoint, log_level, switches),
        )
    except RobotLearningError as exc:
        if not rclpy.ok():
            # Stopped while starting (another group failed, or Ctrl-C): not this group's error.
            return 0
        print(f'robot-learning up: {exc}', file=sys.stderr)
        rclpy.try_shutdown()
        return 2
    except rclpy.exceptions.NotInitializedException:
        return 0  # stopped before its nodes existed: nothing to report
    ex = SingleThreadedExecutor()
    for n in nodes:
        ex.add_node(n)
    try:
        ex.spin()
    except (KeyboardInterrupt, ExternalShutdownException):
        pass
    except Exception:
        if rclpy.ok():  # else: a take raced the shutdown signal (see robot_learning_nodes.spin)
            raise
    finally:
        for n in nodes:
            close = getattr(n, 'close', None)
            if callable(close):  # recorder closes its bag, learner writes its last checkpoint
                try:
                    close()
                except Exception as exc:  # shutting down: report, don't mask the exit
                    print(f'{n.get_name()}: close failed: {exc}', file=sys.stderr)
            n.destroy_node()
        rclpy.try_shutdown()
    return 0


class ProfileProcesses:
    """Starts every group of a profile as a child process; stops them together."""

    def __init__(
        self,
        profile_name: str,
        overrides: list[str] | None = None,
        namespace: str = '',
        log_dir: Path | None = None,
        env: dict | None = None,
        params_file: str = '',
        checkpoint: str = '',
        log_level: str = '',
        switches: dict[str, bool] | None = None,
    ):
        self.profile_name = profile_name
        self.profile = load_profile(profile_name)
        # Every option is checked here, before any process starts (nothing left running).
        options = _options(overrides, namespace, params_file, checkpoint, log_level, switches)
        running = {n['group'] for n in profile_nodes(profile_name, **options)}
        self.procs: dict[str, subprocess.Popen] = {}
        self._logs = []
        for group in self.profile['groups']:
            if group not in running:
                continue  # every node of it is switched off
            cmd = [sys.executable, '-m', 'robot_learning_bringup.launcher', profile_name, group]
            cmd += _child_args(overrides, options)
            out = None
            if log_dir is not None:
                log_dir.mkdir(parents=True, exist_ok=True)
                out = open(log_dir / f'{profile_name}.{group}.log', 'w')
                self._logs.append(out)
            self.procs[group] = subprocess.Popen(
                cmd,
                stdout=out,
                stderr=subprocess.STDOUT if out else None,
                env={**os.environ, **(env or {})},
            )

    def failed(self) -> dict[str, int]:
        """Return the groups that exited, with their exit codes."""
        return {g: p.returncode for g, p in self.procs.items() if p.poll() is not None}

    def stop(self, timeout: float = 20.0) -> dict[str, int]:
        for p in self.procs.values():
            if p.poll() is None:
                p.send_signal(signal.SIGINT)
        deadline = time.monotonic() + timeout
        for p in self.procs.values():
            try:
                p.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        for f in self._logs:
            f.close()
        return {g: p.returncode for g, p in self.procs.items()}

    def wait(self) -> int:
        """Block until a group exits (or Ctrl-C), then stop all; worst exit code."""
        try:
            while not self.failed():
                time.sleep(0.2)
        except KeyboardInterrupt:
            pass
        codes = self.stop()
        return max(
            (abs(c) for c in codes.values() if c not in (None, -2, -signal.SIGINT)), default=0
        )


def main(argv: list[str] | None = None) -> int:
    import argparse

    ap = argparse.ArgumentParser(prog='robot_learning_bringup.launcher')
    ap.add_argument('profile')
    ap.add_argument('group')
    ap.add_argument('--set', action='append', default=[])
    ap.add_argument('--namespace', default='')
    ap.add_argument('--params-file', default='')
    ap.add_argument('--checkpoint', default='')
    ap.add_argument('--log-level', default='')
    ap.add_argument('--switch', action='append', default=[])
    a = ap.parse_args(argv)
    return run_group(
        a.profile,
        a.group,
        a.set,
        a.namespace,
        a.params_file,
        a.checkpoint,
        a.log_level,
        parse_switches(a.switch),
    )


if __name__ == '__main__':
    from robot_learning_nodes.spin import exit_now

    exit_now(main())
