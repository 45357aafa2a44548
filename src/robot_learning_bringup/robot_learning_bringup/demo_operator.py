# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 robot_learning maintainers
"""The demo operator: an in-process node that does what a person at the keyboard would.

It counts lockstep steps and finished episodes from the sims' ``episode`` statuses,
presses gamepad buttons (``Operator.pad``, :mod:`.demo_gamepad`: Joy to the profile's
``operator_node``, which calls the recorder: start, label and stop an episode) and calls the
sim's and the learner's std_srvs services (reset; save a checkpoint). :mod:`.demo_stages`
drive it, one stage after another, against fresh child processes each time.
"""

from __future__ import annotations

import os
import random
import threading
import time

from robot_learning.data.transitions import EpisodeRecord, EpisodeTracker
from robot_learning.errors import RobotLearningError

__all__ = ['Operator', 'StageError', 'isolate_ros_graph']


class StageError(RobotLearningError):
    """A demo stage could not complete (a process died, a service never appeared)."""


class Operator:
    """In-process rclpy node: watches ``episode``, presses the gamepad, calls sim / learner."""

    def __init__(self):
        from diagnostic_msgs.msg import DiagnosticArray
        import rclpy
        from rclpy.executors import SingleThreadedExecutor
        from robot_learning_nodes.qos import DEEP_RELIABLE_QOS
        from std_srvs.srv import Trigger

        rclpy.init()
        self.node = rclpy.create_node(
            'demo_operator',
            parameter_overrides=[rclpy.parameter.Parameter('use_sim_time', value=False)],
        )
        self._lock = threading.Lock()
        self.steps = 0
        self._episodes = EpisodeTracker()
        self._last_stamp = -1
        # Wall time (ns) of the last reset_counts(): statuses published before it belong to
        # an earlier stage's sim, even when this node only processes them afterwards.
        self._since_ns = 0
        self.node.create_subscription(
            DiagnosticArray, 'episode', self._on_episode, DEEP_RELIABLE_QOS
        )
        self.clients = {
            'reset': self.node.create_client(Trigger, 'sim/reset'),
            'save': self.node.create_client(Trigger, 'learner/save_checkpoint'),
        }
        self._Trigger = Trigger
        from .demo_gamepad import Gamepad

        #: the gamepad of the recording stages (Joy -> operator_node -> recorder).
        self.pad = Gamepad(self.node)
        self._ex = SingleThreadedExecutor()
        self._ex.add_node(self.node)
        self._thread = threading.Thread(target=self._spin, daemon=True)
        self._thread.start()

    def _spin(self):
        try:
            self._ex.spin()
        except Exception:  # executor stops at shutdown
            pass

    def _on_episode(self, msg, sent) -> None:
        from robot_learning.common.features import step_info_from_msg

        try:
            info = step_info_from_msg(msg)
        except RobotLearningError:
            return
        with self._lock:
            if 0 < sent.get('source_timestamp', 0) < self._since_ns:
                # Queued from the previous stage's sim (its clock ran further): counted, its
                # stamp would hide every status of the fresh sim, whose clock starts at 0.
                return
            if info.stamp <= self._last_stamp:
                return  # a lockstep resend of a step already counted
            self._last_stamp = info.stamp
            if info.prev_stamp >= 0:
                self.steps += 1
            self._episodes.add_step(info)

    @property
    def records(self) -> list[EpisodeRecord]:
        """Finished episodes since the last :meth:`reset_counts`, each once, as they ended."""
        return self._episodes.records

    def reset_counts(self) -> None:
        """Forget steps and episodes: the next stage's sim starts its clock at 0."""
        with self._lock:
            self._since_ns = time.time_ns()
            self.steps = 0
            self._last_stamp = -1
            # A fresh sim restarts clock and episode ids: its episode 1 may end at the very
            # stamp the previous stage's episode 1 did, and must still be seen.
            self._episodes = EpisodeTracker()

    def call(self, name: str, timeout: float = 30.0) -> str:
        """Call a Trigger service; returns its message. Raises StageError if it never answers."""
        cli = self.clients[name]
        if not cli.wait_for_service(timeout_sec=timeout):
            raise StageError(
                f'service {cli.srv_name} did not appear within {timeout:.0f} s (see logs/)'
            )
        fut = cli.call_async(self._Trigger.Request())
        t0 = time.monotonic()
        while not fut.done():
            if time.monotonic() - t0 > timeout:
                raise StageError(f'service {cli.srv_name} did not answer within {timeout:.0f} s')
            time.sleep(0.002)
        res = fut.result()
        if not res.success:
            raise StageError(f'{cli.srv_name} failed: {res.message}')
        return res.message

    def close(self) -> None:
        """Stop the executor, destroy the node, shut rclpy down."""
        import rclpy

        self._ex.shutdown(timeout_sec=1.0)
        # The spin thread must be out of rclpy's wait before the node and the context go:
        # a daemon thread still inside it at interpreter exit aborts the process
        # ("terminate called without an active exception", exit code 134).
        self._thread.join(timeout=5.0)
        self.node.destroy_node()
        rclpy.try_shutdown()


def isolate_ros_graph() -> None:
    """Run on a private DDS domain (unless ``ROS_DOMAIN_ID`` is set), localhost only."""
    # A private DDS domain: the demo must not hear (or disturb) other robots on the LAN.
    if 'ROS_DOMAIN_ID' not in os.environ:
        os.environ['ROS_DOMAIN_ID'] = str(random.randint(120, 200))
    os.environ.setdefault('ROS_AUTOMATIC_DISCOVERY_RANGE', 'LOCALHOST')
    os.environ.setdefault('MUJOCO_GL', 'egl')
