# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 robot_learning maintainers
"""The body of every node's console script: build, spin, close, exit without teardown."""

from __future__ import annotations

import faulthandler
import os
import re
import signal
import sys

import rclpy
from rclpy.exceptions import ParameterException
from rclpy.executors import ExternalShutdownException
from robot_learning.errors import RobotLearningError

from .params import parameter_error


def spin_node(node_cls: type, args=None) -> None:
    """Body of every node's console script (``main``), the same for all of them.

    Initialises rclpy, builds ``node_cls()``, spins until Ctrl-C or shutdown, then calls
    the node's ``close()`` if it has one (the recorder closes its bag, the learner writes
    its last checkpoint) and destroys it. A ``RobotLearningError`` while building the node
    (bad parameter, missing bag or checkpoint) exits with code 2 and one line; so does a
    bad value of a parameter rclpy itself declares (``use_sim_time:=abc``) and arguments
    rcl cannot parse (a ``-p`` value that is not YAML, a missing parameter file).
    """
    # rclpy's handler (installed by init, chaining to the one set here) shuts the context
    # down and wakes the executor, which is the whole stop. Python's default handler would
    # also raise KeyboardInterrupt wherever the main thread is; inside a finalizer
    # (rclpy Task.__del__) that prints a traceback that launch reports as a crash.
    signal.signal(signal.SIGINT, lambda *_: _watch_stop())
    try:
        rclpy.init(args=args)
    except RuntimeError as exc:  # rcl's RCLError: arguments it cannot parse (a -p value)
        print(f'{node_cls.__name__}: {_rcl_reason(exc)}', file=sys.stderr)
        raise SystemExit(2) from None
    try:
        node = node_cls()
    except (RobotLearningError, ParameterException) as exc:
        if isinstance(exc, ParameterException):
            # rclpy's own parameters (use_sim_time) are declared in Node.__init__.
            name = str(exc).rsplit(': ', 1)[-1]
            exc = parameter_error(_node_name(node_cls), name, exc)
        print(f'{node_cls.__name__}: {exc}', file=sys.stderr)
        rclpy.try_shutdown()
        raise SystemExit(2) from None
    except Exception:
        if rclpy.ok():
            raise
        exit_now()  # stopped while starting (the context went away under the node): quiet
    try:
        rclpy.spin(node)
    except (KeyboardInterrupt, ExternalShutdownException):
        pass
    except Exception:
        # A shutdown signal can invalidate a subscription's handle while the executor
        # takes its message (rclpy raises RuntimeError): that is the stop, not a fault.
        if rclpy.ok():
            raise
    finally:
        _watch_stop()
        close = getattr(node, 'close', None)
        if callable(close):
            close()
        node.destroy_node()
        rclpy.try_shutdown()
    exit_now()


#: A stop that takes longer than this dumps every thread's stack to stderr (s): launch
#: escalates to SIGTERM after 5 s, so a node stuck in its teardown says where, first.
STOP_WATCHDOG_S = 4.0


def _watch_stop() -> None:
    # faulthandler's watchdog is a C thread: it reports even while the main thread is
    # blocked inside rcl/DDS, where no Python signal handler can run.
    faulthandler.dump_traceback_later(STOP_WATCHDOG_S, exit=False)


def _rcl_reason(exc: Exception) -> str:
    # rcl appends the C source locations (", at /path/parse.c:965"): nothing a user fixes.
    reason = re.sub(r', at \S+:\d+', '', str(exc))
    if 'parameter override' in reason:
        reason += ' (fix the -p value: it must be YAML, quote text with special characters)'
    return reason


def _node_name(node_cls: type) -> str:
    # CamelCase class -> the snake_case name its nodes take (CameraIngest -> camera_ingest).
    out = ''.join(f'_{c.lower()}' if c.isupper() else c for c in node_cls.__name__)
    return out.lstrip('_')


def exit_now(code: int = 0) -> None:
    """Flush stdio and end the process without interpreter teardown.

    Everything is closed by now (bags, checkpoints, TensorBoard, the node); tearing down an
    interpreter that loaded torch takes 2-6 s on a busy 2-core machine (module garbage
    collection), past the 5 s after which ``launch`` escalates SIGINT to SIGTERM.
    """
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            pass
    os._exit(code)
