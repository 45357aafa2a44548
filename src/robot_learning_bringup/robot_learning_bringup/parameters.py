# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 robot_learning maintainers
"""Parameter values of a profile's nodes: flat names, types as rclpy infers them, user files.

Nested YAML (``sac: {lr: 3e-4}``) is handled as flat dotted names (``sac.lr``), the way
rclpy declares them; a user's value is refused here when rclpy would refuse it at declare
time, so a bad ``params_file`` or ``--set`` stops the launch in one line before any node
starts.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from robot_learning.errors import ProfileError
import yaml

__all__ = ['check_type', 'flatten', 'nest', 'read_params_file', 'user_params']


def flatten(tree: dict, prefix: str = '') -> dict[str, Any]:
    """``{'sac': {'lr': 1}}`` -> ``{'sac.lr': 1}`` (lists are values, not nested)."""
    out: dict[str, Any] = {}
    for key, value in tree.items():
        if isinstance(value, dict):
            out.update(flatten(value, f'{prefix}{key}.'))
        else:
            out[f'{prefix}{key}'] = value
    return out


def nest(flat: dict[str, Any]) -> dict:
    """Invert :func:`flatten`: ``{'sac.lr': 1}`` -> ``{'sac': {'lr': 1}}``."""
    out: dict = {}
    for key, value in flat.items():
        *parents, leaf = key.split('.')
        node = out
        for p in parents:
            node = node.setdefault(p, {})
        node[leaf] = value
    return out


def _kind(value: Any) -> str:
    """Return the ROS 2 parameter type that rclpy infers for ``value``."""
    if isinstance(value, bool):
        return 'bool'
    if isinstance(value, int):
        return 'integer'
    if isinstance(value, float):
        return 'double'
    if isinstance(value, str):
        return 'string'
    if isinstance(value, (list, tuple)):
        kinds = {_kind(v) for v in value}
        return f'{kinds.pop()} array' if len(kinds) == 1 else ('array' if not kinds else 'mixed')
    return type(value).__name__


def _is_float(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def check_type(where: str, key: str, value: Any, reference: Any) -> None:
    """Refuse what rclpy would refuse at declare time (a value of another type).

    Args:
        where: what the value came from, for the message (``--set sim_node.rate``).
        key: the parameter's flat name.
        value: the user's value.
        reference: our value of the parameter (its type is the declared one).

    Raises:
        ProfileError: one line naming the parameter, the expected type and a fix.
    """
    want, got = _kind(reference), _kind(value)
    if want == got or got == 'array' and want.endswith('array'):
        return
    hint = ''
    if want == 'double' and got == 'integer':
        hint = f': write {float(value)}'
    elif want == 'double array' and got in ('integer array', 'mixed'):
        hint = f': write {[float(v) for v in value]}'
    elif want == 'double' and got == 'string' and _is_float(value):
        hint = f': write {float(value):.6e} (YAML reads 1e-3 as text; 1.0e-3 is a number)'
    raise ProfileError(
        f'{where}: {key} is a {want} (ours: {reference!r}), got {value!r} ({got}){hint}'
    )


def read_params_file(path: str, names: set[str]) -> dict[str, dict[str, Any]]:
    """Read a user parameter file as ``{key: flat parameters}``; keys as written.

    Args:
        path: the user's ROS 2 parameter YAML.
        names: the node names of the profile (a key naming another node is a typo).

    Raises:
        ProfileError: missing file, bad YAML, wrong layout, or a node key that names no
            node of the profile.
    """
    p = Path(path).expanduser()
    if not p.is_file():
        raise ProfileError(f'params_file {path}: no such file')
    try:
        data = yaml.safe_load(p.read_text())
    except yaml.YAMLError as exc:
        raise ProfileError(f'params_file {path}: not valid YAML ({str(exc).splitlines()[0]})')
    if data is None:
        return {}
    layout = 'write <node>: {ros__parameters: {name: value}} (or /**/<node>: / /**:)'
    if not isinstance(data, dict):
        raise ProfileError(f'params_file {path}: {layout}')
    out = {}
    for key, section in data.items():
        if (
            not isinstance(key, str)
            or not isinstance(section, dict)
            or not isinstance(section.get('ros__parameters'), dict)
        ):
            raise ProfileError(f'params_file {path}: {key!r}: {layout}')
        node = key.rsplit('/', 1)[-1]
        if key.rstrip('/') != '/**' and node not in names:
            raise ProfileError(
                f"params_file {path}: '{key}' names no node of this profile "
                f'(its nodes: {", ".join(sorted(names))})'
            )
        out[key] = flatten(section['ros__parameters'])
    return out


def user_params(sections: dict[str, dict], name: str, namespace: str) -> dict[str, Any]:
    """Parameters of the user file that apply to node ``name`` in ``namespace``.

    Bare ``<node>:`` keys are read as ``/**/<node>:`` so that the file keeps applying
    under any namespace (what nav2's RewrittenYaml does for its root key).
    """
    ns = namespace.rstrip('/')
    own = (f'/**/{name}', name, f'{ns}/{name}' if ns else f'/{name}')
    out: dict[str, Any] = {}
    # The wildcard first: a node's own section wins over /**.
    for key in ('/**', '/**/', *own):
        out.update(sections.get(key, {}))
    return out
