# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 robot_learning maintainers
"""Shared helpers for the thin rclpy nodes, importable from one place.

Each lives in a module of its own; this one re-exports their public names, which the
nodes, the simulator package, bringup, the tests and the benches import:

- :mod:`.qos`: ``SENSOR_QOS``, ``SENSOR_PUB_QOS``, ``COMMAND_QOS``,
  ``DEEP_RELIABLE_QOS``, ``LATCHED_QOS``.
- :mod:`.params`: :func:`declare` (descriptors and ranges), :func:`declare_dataclass`,
  :func:`declare_once`, :func:`one_of`, :func:`live_parameters`, :func:`pending`,
  :func:`parameter_error`.
- :mod:`.diagnostics`: :class:`Diagnostics` (per-task status on ``/diagnostics``).
- :mod:`.spin`: :func:`spin_node` (every console script's body), :func:`exit_now`.
- :mod:`.stamps`: :func:`stamp_to_s`, :func:`s_to_stamp`.
"""

from .diagnostics import Diagnostics
from .params import (
    declare,
    declare_dataclass,
    declare_once,
    live_parameters,
    one_of,
    parameter_error,
    pending,
)
from .qos import COMMAND_QOS, DEEP_RELIABLE_QOS, LATCHED_QOS, SENSOR_PUB_QOS, SENSOR_QOS
from .spin import exit_now, spin_node
from .stamps import s_to_stamp, stamp_to_s

__all__ = [
    'COMMAND_QOS',
    'DEEP_RELIABLE_QOS',
    'declare',
    'declare_dataclass',
    'declare_once',
    'Diagnostics',
    'exit_now',
    'LATCHED_QOS',
    'live_parameters',
    'one_of',
    'parameter_error',
    'pending',
    's_to_stamp',
    'SENSOR_PUB_QOS',
    'SENSOR_QOS',
    'spin_node',
    'stamp_to_s',
]
