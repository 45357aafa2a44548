# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 robot_learning maintainers
"""Runs a profile's nodes: what ``ros2 launch`` does, for machines with pip-installed ROS 2.

A profile (``config/profiles/<name>.yaml``) lists process groups; each group is one OS
process whose nodes share one executor (so the sim, ingestion and policy exchange
messages without fighting over two cores, and the learner gets a process of its own).
``launch/*.launch.py`` express the same profiles for ``ros2 launch``.

Profile schema::

    description: one line
    use_sim_time: true
    groups:
      env:                                   # group name -> list of nodes
        - node: robot_learning_sim.sim_node:SimNode
          name: sim_node                     # node name (params file key), optional
          params: [sim_node.yaml]            # files in config/
          parameters: {mode: lockstep}       # overrides
          remaps: {cmd_vel: /robot1/cmd_vel}
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

from robot_learning.errors import ProfileError
import yaml


def config_dir() -> Path:
    """``config/`` of the bringup package (installed share/ or the source tree)."""
    env = os.environ.get('ROBOT_LEARNING_CONFIG')
    if env:
        return Path(env)
    try:
        from ament_index_python.packages import get_package_share_directory

        p = Path(get_package_share_directory('robot_learning_bringup')) / 'config'
        if p.is_dir():
            return p
    except Exception:  # not installed with colcon: fall back to the source tree
        pass
    return Path(__file__).resolve().parents[3] / 'config'


def params_file_section(path: Path, node_name: str) -> dict:
    """Return the ``ros__parameters`` of ``node_name`` in a file (``config/<node>.yaml``).

    Our files key each node as ``/**/<node_name>`` so that they apply under any namespace
    (rclpy ignores a bare ``<node_name>:`` key once the node is namespaced); a bare key is
    read too.

    Raises:
        ProfileError: the file has no section for ``node_name``.
    """
    data = yaml.safe_load(Path(path).read_text()) or {}
    for key in (f'/**/{node_name}', node_name, f'/{node_name}'):
        section = data.get(key) if isinstance(data, dict) else None
        if isinstance(section, dict) and isinstance(section.get('ros__parameters'), dict):
            return section['ros__parameters']
    raise ProfileError(f"{path}: no '/**/{node_name}: ros__parameters:' section")


def available_profiles() -> list[str]:
    return sorted(p.stem for p in (config_dir() / 'profiles').glob('*.yaml'))


def load_profile(name: str) -> dict:
    """Read and check a profile.

    Raises:
        ProfileError: unknown name or malformed content, with one line saying what to fix.
    """
    path = Path(name) if name.endswith('.yaml') else config_dir() / 'profiles' / f'{name}.yaml'
    if not path.is_file():
        raise ProfileError(
            f"unknown profile '{name}': choose one of {', '.join(available_profiles())}"
        )
    try:
        prof = yaml.safe_load(path.read_text())
    except yaml.YAMLError as exc:
        raise ProfileError(f'{path}: not valid YAML ({exc})') from None
    if (
        not isinstance(prof, dict)
        or not isinstance(prof.get('groups'), dict)
        or not prof['groups']
    ):
        raise ProfileError(f"{path}: needs a 'groups' mapping of group name -> list of nodes")
    for g, nodes in prof['groups'].items():
        for n in nodes or []:
            if ':' not in str(n.get('node', '')):
                raise ProfileError(f"{path}: group {g}: each node needs 'node: module:Class'")
    return prof


def parse_overrides(items: list[str]) -> dict[str, dict[str, Any]]:
    """``['sim_node.mode=lockstep', ...]`` -> ``{'sim_node': {'mode': 'lockstep'}}``.

    Raises:
        ProfileError: an item is not ``node.param=value``.
    """
    out: dict[str, dict[str, Any]] = {}
    for item in items:
        key, sep, value = item.partition('=')
        node, dot, param = key.partition('.')
        if not sep or not dot or not param:
            raise ProfileError(
                f"bad override '{item}': write node.param=value, e.g. sim_node.mode=lockstep"
            )
        out.setdefault(node, {})[param] = yaml.safe_load(value)
    return out


def _node_name(spec: dict) -> str:
    return spec.get('name') or spec['node'].split(':')[0].rsplit('.', 1)[-1]


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
    from .launch_description import profile_nodes

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
) -> dict[str, Any]:
    """Command-line options of ``up`` as :func:`profile_nodes` keyword arguments."""
    return {
        'overrides': parse_overrides(overrides or []),
        'namespace': namespace,
        'params_file': str(Path(params_file).resolve()) if params_file else '',
        'checkpoint': checkpoint,
        'log_level': log_level,
    }


def _child_args(
    overrides: list[str] | None = None,
    namespace: str = '',
    params_file: str = '',
    checkpoint: str = '',
    log_level: str = '',
) -> list[str]:
    cmd = []
    for o in overrides or []:
        cmd += ['--set', o]
    for flag, value in (
        ('--namespace', namespace),
        ('--params-file', str(Path(params_file).resolve()) if params_file else ''),
        ('--checkpoint', checkpoint),
        ('--log-level', log_level),
    ):
        if value:
            cmd += [flag, value]
    return cmd


def run_group(
    profile_name: str,
    group: str,
    overrides: list[str],
    namespace: str = '',
    params_file: str = '',
    checkpoint: str = '',
    log_level: str = '',
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
            _options(overrides, namespace, params_file, checkpoint, log_level),
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
    ):
        from .launch_description import profile_nodes

        self.profile_name = profile_name
        self.profile = load_profile(profile_name)
        # Every option is checked here, before any process starts (nothing left running).
        options = (overrides, namespace, params_file, checkpoint, log_level)
        profile_nodes(profile_name, **_options(*options))
        self.procs: dict[str, subprocess.Popen] = {}
        self._logs = []
        for group in self.profile['groups']:
            cmd = [sys.executable, '-m', 'robot_learning_bringup.launcher', profile_name, group]
            cmd += _child_args(*options)
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
    a = ap.parse_args(argv)
    return run_group(
        a.profile, a.group, a.set, a.namespace, a.params_file, a.checkpoint, a.log_level
    )


if __name__ == '__main__':
    from robot_learning_nodes.common import exit_now

    exit_now(main())
