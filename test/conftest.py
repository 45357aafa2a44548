# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 robot_learning maintainers
"""System tests: real nodes over real topics, each test on a DDS domain of its own.

One domain per test, not per pytest process: a process an earlier test left behind (or
one still shutting down) publishes on the same topic names as the next test's nodes, and
a policy node that takes a stray learner's weights fails that test for a reason that is
not its own. After each test, any process it started that is still alive is killed and
named in a warning.
"""

import os
import signal
import warnings

from launch_support import fresh_domain
import pytest

# Before any rclpy import: rclpy.init() reads ROS_DOMAIN_ID at every init, and the child
# processes a test starts inherit os.environ.
os.environ.setdefault('ROS_AUTOMATIC_DISCOVERY_RANGE', 'LOCALHOST')
os.environ.setdefault('MUJOCO_GL', 'egl')
os.environ['ROS_DOMAIN_ID'] = str(fresh_domain())


def _descendants(pid: int) -> list[int]:
    """Return the pids of every live descendant of ``pid`` (Linux /proc; [] elsewhere)."""
    children: dict[int, list[int]] = {}
    try:
        entries = os.listdir('/proc')
    except OSError:
        return []
    for entry in entries:
        if not entry.isdigit():
            continue
        try:
            with open(f'/proc/{entry}/stat') as f:
                stat = f.read()
        except OSError:
            continue
        # Field 4 is the ppid; the command name (field 2) may hold spaces and parentheses.
        fields = stat.rsplit(')', 1)[-1].split()
        if fields and fields[0] != 'Z':
            children.setdefault(int(fields[1]), []).append(int(entry))
    out, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            out.append(child)
            todo.append(child)
    return out


def _cmdline(pid: int) -> str:
    try:
        with open(f'/proc/{pid}/cmdline', 'rb') as f:
            return f.read().replace(b'\0', b' ').decode(errors='replace').strip()[:120]
    except OSError:
        return '?'


@pytest.fixture
def observer():
    """Yield an rclpy node of the test's own (``system_test_observer``), on its domain."""
    import rclpy

    rclpy.init()
    node = rclpy.create_node('system_test_observer')
    yield node
    node.destroy_node()
    rclpy.shutdown()


@pytest.fixture(autouse=True)
def own_dds_domain():
    """Give the test a fresh ROS_DOMAIN_ID; afterwards kill what it left running."""
    os.environ['ROS_DOMAIN_ID'] = str(fresh_domain())
    yield
    left = _descendants(os.getpid())
    if left:
        names = [f'{pid} ({_cmdline(pid)})' for pid in left]
        for pid in left:
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        warnings.warn(f'the test left {len(left)} processes running, killed: {names}')
