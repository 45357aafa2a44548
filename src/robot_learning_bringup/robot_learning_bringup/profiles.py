# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 robot_learning maintainers
"""Run profiles and our parameter files: what ``up`` and the launch files both read.

A profile (``config/profiles/<name>.yaml``) lists process groups; each group is one OS
process whose nodes share one executor. Schema::

    description: one line
    use_sim_time: true
    checkpoint_node: policy_node             # deploy profiles: who takes checkpoint:=DIR
    switches:                                # on/off options: launch name:=true|false,
      interventions:                         #   robot-learning up PROFILE name:=true
        default: false
        description: one line
    groups:
      env:                                   # group name -> list of nodes
        - node: robot_learning_sim.sim_node:SimNode
          name: sim_node                     # node name (params file key), optional
          params: [sim_node.yaml]            # files in config/
          parameters: {mode: lockstep}       # overrides
          remaps: {cmd_vel: /robot1/cmd_vel}
          when: interventions                # started only when this switch is on
          switch_parameters:                 # overrides applied while a switch is on
            interventions: {teleop_timeout: 0.3}

:mod:`.launch_description` resolves a profile into nodes; :mod:`.launcher` runs them.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from robot_learning.errors import ProfileError
import yaml

__all__ = [
    'available_profiles',
    'config_dir',
    'load_profile',
    'node_name',
    'params_file_section',
    'parse_overrides',
]


def config_dir() -> Path:
    """Return ``config/`` of the bringup package (installed share/, else the source tree).

    ``ROBOT_LEARNING_CONFIG`` overrides both (tests, a site's own profiles).
    """
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
    """Return the names of the profiles in ``config/profiles``, sorted."""
    return sorted(p.stem for p in (config_dir() / 'profiles').glob('*.yaml'))


def load_profile(name: str) -> dict:
    """Read and check a profile.

    Args:
        name: a profile in ``config/profiles``, or a path ending in ``.yaml``.

    Returns:
        The profile as a dict (schema in the module docstring).

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
    switches = prof.setdefault('switches', {}) or {}
    if not isinstance(switches, dict) or not all(
        isinstance(v, dict) and isinstance(v.get('default', False), bool)
        for v in switches.values()
    ):
        raise ProfileError(
            f"{path}: 'switches' maps a name to {{default: true|false, description: text}}"
        )
    prof['switches'] = switches
    for g, nodes in prof['groups'].items():
        for n in nodes or []:
            if ':' not in str(n.get('node', '')):
                raise ProfileError(f"{path}: group {g}: each node needs 'node: module:Class'")
            used = [n['when']] if n.get('when') else []
            used += list((n.get('switch_parameters') or {}).keys())
            for name in used:
                if name not in switches:
                    raise ProfileError(
                        f"{path}: group {g}: node {node_name(n)} names switch '{name}', "
                        f"which is not under 'switches' ({', '.join(switches) or 'none'})"
                    )
    return prof


def node_name(spec: dict) -> str:
    """Return the node name of a profile entry: ``name``, else the module's last part."""
    return spec.get('name') or spec['node'].split(':')[0].rsplit('.', 1)[-1]


def parse_overrides(items: list[str]) -> dict[str, dict[str, Any]]:
    """``['sim_node.mode=lockstep', ...]`` -> ``{'sim_node': {'mode': 'lockstep'}}``.

    Values are read as YAML (``3`` an int, ``[a, b]`` a list), as ``ros2 param set`` does.

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
