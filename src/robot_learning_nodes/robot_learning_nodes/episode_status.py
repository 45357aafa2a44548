# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 robot_learning maintainers
"""The per-step ``/clock`` and ``episode`` messages (docs/interfaces.md).

``sim_node`` and ``gym_bridge`` open every step with the same two messages, both stamped
with the step's sim time: ``/clock`` (rosgraph_msgs/Clock) and ``episode``
(diagnostic_msgs/DiagnosticArray, reliable depth 100) holding one status named
``episode`` whose message is running|success|failure|timeout and whose values are
:data:`EPISODE_KEYS`. The step-0 status of each episode has reward 0 and prev_stamp -1.
``task_node`` publishes the same ``episode`` status without ``/clock`` (the robot or the
simulator owns time), so the learner cannot tell the two sources apart.
"""

from __future__ import annotations

from diagnostic_msgs.msg import DiagnosticArray, DiagnosticStatus, KeyValue
from rclpy.node import Node
from rclpy.qos import HistoryPolicy, QoSProfile, ReliabilityPolicy
from robot_learning_nodes.common import stamp_to_s
from rosgraph_msgs.msg import Clock as ClockMsg

#: ``episode`` events: reliable and deep, a learner busy with a gradient step loses none.
EPISODE_QOS = QoSProfile(
    history=HistoryPolicy.KEEP_LAST, depth=100, reliability=ReliabilityPolicy.RELIABLE
)
CLOCK_QOS = QoSProfile(
    history=HistoryPolicy.KEEP_LAST, depth=10, reliability=ReliabilityPolicy.RELIABLE
)

#: Values of the ``episode`` status, in this order.
EPISODE_KEYS = (
    'reward',
    'terminated',
    'truncated',
    'episode',
    'step',
    'return',
    'instruction',
    'prev_stamp',
)


def stamp_key(stamp) -> tuple[int, int]:
    """Stamp -> (sec, microseconds): what survives the policy node's microsecond stamps."""
    return stamp.sec, (stamp.nanosec + 500) // 1000


def stamp_str(stamp) -> str:
    """``prev_stamp`` text: ``float(text) == stamp_to_s(stamp)`` exactly (repr round-trips)."""
    return repr(stamp_to_s(stamp))


class EpisodeStatus:
    """Publishes ``/clock`` and ``episode`` for one step; pre-allocated, refilled per step.

    Args:
        node: owner of the two publishers; its name is the status' ``hardware_id``.
        clock: also publish ``/clock`` (False: ``episode`` only, for ``task_node``).
        episode: also publish ``episode`` (False: ``/clock`` only, for a ``sim_node``
            whose episodes come from ``task_node``).
    """

    def __init__(self, node: Node, clock: bool = True, episode: bool = True):
        self._pub_clock = (
            node.create_publisher(ClockMsg, '/clock', CLOCK_QOS) if clock else None
        )
        self._pub_episode = (
            node.create_publisher(DiagnosticArray, 'episode', EPISODE_QOS) if episode else None
        )
        self._clock = ClockMsg()
        self._kv = {k: KeyValue(key=k, value='') for k in EPISODE_KEYS}
        st = self._status = DiagnosticStatus(name='episode', hardware_id=node.get_name())
        st.values = [self._kv[k] for k in EPISODE_KEYS]
        self._msg = DiagnosticArray(status=[st])
        self.prev_stamp = None  # stamp of the previously published step of this episode

    def new_episode(self) -> None:
        """Forget the previous step: the next one is published with prev_stamp -1."""
        self.prev_stamp = None

    def publish(
        self,
        stamp,
        reward: float,
        terminated: bool,
        truncated: bool,
        outcome: str,
        episode: int,
        step: int,
        episode_return: float,
        instruction: str,
    ) -> None:
        """Publish ``/clock`` and the ``episode`` status of the step stamped ``stamp``."""
        self._clock.clock = stamp
        if self._pub_clock is not None:
            self._pub_clock.publish(self._clock)
        if self._pub_episode is None:
            return
        kv = self._kv
        kv['reward'].value = repr(float(reward))
        kv['terminated'].value = '1' if terminated else '0'
        kv['truncated'].value = '1' if truncated else '0'
        kv['episode'].value = str(episode)
        kv['step'].value = str(step)
        kv['return'].value = repr(float(episode_return))
        kv['instruction'].value = instruction
        kv['prev_stamp'].value = '-1' if self.prev_stamp is None else stamp_str(self.prev_stamp)
        st = self._status
        st.message = outcome
        st.level = (
            DiagnosticStatus.OK if outcome in ('running', 'success') else DiagnosticStatus.WARN
        )
        self._msg.header.stamp = stamp
        self._pub_episode.publish(self._msg)
        self.prev_stamp = stamp

    def republish(self) -> None:
        """Publish the last step's two messages again, unchanged (a lockstep resend)."""
        if self._pub_clock is not None:
            self._pub_clock.publish(self._clock)
        if self._pub_episode is not None:
            self._pub_episode.publish(self._msg)
