# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 robot_learning maintainers
"""``task_node``: episodes, rewards and resets from sources a real robot has.

What ``sim_node`` publishes for learning, computed without the simulator's state
(docs/interfaces.md, Task node). Logic (task YAML, rewards, episode ends):
:mod:`robot_learning.task`; parameters: :mod:`.task_node_params`; inputs: :mod:`.task_goals`.

Subscribes: ``odom`` (nav_msgs/Odometry) or ``pose`` (geometry_msgs/PoseWithCovarianceStamped)
per ``pose_source``; each topic goal's geometry_msgs/PoseStamped (latched; the task file
names it, ``sim/objects/<colour>`` in the built-in sim); ``observation/scan``
(sensor_msgs/LaserScan, lidar_ingest sectors) and ``observation/image`` (sensor_msgs/Image
rgb8, camera_ingest; with a classifier), sensor-data QoS.

Publishes: ``instruction`` (std_msgs/String, latched) when the next goal is drawn; per
trigger message (``trigger``: ``observation/scan`` by default) one ``episode`` status
(diagnostic_msgs/DiagnosticArray, sim_node's format and QoS, hardware_id ``task_node``,
stamped with the trigger's stamp; step 0 has reward 0 and prev_stamp -1) while an
episode runs, and ``detections`` (geometry_msgs/PoseArray in ``base_frame``, one pose per
goal in task order, NaN when unknown) for every trigger, again on a resend (lockstep).

Services (std_srvs/Trigger): ``task/reset`` (new episode: calls ``reset_service`` when set,
answers ``episode <id>: <instruction>`` or ``episode <id>: instruction follows`` (goal drawn
from a layout still to come); a running episode is dropped, not counted; refused while the
reset call is in flight, ``error_refused_reset``), ``task/success`` / ``task/failure`` (end
the episode with that outcome at its next step; a second press is refused with the reason),
``task/discard`` (ends it with no terminal step: never counted).

Episode start after a reset: triggers that arrive before the reset call answered are kept
(``observations_during_reset``), not dropped. With topic goals the goal is drawn, and the
instruction published, once the fresh goal poses (newer than the previous layout's) are
in, and step 0 is the first trigger stamped at or after them (older ones:
``old_layout_observations``). Without a reset service the current layout stays and the
goal is drawn at once. Goals whose radius already holds the robot at step 0 end nothing
until it has left (:class:`~robot_learning.task.TaskTracker`).

Poses (:class:`.task_goals.PoseHistory`): in the task ``frame`` only (``error_pose_frame``);
``pose_source: pose`` holds the newest one up to ``localization_max_age_s``. Dense rewards
need a pose: one that stops makes ``task_node: inputs`` STALE and dense steps without it
are not published (``error_no_pose``) until poses return. Classifier / operator steps
never wait for a pose that does not flow (NaN detections; STALE: poses came and stopped).
A classifier input that does not fit the checkpoint: a throttled line, counted
(``error_classifier_input``), no verdict; the time limit still ends the episode.
Diagnostics: ``task_node: episodes`` and ``task_node: inputs`` (docs/interfaces.md).
"""

from __future__ import annotations

import math
import time

from geometry_msgs.msg import PoseArray
import numpy as np
from rclpy.clock import Clock, ClockType
from rclpy.node import Node
from robot_learning.data.ingest import image_msg_to_rgb
from robot_learning.errors import RobotLearningError
from robot_learning.task import CLASSIFIER_MODES, closest_range, pick_goal, POSE_MODES, TaskTracker
from sensor_msgs.msg import Image, LaserScan
from std_msgs.msg import String
from std_srvs.srv import Trigger

from .common import Diagnostics, LATCHED_QOS, SENSOR_PUB_QOS, SENSOR_QOS, spin_node
from .episode_status import EpisodeStatus
from .health import OK, STALE
from .stamps import stamp_to_s
from .task_goals import (detections_msg, GoalSources, ImageBuffer, PoseHistory, SAME_STAMP_S,
                         TriggerQueue)
from .task_node_params import declare_task, vocabulary_mismatch
from .task_reset import ResetCall


class TaskNode(Node):
    """See module docstring. ``classifier``: a stub with the classifier API (tests)."""

    def __init__(self, classifier=None, **kwargs):
        super().__init__('task_node', **kwargs)
        self.diag = Diagnostics(self)
        p = self.p = declare_task(self, classifier)
        v = p.values
        self.task, self.mode, self.clf = p.task, p.mode, p.classifier
        self.tracker = TaskTracker(p.task, p.mode, p.threshold, p.consecutive)
        self.rng = np.random.default_rng(v['seed'])
        self.autoreset = v['autoreset']
        self.diag.task('episodes', keys=('episodes', 'discarded', 'interrupted',
                                         'stale_reset_answers'),
                       errors=('error_refused_event', 'error_refused_reset',
                               'error_reset_service', 'error_no_goal'))
        self.diag.task('inputs', keys=('steps', 'poses', 'goal_poses', 'images',
                                       'steps_without_image', 'observations_during_reset',
                                       'old_layout_observations', 'repeated_observations'),
                       errors=('error_no_pose', 'error_bad_pose', 'error_pose_frame',
                               'error_goal_frame', 'error_classifier_input',
                               'error_dropped_observations'))
        self.diag.set('reward_mode', p.mode, 'episodes')
        self.status = EpisodeStatus(self, clock=False)
        self._pub_instruction = self.create_publisher(String, 'instruction', LATCHED_QOS)
        self._pub_det = self.create_publisher(PoseArray, 'detections', SENSOR_PUB_QOS)
        self.poses = PoseHistory(self, v['pose_source'], p.task.frame, self._drain, self.diag)
        self.goals = GoalSources(self, p.task, self._drain, self.diag)
        self.images, self.scans = ImageBuffer(), ImageBuffer()
        self._queue = TriggerQueue(self.diag)  # waiting for their pose / image / reset
        self.create_subscription(LaserScan, 'observation/scan', self._on_scan, SENSOR_QOS)
        if self.clf is not None or v['trigger'] == 'image':
            self.create_subscription(Image, 'observation/image', self._on_image, SENSOR_QOS)
        self.reset = ResetCall(self, v['reset_service'], self.diag, self._drain,
                               v['reset_timeout_s'])
        self.state = 'starting'  # 'idle' | 'starting' | 'running'
        self._floor = None  # stamp of the layout a reset must replace (None: any layout)
        self._next_goal = None  # drawn once the layout is known (_draw)
        if not self.goals.topic_index:
            self._draw(self.goals.positions)
        self._stale, self._det = False, None  # _det: last detections (a resend repeats it)
        for name in ('reset', 'success', 'failure', 'discard'):
            self.create_service(Trigger, f'task/{name}',
                                lambda req, res, n=name: self._on_service(n, res))
        self.create_timer(0.05, self._on_timer, clock=Clock(clock_type=ClockType.STEADY_TIME))
        missing = vocabulary_mismatch(self.clf, p.task) if self.clf is not None else []
        if missing:
            self.diag.error('error_classifier_input', f'classifier vocabulary lacks the task '
                            f'instructions {missing}: no verdict for them')
        self.get_logger().info(f'task_node up: reward_mode={p.mode} goals={list(p.task.names)}'
                               f' max_steps={p.task.max_steps} max_s={p.task.max_seconds}')

    # ------------------------------------------------------------------ inputs
    def _trigger(self, t: float, stamp) -> None:
        if not self._queue.add(t, stamp):  # a resend: a node missed this step, maybe ours
            if self._det is not None and stamp_to_s(self._det.header.stamp) == t:
                self._pub_det.publish(self._det)
        elif self.state == 'starting' and self.reset.busy:
            self.diag.count('observations_during_reset')  # deferred, not dropped

    def _on_scan(self, msg: LaserScan) -> None:
        t = stamp_to_s(msg.header.stamp)
        self.scans.add(t, np.asarray(msg.ranges, np.float32))
        if self.p.values['trigger'] == 'scan':
            self._trigger(t, msg.header.stamp)
        self._drain()

    def _on_image(self, msg: Image) -> None:
        t = stamp_to_s(msg.header.stamp)
        self.images.add(t, msg)
        self.diag.count('images')
        if self.p.values['trigger'] == 'image':
            self._trigger(t, msg.header.stamp)
        self._drain()

    def _pose_live(self) -> bool:
        return time.monotonic() - self.poses.last_wall <= self.p.values['pose_timeout_s']

    def _ready(self, t: float, wall: float) -> bool:
        if self.state == 'starting' and (self.reset.busy or not self.goals.fresh(self._floor)):
            return False  # step 0 needs the reset's answer and the fresh layout
        if time.monotonic() - wall >= self.p.values['input_wait_s']:
            return True
        other = self.scans if self.p.values['trigger'] == 'image' else self.images
        paired = self.mode not in CLASSIFIER_MODES or other.newest >= t - SAME_STAMP_S
        # Only dense rewards need a pose; otherwise wait for it only while poses flow.
        posed = self.poses.newest >= t - SAME_STAMP_S or (
            self.mode not in POSE_MODES and not self._pose_live())
        return paired and posed

    def _drain(self) -> None:
        while (head := self._queue.head()) is not None and self._ready(*head):
            self._handle(*self._queue.pop())

    # ------------------------------------------------------------------ steps
    def _handle(self, t: float, stamp) -> None:
        v = self.p.values
        hold = v['localization_max_age_s'] if v['pose_source'] == 'pose' else 0.0
        pose = self.poses.at(t, v['pose_tolerance_s'], hold)
        positions = self.goals.positions
        self._det = detections_msg(stamp, v['base_frame'], pose, positions)
        self._pub_det.publish(self._det)
        if self.state == 'idle':
            return
        if self.state == 'starting' and self._floor is not None and \
                t < self.goals.layout_stamp() - SAME_STAMP_S:
            self.diag.count('old_layout_observations')
            return
        if pose is None and self.mode in POSE_MODES:
            self.diag.error('error_no_pose', f'no robot pose at step {t:.3f}: not published')
            return
        if self.state == 'starting':
            self._begin(t, stamp, pose, positions)
            return
        sectors = self.scans.at(t, v['image_tolerance_s'])
        prob = self._classify(t, sectors) if self.mode in CLASSIFIER_MODES else None
        r = self.tracker.step(t, pose, positions, prob, closest_range(sectors))
        self._publish_status(stamp, r)
        if r.terminated or r.truncated:
            self.diag.count('episodes')
            self.diag.count(f'outcome_{r.outcome}')
            self._end()

    def _draw(self, positions) -> None:
        self._next_goal = pick_goal(self.task, self.rng, positions, self.p.values['goal'])
        if self._next_goal:
            self._pub_instruction.publish(String(data=self.task.instruction_for(self._next_goal)))

    def _begin(self, t: float, stamp, pose, positions) -> None:
        goal = self._next_goal
        if goal is None or not np.isfinite(positions[self.task.names.index(goal)]).all():
            self._draw(positions)  # the layout of this episode is known now
            if self._next_goal is None:
                self.diag.error('error_no_goal', 'no goal of the task is present: waiting')
                return
        r = self.tracker.begin(self._next_goal, t, pose, positions)
        self.status.new_episode()
        self.state = 'running'
        self._publish_status(stamp, r)
        self.diag.set('episode', f'{self.tracker.episode}: {self.tracker.instruction}', 'episodes')

    def _end(self) -> None:
        self.diag.set('last_outcome', self.tracker.outcome, 'episodes')
        self.state = 'idle'
        if self.autoreset:
            self._start_reset()

    def _classify(self, t: float, sectors):
        img = self.images.at(t, self.p.values['image_tolerance_s'])
        if img is None or sectors is None:
            self.diag.count('steps_without_image')
            return None
        try:
            rgb = image_msg_to_rgb(img)
            return float(self.clf.predict(rgb, sectors, self.tracker.instruction))
        except RobotLearningError as exc:
            self.diag.error('error_classifier_input', f'classifier: {exc}')
            return None

    def _publish_status(self, stamp, r) -> None:
        self.status.publish(stamp, r.reward, r.terminated, r.truncated, r.outcome,
                            self.tracker.episode, r.step, r.episode_return,
                            self.tracker.instruction)
        self.diag.count('steps')

    # ------------------------------------------------------------------ resets
    def _start_reset(self) -> None:
        self.state = 'starting'
        self._queue.clear()  # what is still queued belongs to the old episode
        self._next_goal = None
        topic = bool(self.goals.topic_index)
        if self.reset.configured:
            self._floor = self.goals.layout_stamp() if topic else None
            self.reset.request()
        else:
            self._floor = None  # nothing moves the goals: the current layout stays
        if not topic or (not self.reset.configured and self.goals.fresh(None)):
            self._draw(self.goals.positions)  # the layout is known now

    def _on_timer(self) -> None:
        if self.reset.configured:
            self.reset.poll()
        self._drain()
        # Dense rewards need the pose from start-up; else only a pose that stopped counts.
        stale = not self._pose_live() and (self.mode in POSE_MODES
                                           or self.poses.last_wall > -math.inf)
        if stale != self._stale:
            self._stale = stale
            msg = f'no robot pose for {self.p.values["pose_timeout_s"]} s' if stale else ''
            self.diag.set_condition('inputs', STALE if stale else OK, msg)

    def _on_service(self, name: str, res):
        tr = self.tracker
        if name == 'reset' and self.reset.in_flight:
            res.success, res.message = False, f'episode {tr.episode + 1} is being reset ' \
                f'(the {self.p.values["reset_service"]} call is in flight): wait for its step 0'
        elif name == 'reset':
            if self.state == 'running':
                tr.discard_now()
                self.diag.count('interrupted')
            self._start_reset()
            what = self.task.instruction_for(self._next_goal) if self._next_goal else \
                'instruction follows'
            res.success, res.message = True, f'episode {tr.episode + 1}: {what}'
            return res
        elif self.state != 'running':
            res.success, res.message = False, f'no episode is running (episode {tr.episode} ' \
                f'{tr.outcome}; the next starts at its first observation)'
        elif name == 'discard':
            tr.discard_now()
            self.diag.count('discarded')
            self._end()
            res.success, res.message = True, f'episode {tr.episode} discarded'
        else:
            res.success, res.message = tr.request(name)
        if not res.success:
            key = 'error_refused_reset' if name == 'reset' else 'error_refused_event'
            self.diag.error(key, f'task/{name} refused: {res.message}')
        return res


def main(args=None) -> None:
    """Entry point ``task_node``."""
    spin_node(TaskNode, args)


if __name__ == '__main__':
    main()
