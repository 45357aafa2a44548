# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 robot_learning maintainers
"""Typed node parameters with descriptors, ranges and live updates.

Every node declares its parameters through :func:`declare` (one descriptor, a numeric
range rclpy enforces) and registers the few it applies live with
:func:`live_parameters`; every other one is read-only. A bad start-up value ends in
:class:`~robot_learning.errors.ConfigError` with one line, which
:func:`~robot_learning_nodes.spin.spin_node` prints before exiting with code 2.
"""

from __future__ import annotations

import copy
import dataclasses
import math
from typing import Any, Callable

from rcl_interfaces.msg import (
    FloatingPointRange,
    IntegerRange,
    ParameterDescriptor,
    SetParametersResult,
)
from rclpy.exceptions import ParameterException
from rclpy.node import Node
from robot_learning.errors import ConfigError


def parameter_error(node_name: str, name: str, exc: Exception) -> ConfigError:
    """Turn rclpy's exception about parameter ``name`` into a one-line ``ConfigError``.

    Args:
        node_name: the node's name, which starts the line.
        name: the parameter.
        exc: what rclpy raised (``ParameterException`` and its subclasses: out of range,
            wrong type, read-only).

    Returns:
        The error to raise (``from None``: the rclpy frames say nothing to a user).
    """
    reason = str(exc.args[0] if exc.args else exc)
    if 'Reason: ' in reason:
        reason = reason.split('Reason: ', 1)[1]
    reason = reason.removesuffix(f': {name}')
    return ConfigError(
        f'{node_name}: parameter {name}: {reason} (fix the parameter file or the -p value)'
    )


def one_of(node: Node, name: str, value: str, allowed: tuple[str, ...] | list[str]) -> str:
    """Return ``value`` if it is one of ``allowed`` (an enumerated string parameter).

    Raises:
        ConfigError: it is not (one line naming the node, the parameter and the choices).
    """
    if value not in allowed:
        raise ConfigError(f'{node.get_name()}: {name} {value!r} must be one of {list(allowed)}')
    return value


def declare(
    node: Node,
    name: str,
    default: Any,
    description: str,
    read_only: bool = False,
    min_value: float | None = None,
    max_value: float | None = None,
    step: float | None = None,
) -> Any:
    """Declare one parameter with a descriptor (and a numeric range) and return its value.

    A range becomes the descriptor's ``FloatingPointRange`` (float default) or
    ``IntegerRange`` (int default), which ``ros2 param describe`` shows and rclpy enforces
    on every set. A value from a parameter file or ``-p`` that is out of range or of the
    wrong type raises :class:`~robot_learning.errors.ConfigError` with one line
    (``spin_node`` turns it into exit code 2).

    Args:
        node: the node that owns the parameter.
        name: parameter name.
        default: default value; its type fixes the parameter type.
        description: one line shown by ``ros2 param describe``.
        read_only: whether it is fixed at start-up (rclpy refuses a later set with a
            reason). Parameters applied live are registered with :func:`live_parameters`.
        min_value: lowest allowed value (inclusive); None: unbounded below.
        max_value: highest allowed value (inclusive); None: unbounded above.
        step: allowed increment from ``min_value``; None: any value.

    Returns:
        The parameter's value after overrides.

    Raises:
        ConfigError: the start-up value is out of range or of the wrong type.
    """
    desc = ParameterDescriptor(description=description, read_only=read_only)
    if min_value is not None or max_value is not None:
        if isinstance(default, bool) or not isinstance(default, (int, float)):
            raise TypeError(f'parameter {name}: a range needs an int or float default')
        if isinstance(default, float):
            lo = -math.inf if min_value is None else float(min_value)
            hi = math.inf if max_value is None else float(max_value)
            desc.floating_point_range = [
                FloatingPointRange(from_value=lo, to_value=hi, step=float(step or 0.0))
            ]
        else:
            lo = -(2**63) if min_value is None else int(min_value)
            hi = 2**63 - 1 if max_value is None else int(max_value)
            desc.integer_range = [IntegerRange(from_value=lo, to_value=hi, step=int(step or 0))]
        desc.description = f'{description} [{_fmt_range(min_value, max_value)}]'
    try:
        return node.declare_parameter(name, default, desc).value
    except ParameterException as exc:
        raise parameter_error(node.get_name(), name, exc) from None


def _fmt_range(lo: float | None, hi: float | None) -> str:
    return f'{"-inf" if lo is None else lo}..{"inf" if hi is None else hi}'


def declare_dataclass(
    node: Node,
    cfg_type: type,
    prefix: str = '',
    docs: dict[str, str] | None = None,
    skip: tuple = (),
    ranges: dict[str, tuple[float | None, float | None]] | None = None,
    read_only: bool = False,
    **fixed: Any,
) -> Any:
    """Declare one parameter per field of a config dataclass and build the config.

    Field defaults become parameter defaults; tuples/lists become arrays. ``docs`` maps a
    field name to its description (defaults to the field name); ``ranges`` maps a field
    name to ``(min, max)`` (either may be None). Fields in ``skip``, fields without a
    default and fields defaulting to None or an empty sequence are not declared;
    ``fixed`` supplies values that are not parameters (e.g. obs_dim). ``read_only``
    applies to every declared field (a config built once at start-up cannot follow a
    later set).

    Returns:
        An instance of ``cfg_type`` filled from the node's parameters.

    Raises:
        ConfigError: a start-up value is out of range or of the wrong type, or the
            dataclass itself rejects the values.
    """
    docs = docs or {}
    ranges = ranges or {}
    values = {}
    for f in dataclasses.fields(cfg_type):
        if not f.init or f.name in skip:
            continue
        if f.default is not dataclasses.MISSING:
            default = f.default
        elif f.default_factory is not dataclasses.MISSING:  # type: ignore[misc]
            default = f.default_factory()  # type: ignore[misc]
        else:
            continue
        if default is None or (isinstance(default, (tuple, list)) and not default):
            continue  # ROS parameters cannot express None or an untyped empty array
        as_list = isinstance(default, tuple)
        lo, hi = ranges.get(f.name, (None, None))
        value = declare(
            node,
            prefix + f.name,
            list(default) if as_list else default,
            docs.get(f.name, f.name),
            read_only=read_only,
            min_value=lo,
            max_value=hi,
        )
        values[f.name] = tuple(value) if as_list else value
    try:
        return cfg_type(**values, **fixed)
    except ConfigError:
        raise
    except (TypeError, ValueError) as exc:
        raise ConfigError(f'{node.get_name()}: parameters {prefix}*: {exc}') from None


#: Parameters some other part of rclpy applies live (TimeSource's own callback).
_RCLPY_LIVE = frozenset({'use_sim_time'})


def live_parameters(
    node: Node, appliers: dict[str, Callable[[Any], None]], lock_others: bool = True
) -> None:
    """Apply sets of the named parameters live; make every other parameter read-only.

    Call it once at the end of a node's ``__init__``, after every ``declare``. A set
    (``ros2 param set``, the SetParameters service) of a parameter in ``appliers`` is
    first checked by rclpy against the descriptor (type, range), then
    ``appliers[name](new_value)`` runs; if it raises ``ConfigError``, ``ValueError`` or
    ``TypeError`` the set is refused with that reason and the parameters of the same
    request already applied are applied again with their old values, so nothing
    changes. With ``lock_others`` every other declared parameter (but ``use_sim_time``,
    which rclpy applies itself) gets ``read_only`` on its descriptor, so rclpy refuses
    it with a reason: a set never "succeeds" without effect. Once locked, a parameter
    declared later and not read-only is refused by the callback, also with a reason.

    Calls accumulate: a second call (or :class:`Diagnostics`, with ``lock_others=False``)
    adds appliers to the same single callback.

    Args:
        node: the node.
        appliers: parameter name -> function taking the new value (already type- and
            range-checked); it raises before changing anything when the value is unusable.
        lock_others: make every declared parameter not in any applier read-only.

    Raises:
        RuntimeError: a name in ``appliers`` is not declared or already read-only.
    """
    registry = getattr(node, '_rl_live_appliers', None)
    if registry is None:
        registry = {}
        node._rl_live_appliers = registry
        node.add_on_set_parameters_callback(lambda params: _on_set(node, registry, params))
    for name in appliers:
        if not node.has_parameter(name):
            raise RuntimeError(f'live parameter {name} is not declared')
        if node.describe_parameter(name).read_only:
            raise RuntimeError(f'live parameter {name} is declared read_only')
    registry.update(appliers)
    if not lock_others:
        return
    node._rl_locked = True
    for name in list(node._parameters):  # noqa: SLF001 (rclpy has no public listing of names)
        if name in registry or name in _RCLPY_LIVE:
            continue
        desc = node.describe_parameter(name)
        if desc.read_only:
            continue
        locked = copy.deepcopy(desc)
        locked.read_only = True
        node.set_descriptor(name, locked)


def _on_set(node: Node, registry: dict, params: list) -> SetParametersResult:
    todo = []
    for p in params:
        if not node.has_parameter(p.name):
            continue  # being declared: its value is read by the node itself
        if p.name in _RCLPY_LIVE:
            continue
        if p.name not in registry:
            if not getattr(node, '_rl_locked', False):
                continue  # not locked yet: a callback of the node's own may apply it
            return SetParametersResult(
                successful=False,
                reason=f'{p.name} is fixed at start-up: restart the node with the new value',
            )
        todo.append((p.name, node.get_parameter(p.name).value, p.value))
    node._rl_pending = {name: new for name, _, new in todo}
    applied: list[tuple[str, Any]] = []
    try:
        for name, old, new in todo:
            try:
                registry[name](new)
            except (ConfigError, ValueError, TypeError) as exc:
                node._rl_pending = {n: o for n, o, _ in todo}
                for n, o in reversed(applied):
                    registry[n](o)
                return SetParametersResult(successful=False, reason=f'{name}: {exc}')
            applied.append((name, old))
    finally:
        node._rl_pending = {}
    for name, old, new in todo:
        node.get_logger().info(f'{name}: {old} -> {new} (live)')
    return SetParametersResult(successful=True)


def pending(node: Node, name: str) -> Any:
    """Return the value parameter ``name`` is about to take, else its current value.

    For appliers of :func:`live_parameters` that check one parameter against another
    (``depth_max > depth_min``): when both are set in one request, each applier sees the
    other's new value.
    """
    values = getattr(node, '_rl_pending', None) or {}
    if name in values:
        return values[name]
    return node.get_parameter(name).value


def declare_once(node: Node, name: str, default: Any, description: str, **kw: Any) -> Any:
    """Declare ``name`` like :func:`declare` unless declared already; return its value.

    For parameters several helpers of one node share (``diagnostics.*``).
    """
    if node.has_parameter(name):
        return node.get_parameter(name).value
    return declare(node, name, default, description, **kw)
