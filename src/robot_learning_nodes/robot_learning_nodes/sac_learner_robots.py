# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 robot_learning maintainers
"""One robot's topics into the ``sac_learner``: subscriptions and message conversion.

:class:`RobotStream` subscribes to a robot's observation topics, its stamped action echo
and its ``episode`` statuses, converts each message to numpy with
:mod:`robot_learning.common.features`, assembles transitions with the core
(:class:`~robot_learning.data.transitions.TransitionPipeline` for the navigation robot,
:class:`~robot_learning.data.transitions.TransitionAssembler` for joint-space robots; the
same code the bag dataset uses) and hands them to the
:class:`~robot_learning.algos.sac.online.OnlineLearner`. Malformed input is dropped,
counted per reason and reported in one throttled line.

Observation kinds (``observation_type``):

* ``navigation``: ``observation/scan`` (lidar_ingest sectors), ``odom``, ``detections``,
  ``instruction``; action echo ``action`` (TwistStamped).
* ``joint_state``: ``joint_states`` (sensor_msgs/JointState, vector = position ‖ velocity ‖
  effort, ``vector_observation.dim`` long); action echo ``joint_action`` (JointState
  stamped with the observation it answers, command in joint units, mapped to [-1, 1] by
  ``joint_action.low``/``high``).

Every robot also sends its ``episode`` statuses (diagnostic_msgs/DiagnosticArray); the
learner publishes ``learner/progress`` and ``policy/weights`` under its namespace.

Interventions (navigation): ``intervention`` (std_msgs/Bool, reliable; parameter
``intervention_topic``, '' = not subscribed) flags whether a human drove the action echo
published just before it (policy_node's teleop takeover, the sim's supervising expert).
Each echo is paired with its flag (:mod:`.sac_learner_interventions`, by DDS source
timestamp) and the transition enters the learner as a human step (online and demo
buffer, HIL-SERL). A robot with no publisher on its intervention topic sends policy
steps only (its echoes are not held); an echo whose flag does not come within 0.5 s is a
policy step (``intervention_missing_<robot>``); a flag with no echo to pair is dropped,
counted (``dropped_intervention_unmatched``) and reported in a throttled error.
"""

from __future__ import annotations

from collections import deque
import time
from typing import Any

from diagnostic_msgs.msg import DiagnosticArray
from geometry_msgs.msg import PoseArray, TwistStamped
from nav_msgs.msg import Odometry
import numpy as np
from robot_learning.common.features import (
    command_from_joint_state,
    detections_from_msg,
    sectors_from_msg,
    stamp_us,
    step_info_from_msg,
    vector_from_joint_state,
    velocity_from_odom,
)
from robot_learning.data.transitions import (
    EpisodeTracker,
    TransitionAssembler,
    TransitionPipeline,
)
from robot_learning.errors import MessageError, RobotLearningError
from sensor_msgs.msg import JointState, LaserScan
from std_msgs.msg import Bool, String, UInt64, UInt8MultiArray

from .common import declare_once, DEEP_RELIABLE_QOS, LATCHED_QOS
from .sac_learner_interventions import InterventionPairing
from .sac_learner_params import topic


def intervention_topic(node: Any) -> str:
    """Return the ``intervention_topic`` parameter (declared by the first robot stream)."""
    return declare_once(
        node,
        'intervention_topic',
        'intervention',
        "std_msgs/Bool flag after each action echo (a human drove it), under each robot's "
        "namespace; '' = no interventions",
        read_only=True,
    )


class RateMeter:
    """Events per second of a growing counter, over windows of at least ``window_s``."""

    def __init__(self, count: int = 0, window_s: float = 1.0):
        self._mark = (time.monotonic(), count)
        self.window_s = window_s
        self.rate = 0.0

    def update(self, count: int) -> float:
        """Return the rate, renewed once a window has passed since the last renewal."""
        now = time.monotonic()
        t0, n0 = self._mark
        if now - t0 >= self.window_s:
            self.rate = (count - n0) / (now - t0)
            self._mark = (now, count)
        return self.rate


class RobotStream:
    """One robot's streams into the learner: subscriptions, assembler, episode tracker.

    Args:
        name: namespace prefix of its topics ('' = the learner's namespace, 'robot1'
            relative, '/robot1' absolute).
        node: the ``SacLearner`` node (its ``learner``, ``diag``, ``obs_cfg``/``act_cfg``,
            ``joint_observations`` and ``on_episode``).
    """

    def __init__(self, name: str, node: Any):
        self.name = name
        self.label = name.strip('/').replace('/', '_') or 'robot'
        self.node, self.learner = node, node.learner
        self.state = self.learner.robot(self.label)
        self.dropped: dict[str, int] = {}
        self.meter = RateMeter(self.state.transitions)
        self.joint_observations = node.joint_observations
        self.pairing: InterventionPairing | None = None
        self._released: deque[int] = deque(maxlen=16)  # stamps of the last action echoes
        self.repeats = 0  # action echoes of a stamp already taken
        if self.joint_observations:
            self.assembler = TransitionAssembler()  # joint echoes carry no intervention flag
        else:
            self.pipeline = TransitionPipeline(node.obs_cfg, node.act_cfg)
            flags = intervention_topic(node)
            if flags:
                self.pairing = InterventionPairing()
                self._flag_topic = topic(name, flags)
                self._flags_live, self._live_checked = False, -1e9
                node.create_timer(0.1, self.pairing.expire)
        self.tracker = EpisodeTracker(lambda rec: node.on_episode(self, rec))
        self.progress_pub = node.create_publisher(UInt64, topic(name, 'learner/progress'), 10)
        self.weights_pub = node.create_publisher(
            UInt8MultiArray, topic(name, 'policy/weights'), LATCHED_QOS
        )
        self._subscribe(node)

    @property
    def transitions(self) -> int:
        """Return the 1-step transitions received from this robot (across resumes)."""
        return self.state.transitions

    def drops(self) -> dict[str, int]:
        """Return dropped messages by reason (assembler's and this stream's)."""
        return {**({} if self.joint_observations else self.pipeline.dropped), **self.dropped}

    def diag_values(self) -> dict[str, int]:
        """Return this robot's human-step counts for diagnostics."""
        out = {f'human_steps_{self.label}': self.state.human_steps}
        if self.repeats:
            out[f'action_repeats_{self.label}'] = self.repeats
        if self.pairing is not None:
            out[f'intervention_missing_{self.label}'] = self.pairing.missing
        return out

    def drop(self, why: str, message: str | None = None) -> None:
        """Count one dropped input under ``why``; ``message``: a throttled error line."""
        self.dropped[why] = self.dropped.get(why, 0) + 1
        if message:
            self.node.diag.error(f'error_{why}', f'{self.label}: {message}')

    def _subscribe(self, node: Any) -> None:
        q, t = DEEP_RELIABLE_QOS, self.name
        sub = node.create_subscription
        if self.joint_observations:
            sub(JointState, topic(t, 'joint_states'), self._on_joint_state, q)
            sub(JointState, topic(t, 'joint_action'), self._on_joint_action, q)
        else:
            p = self.pipeline
            sub(
                LaserScan,
                topic(t, 'observation/scan'),
                lambda m: self._add(p.push_scan(stamp_us(m.header), sectors_from_msg(m))),
                q,
            )
            sub(
                Odometry,
                topic(t, 'odom'),
                lambda m: self._add(p.push_odom(stamp_us(m.header), velocity_from_odom(m))),
                q,
            )
            sub(PoseArray, topic(t, 'detections'), self._on_detections, q)
            sub(String, topic(t, 'instruction'), lambda m: p.push_instruction(m.data), LATCHED_QOS)
            sub(TwistStamped, topic(t, 'action'), self._on_action, q)
            if self.pairing is not None:
                sub(Bool, self._flag_topic, self._on_flag, q)
        sub(DiagnosticArray, topic(t, 'episode'), self._on_episode_msg, q)

    def _add(self, transitions) -> None:
        # The assemblers already drop non-finite actions, rewards and (navigation)
        # observations; the learner is the last gate before the buffer, for every kind.
        for _ in range(self.learner.add_transitions(self.label, transitions)):
            self.drop('nonfinite', 'non-finite transition dropped (observation, action or reward)')

    def _on_action(self, msg: TwistStamped, info: dict) -> None:
        stamp, v, w = stamp_us(msg.header), msg.twist.linear.x, msg.twist.angular.z

        def release(human: bool) -> None:
            # The first echo of a stamp is the command that stepped a lockstep sim (it takes
            # the first stamped answer); a later one (a resend's repeat, or the expert's
            # takeover answering a step the policy already answered) is not what happened.
            if stamp in self._released:
                self.repeats += 1
                return
            self._released.append(stamp)
            self._add(self.pipeline.push_action(stamp, v, w, human))

        if self.pairing is None or not self._expect_flags():
            release(False)
        else:
            self.pairing.action(info.get('source_timestamp', 0), release)

    def _expect_flags(self) -> bool:
        """Return whether this robot publishes intervention flags (checked once a second)."""
        now = time.monotonic()
        if not self._flags_live and now - self._live_checked >= 1.0:
            self._live_checked = now
            self._flags_live = self.node.count_publishers(self._flag_topic) > 0
        return self._flags_live

    def _on_flag(self, msg: Bool, info: dict) -> None:
        self._flags_live = True
        if not self.pairing.flag(info.get('source_timestamp', 0), bool(msg.data)):
            self.drop(
                'intervention_unmatched',
                'intervention flag with no action echo published before it: dropped',
            )

    def _on_detections(self, msg: PoseArray) -> None:
        try:
            det = detections_from_msg(msg)
        except (AttributeError, ValueError) as exc:
            self.drop('detections', f'malformed detections: {exc}')
            return
        self._add(self.pipeline.push_detections(stamp_us(msg.header), det))

    def _usable(self, kind: str, name: str, values, fits: bool, length_text) -> bool:
        """Return whether a joint message fits and is finite; else count and report it.

        ``length_text`` is a zero-argument callable: the line is built only on a drop, not
        for every message of a 100 Hz joint stream.
        """
        if not fits:
            self.drop(f'{kind}_length', f'{name} has {length_text()}')
            return False
        if not np.isfinite(values).all():
            self.drop(f'nonfinite_{kind}', f'{name} has non-finite values: dropped')
            return False
        return True

    def _on_joint_state(self, msg: JointState) -> None:
        vec = vector_from_joint_state(msg)
        dim = self.node.obs_cfg.dim

        def text():
            return (
                f'{vec.size} values (position+velocity+effort), expected {dim} '
                '(vector_observation.dim)'
            )

        if self._usable('observation', 'joint_states', vec, vec.size == dim, text):
            self._add(
                self.assembler.add_observation(stamp_us(msg.header), vec.astype(np.float32))
            )

    def _on_joint_action(self, msg: JointState) -> None:
        command = command_from_joint_state(msg)
        act_cfg = self.node.act_cfg
        try:
            action = act_cfg.from_command(command)
        except MessageError:
            action = None

        def text():
            return (
                f'{command.size} values, expected {act_cfg.dim} (joint_action.low/high): '
                'rejected'
            )

        if self._usable('action', 'joint_action', command, action is not None, text):
            self._add(self.assembler.add_action(stamp_us(msg.header), action))

    def _on_episode_msg(self, msg: DiagnosticArray) -> None:
        try:
            info = step_info_from_msg(msg)
        except RobotLearningError as exc:
            self.drop('episode_msg', str(exc))
            return
        if not np.isfinite(info.reward):
            self.drop(
                'nonfinite_reward',
                f'non-finite reward at step {info.step} of episode {info.episode}: '
                'transition dropped',
            )
        elif self.joint_observations:
            self._add(self.assembler.add_step(info))
        else:
            self._add(self.pipeline.push_step(info))
        self.tracker.add_step(info)
