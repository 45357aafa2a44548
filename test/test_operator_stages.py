# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 robot_learning maintainers
"""The demo operator between stages: the previous stage's sim must not leak into the next.

The CI hang of issue 9: ``robot-learning demo``'s intervention stage follows the BC
evaluation, whose lockstep sim steps as fast as the policy answers. Statuses that sim
published just before it was stopped could still sit in the operator's reader when the
next stage called ``reset_counts()``; processed afterwards, they set the operator's
newest stamp to the old sim's clock, so every status of the fresh sim (its clock restarts
at 0) was dropped as a resend. The intervention episode ended unseen, the sim
(``autoreset: false``) resent its terminal step waiting for a reset that never came, and
the stage timed out after 180 s. The same symptom followed when the fresh sim's episode
ended at the very (episode, stamp) an episode of the previous stage had ended at: the
operator still remembered it as seen. Here the operator's executor is held while the old
sim publishes, released only after ``reset_counts()``: exactly that order,
deterministically.
"""

import subprocess
import sys
import threading
import time

import pytest

rclpy = pytest.importorskip('rclpy')

from builtin_interfaces.msg import Time  # noqa: E402, I100
from diagnostic_msgs.msg import DiagnosticArray  # noqa: E402
from rclpy.executors import SingleThreadedExecutor  # noqa: E402
from robot_learning_bringup.demo_operator import Operator  # noqa: E402
from robot_learning_nodes.common import DEEP_RELIABLE_QOS  # noqa: E402
from robot_learning_sim.episode_status import EpisodeStatus  # noqa: E402


def _stamp(t: float) -> Time:
    return Time(sec=int(t), nanosec=int(round((t - int(t)) * 1e9)))


def _episode(status: EpisodeStatus, episode: int, t0: float, steps: int) -> None:
    """Publish one episode: step 0 at ``t0``, one step per 0.1 s, the last one truncated."""
    status.new_episode()
    for k in range(steps + 1):
        last = k == steps
        status.publish(
            _stamp(t0 + 0.1 * k), 0.0, False, last, 'timeout' if last else 'running',
            episode, k, 0.0, 'go to the red pillar',
        )


def _spin_until(ex, pred, timeout: float) -> None:
    end = time.monotonic() + timeout
    while not pred():
        assert time.monotonic() < end, 'timed out'
        ex.spin_once(timeout_sec=0.02)


def test_statuses_of_the_previous_stage_are_not_counted_after_reset_counts():
    op = Operator()
    helpers = []
    try:
        entered, release = threading.Event(), threading.Event()

        def hold_the_operator():  # runs in the operator's executor thread and blocks it
            entered.set()
            release.wait(30.0)

        ex = SingleThreadedExecutor()
        old = rclpy.create_node('sim_node', namespace='/')
        probe = rclpy.create_node('status_probe')
        seen = []
        probe.create_subscription(
            DiagnosticArray, 'episode', lambda m: seen.append(m), DEEP_RELIABLE_QOS
        )
        helpers += [old, probe]
        for n in helpers:
            ex.add_node(n)
        old_status = EpisodeStatus(old)
        _spin_until(ex, lambda: old.count_subscribers('episode') >= 2, 10.0)
        # The previous stage, seen as it ran: its episode 1 ended at 0.4 s...
        _episode(old_status, 1, 0.1, 3)
        _spin_until(ex, lambda: any(r.episode == 1 for r in op.records), 10.0)
        timer = op.node.create_timer(0.01, hold_the_operator)
        assert entered.wait(10.0)
        timer.cancel()
        # ...and its last statuses (episode 3, its clock at 500 s) are still queued.
        _episode(old_status, 3, 500.0, 5)
        _spin_until(ex, lambda: len(seen) == 10, 10.0)  # delivered (to the operator too)
        old.destroy_node()
        helpers.remove(old)
        op.reset_counts()  # the next stage starts...
        release.set()  # ...before the operator got to the old statuses
        new = rclpy.create_node('sim_node', namespace='/')
        helpers.append(new)
        ex.add_node(new)
        new_status = EpisodeStatus(new)
        _spin_until(ex, lambda: new.count_subscribers('episode') >= 2, 10.0)
        # The fresh sim: clock from 0, its episode 1 ending at the same stamp as the old one.
        _episode(new_status, 1, 0.1, 3)
        _spin_until(ex, lambda: any(r.episode == 1 for r in op.records), 10.0)
        assert [r.episode for r in op.records] == [1], op.records
        assert op.steps == 3
    finally:
        for n in helpers:
            n.destroy_node()
        op.close()


def test_a_process_that_closes_the_operator_exits_cleanly():
    # Closing used to leave the spin thread inside rclpy's wait when the interpreter
    # exited: every `robot-learning demo` ended in "terminate called without an active
    # exception" (exit code 134) after its metrics were written.
    code = (
        'from robot_learning_bringup.demo_operator import Operator\n'
        'op = Operator()\n'
        'op.close()\n'
        'assert not op._thread.is_alive()\n'
    )
    for _ in range(3):
        r = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True,
                           timeout=60)
        assert r.returncode == 0, r.stderr
