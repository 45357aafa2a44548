# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 robot_learning maintainers
"""task_node over real topics: fake odom / scan / goal publishers -> episode statuses."""

from __future__ import annotations

import math
import time

from diagnostic_msgs.msg import DiagnosticArray
from geometry_msgs.msg import PoseArray, PoseStamped
from nav_msgs.msg import Odometry
import numpy as np
import pytest
from rclpy.parameter import Parameter
from rclpy.qos import QoSProfile, ReliabilityPolicy
from robot_learning.common.features import step_info_from_msg
from robot_learning.errors import ConfigError, MessageError
from robot_learning_nodes.common import LATCHED_QOS
from robot_learning_nodes.task_node import TaskNode
from sensor_msgs.msg import Image, LaserScan
from std_msgs.msg import String
from std_srvs.srv import Trigger

RELIABLE = QoSProfile(depth=100, reliability=ReliabilityPolicy.RELIABLE)
TASK = """task:
  max_steps: {max_steps}
  goals:
    - {{name: red, topic: goals/red}}
    - {{name: blue, position: [-2.0, 0.0]}}
"""


class StubClassifier:
    """The load_classifier API: says 0.9 within 0.5 m of (2, 0), checks the image size."""

    def __init__(self, width=8, height=6):
        self.image_width, self.image_height, self.num_sectors = width, height, 4
        self.instructions = ('go to the red pillar', 'go to the blue pillar')
        self.threshold, self.uses_image = 0.5, True
        self.near = False

    def predict(self, image, sectors, instruction):
        if image.shape != (self.image_height, self.image_width, 3):
            raise MessageError(f'image {image.shape[1]}x{image.shape[0]}, expected '
                               f'{self.image_width}x{self.image_height}')
        return 0.9 if self.near else 0.1


class Rig:
    """Fake robot around one task_node: odom, observation/scan, goal poses, images."""

    def __init__(self, ros, tmp_path, max_steps=50, classifier=None, **params):
        path = tmp_path / 'task.yaml'
        path.write_text(TASK.format(max_steps=max_steps))
        over = {'task_file': str(path), 'goal': 'red', 'input_wait_s': 0.05, **params}
        self.ros = ros
        self.node = ros.add(TaskNode(
            classifier=classifier, namespace=ros.ns,
            parameter_overrides=[Parameter(k, value=v) for k, v in over.items()],
        ))
        h = ros.helper
        self.odom = h.create_publisher(Odometry, 'odom', RELIABLE)
        self.scan = h.create_publisher(LaserScan, 'observation/scan', RELIABLE)
        self.image = h.create_publisher(Image, 'observation/image', RELIABLE)
        self.goal = h.create_publisher(PoseStamped, 'goals/red', LATCHED_QOS)
        self.episodes, self.detections, self.instructions = [], [], []
        for kind, topic, out, qos in ((DiagnosticArray, 'episode', self.episodes, RELIABLE),
                                      (PoseArray, 'detections', self.detections, RELIABLE),
                                      (String, 'instruction', self.instructions, LATCHED_QOS)):
            sub = h.create_subscription(kind, topic, out.append, qos)
            ros.spin_until(lambda sub=sub: sub.get_publisher_count() >= 1, 10.0,
                           f'task_node publishing {topic}')
        ros.wait_matched(self.scan)
        if params.get('pose_source', 'odom') == 'odom':
            ros.wait_matched(self.odom)

    def send_goal(self, t, x=2.0, y=0.0):
        m = PoseStamped()
        m.header.stamp.sec, m.header.stamp.nanosec = int(t), round((t % 1) * 1e9)
        m.header.frame_id = 'odom'
        m.pose.position.x, m.pose.position.y = x, y
        self.goal.publish(m)
        self.ros.spin_until(lambda: self.node.goals.stamps[0] >= t - 1e-6, 5.0, 'goal pose')

    def step(self, t, x=None, y=0.0, yaw=0.0, image=None, expect=True, detections=True):
        """Publish (odom), (image) and scan at stamp t; return the episode status for t.

        ``expect`` False: no status is awaited (a later step shows it never came, see
        :meth:`assert_no_status`); ``detections`` False: nor the detections (deferred).
        """
        sec, nsec = int(t), round((t % 1) * 1e9)
        if x is not None:
            o = Odometry()
            o.header.stamp.sec, o.header.stamp.nanosec = sec, nsec
            o.pose.pose.position.x, o.pose.pose.position.y = x, y
            o.pose.pose.orientation.z, o.pose.pose.orientation.w = math.sin(yaw / 2), \
                math.cos(yaw / 2)
            self.odom.publish(o)
        if image is not None:
            im = Image(height=image[1], width=image[0], encoding='rgb8', step=3 * image[0])
            im.header.stamp.sec, im.header.stamp.nanosec = sec, nsec
            im.data = bytes(3 * image[0] * image[1])
            self.image.publish(im)
        s = LaserScan()
        s.header.stamp.sec, s.header.stamp.nanosec = sec, nsec
        s.ranges = [1.0, 2.0, 3.0, 0.5]
        self.scan.publish(s)
        if detections:
            self.ros.spin_until(lambda: self.detection(t), 5.0, f'detections at {t}')
        if not expect:
            return None
        info = self.ros.spin_until(lambda: self._status(t), 5.0, f'status at {t}')
        return info

    def detection(self, t):
        """Return the detections stamped ``t`` (None: not received)."""
        for m in self.detections:
            if abs(m.header.stamp.sec + m.header.stamp.nanosec * 1e-9 - t) < 1e-6:
                return m
        return None

    def assert_no_status(self, t):
        """Assert no status stamped ``t`` came (call after a later step's status arrived)."""
        assert self._status(t) is None, f'a status for {t}'

    def _status(self, t):
        for m in self.episodes:
            info = step_info_from_msg(m)
            if abs(info.stamp - t * 1e6) < 2:
                return info
        return None


def test_dense_episode_is_the_worlds_reward(ros, tmp_path):
    rig = Rig(ros, tmp_path)
    rig.send_goal(1.0)
    s0 = rig.step(1.0, x=0.0)
    assert (s0.step, s0.reward, s0.prev_stamp, s0.outcome) == (0, 0.0, -1, 'running')
    assert s0.instruction == 'go to the red pillar'
    assert rig.episodes[0].status[0].hardware_id == 'task_node'
    s1 = rig.step(1.1, x=0.5)
    assert s1.reward == pytest.approx(10 * 0.5 - 0.05, abs=1e-6) and s1.prev_stamp == 1_000_000
    det = rig.detections[-1].poses
    assert (det[0].position.x, det[1].position.x) == pytest.approx((1.5, -2.5))
    s2 = rig.step(1.2, x=1.7)
    assert s2.terminated and s2.outcome == 'success' and s2.step == 2
    assert s2.reward == pytest.approx(10 * 1.2 - 0.05 + 10, abs=1e-6)
    assert s2.episode_return == pytest.approx(s1.reward + s2.reward, abs=1e-6)
    ros.spin_until(lambda: rig.instructions, 5.0, 'the latched instruction')
    assert rig.instructions[-1].data == 'go to the red pillar'
    d = ros.diagnostics(rig.node, cond=lambda d: d.get('outcome_success') == '1')
    assert d['episodes'] == '1'


def test_wrong_goal_fails_and_autoreset_waits_for_the_new_layout(ros, tmp_path):
    calls = []

    def on_reset(_req, res):
        calls.append(1)
        res.success, res.message = True, 'episode 1: x'
        return res

    ros.helper.create_service(Trigger, 'fake/reset', on_reset)
    rig = Rig(ros, tmp_path, reset_service='fake/reset')
    rig.send_goal(1.0)
    rig.step(1.0, x=-1.0)
    s = rig.step(1.1, x=-1.7)  # 0.3 m from blue
    assert s.outcome == 'failure' and s.terminated
    ros.spin_until(lambda: calls, 5.0, 'the reset call')
    ros.spin_until(lambda: not rig.node.reset.busy, 5.0, 'the reset answer')
    # An observation of the old layout after the reset: no status.
    rig.step(1.2, x=-1.7, expect=False, detections=False)
    rig.send_goal(1.3, x=0.0, y=2.0)
    s0 = rig.step(1.3, x=0.0)
    assert (s0.step, s0.episode, s0.prev_stamp) == (0, 1, -1)
    rig.assert_no_status(1.2)
    assert rig.step(1.4, x=0.0, y=0.5).reward == pytest.approx(4.95, abs=1e-6)
    d = ros.diagnostics(rig.node, cond=lambda d: int(d.get('old_layout_observations', 0)) >= 1)
    assert d['outcome_failure'] == '1'


def test_timeout_and_repeated_observation(ros, tmp_path):
    rig = Rig(ros, tmp_path, max_steps=2, autoreset=False)
    rig.send_goal(1.0)
    rig.step(1.0, x=0.0)
    rig.step(1.1, x=0.0)
    rig.step(1.1, x=0.0, expect=True)  # a resend of the same step: one status only
    s = rig.step(1.2, x=0.0)
    assert s.truncated and not s.terminated and s.outcome == 'timeout'
    assert len([m for m in rig.episodes if m.header.stamp.nanosec == 100000000]) == 1
    # autoreset false: nothing more until task/reset.
    rig.step(1.3, x=0.0, expect=False)
    res = ros.call(Trigger, 'task/reset')
    assert res.success and res.message == 'episode 1: go to the red pillar'
    assert rig.step(1.4, x=0.0).step == 0
    rig.assert_no_status(1.3)


def test_operator_success_twice_is_refused(ros, tmp_path):
    rig = Rig(ros, tmp_path, reward_mode='operator', autoreset=False)
    rig.send_goal(1.0)
    rig.step(1.0, x=0.0)
    first = ros.call(Trigger, 'task/success')
    second = ros.call(Trigger, 'task/success')
    assert first.success and not second.success and 'already' in second.message
    s = rig.step(1.1, x=0.0)
    assert s.outcome == 'success' and s.terminated and s.reward == pytest.approx(9.95)
    late = ros.call(Trigger, 'task/failure')
    assert not late.success and 'no episode is running' in late.message
    d = ros.diagnostics(rig.node, cond=lambda d: d.get('error_refused_event') == '2')
    assert d['episodes'] == '1' and d['outcome_success'] == '1'


def test_discard_is_not_counted(ros, tmp_path):
    rig = Rig(ros, tmp_path, reward_mode='operator')
    rig.send_goal(1.0)
    rig.step(1.0, x=0.0)
    assert ros.call(Trigger, 'task/discard').success
    s0 = rig.step(1.1, x=0.0)  # autoreset, no reset service: the next observation is step 0
    assert (s0.episode, s0.step, s0.prev_stamp) == (1, 0, -1)
    d = ros.diagnostics(rig.node, cond=lambda d: d.get('discarded') == '1')
    assert 'episodes' not in d


def test_pose_that_stops_goes_stale_and_publishes_no_step(ros, tmp_path):
    rig = Rig(ros, tmp_path, pose_timeout_s=0.3)
    rig.send_goal(1.0)
    rig.step(1.0, x=0.0)
    rig.step(1.1, x=None, expect=False)  # no odom for this scan
    d = ros.diagnostics(rig.node, cond=lambda d: d.get('_level task_node: inputs') == '3')
    assert int(d['error_no_pose']) >= 1
    assert all(math.isnan(p.position.x) for p in rig.detection(1.1).poses)
    assert rig.step(1.2, x=0.5).reward == pytest.approx(4.95, abs=1e-6)  # poses are back
    rig.assert_no_status(1.1)


def test_unknown_goal_is_one_line(ros, tmp_path):
    path = tmp_path / 't.yaml'
    path.write_text('task:\n  goals: [{name: red, position: [1, 1]}]\n  sample: [purple]\n')
    with pytest.raises(ConfigError, match="unknown goal 'purple'"):
        TaskNode(namespace=ros.ns, parameter_overrides=[Parameter('task_file', value=str(path))])
    path.write_text('task:\n  goals: [{name: red, position: [1, 1]}]\n')
    with pytest.raises(ConfigError, match="unknown goal 'purple'"):
        TaskNode(namespace=ros.ns, parameter_overrides=[
            Parameter('task_file', value=str(path)), Parameter('goal', value='purple')])


def test_classifier_success_and_mismatch(ros, tmp_path):
    clf = StubClassifier()
    rig = Rig(ros, tmp_path, max_steps=3, classifier=clf, reward_mode='classifier')
    rig.send_goal(1.0)
    rig.step(1.0, x=0.0, image=(8, 6))
    assert rig.step(1.1, x=1.0, image=(8, 6)).reward == pytest.approx(-0.05)
    clf.near = True
    s = rig.step(1.2, x=1.8, image=(8, 6))
    assert s.outcome == 'success' and s.reward == pytest.approx(9.95)
    # A camera of another size: counted, no verdict; the time limit still ends it.
    rig.step(1.3, x=0.0, image=(16, 12))
    for k in range(1, 4):
        s = rig.step(1.3 + 0.1 * k, x=1.8, image=(16, 12))
    assert s.outcome == 'timeout' and s.truncated
    d = ros.diagnostics(rig.node, cond=lambda d: int(d.get('error_classifier_input', 0)) >= 3)
    assert d['outcome_timeout'] == '1' and d['outcome_success'] == '1'
    assert np.isfinite(s.reward)


def test_pose_source_localization_and_vocabulary_mismatch(ros, tmp_path):
    from geometry_msgs.msg import PoseWithCovarianceStamped

    clf = StubClassifier()
    clf.instructions = ('go to the red pillar',)  # lacks the blue goal's instruction
    rig = Rig(ros, tmp_path, classifier=clf, pose_source='pose')
    d = ros.diagnostics(rig.node, cond=lambda d: d.get('error_classifier_input') == '1')
    assert d['reward_mode'] == 'dense'
    pub = ros.helper.create_publisher(PoseWithCovarianceStamped, 'pose', RELIABLE)
    ros.wait_matched(pub)
    rig.send_goal(1.0)
    for t, x in ((1.0, 0.0), (1.1, 1.0)):
        m = PoseWithCovarianceStamped()
        m.header.stamp.sec, m.header.stamp.nanosec = 1, round((t % 1) * 1e9)
        m.pose.pose.position.x, m.pose.pose.orientation.w = x, 1.0
        pub.publish(m)
        s = rig.step(t)
    assert s.reward == pytest.approx(10 * 1.0 - 0.05, abs=1e-6)


def test_collision_term_from_the_scan(ros, tmp_path):
    rig = Rig(ros, tmp_path, collision_range=0.6)  # the fake scan's closest sector: 0.5 m
    rig.send_goal(1.0)
    rig.step(1.0, x=0.0)
    assert rig.step(1.1, x=0.0).reward == pytest.approx(-0.05 - 0.5, abs=1e-6)


def test_reset_in_flight_defers_step_0_and_draws_the_goal_from_the_new_layout(ros, tmp_path):
    import rclpy
    from rclpy.executors import SingleThreadedExecutor
    from rclpy.task import Future

    # The robot's reset service lives on a node nobody spins yet: its calls stay in flight.
    robot = rclpy.create_node('fake_robot', namespace=ros.ns)
    calls = []

    def on_reset(_req, res):
        calls.append(1)
        res.success, res.message = True, 'reset'
        return res

    robot.create_service(Trigger, 'fake/reset', on_reset)
    try:
        rig = Rig(ros, tmp_path, reset_service='fake/reset', autoreset=False, goal='')
        ros.spin_until(rig.node.reset._client.service_is_ready, 10.0, 'fake/reset')
        rig.send_goal(1.0)
        rig.step(1.0, x=0.0)
        ros.spin_until(lambda: rig.instructions, 5.0, 'the instruction of episode 0')
        n_instructions = len(rig.instructions)
        first = ros.call(Trigger, 'task/reset')
        # The next layout is not known yet: the instruction comes with it.
        assert first.success and first.message == 'episode 1: instruction follows'
        assert rig.node.reset.in_flight
        second = ros.call(Trigger, 'task/reset')
        assert not second.success and 'in flight' in second.message
        # The answer of a call that is not the current one changes nothing.
        stale = Future()
        stale.set_result(Trigger.Response(success=True))
        rig.node.reset._answered(stale)
        assert rig.node.reset.in_flight
        # The new layout (red absent) and its step-0 scan beat the reset's answer.
        rig.send_goal(1.3, x=math.nan, y=math.nan)
        rig.step(1.3, x=0.0, expect=False, detections=False)
        ros.spin_until(lambda: rig.node.diag.counters.get('observations_during_reset'), 5.0,
                       'the deferred observation')
        assert len(rig.instructions) == n_instructions  # no goal drawn before the layout
        ex = SingleThreadedExecutor()
        ex.add_node(robot)
        ros.spin_until(lambda: ex.spin_once(timeout_sec=0.01) or calls, 5.0, 'the reset call')
        ex.remove_node(robot)
        s0 = ros.spin_until(lambda: rig._status(1.3), 5.0, 'step 0 at the deferred scan')
        assert (s0.episode, s0.step, s0.instruction) == (1, 0, 'go to the blue pillar')
        ros.spin_until(lambda: len(rig.instructions) > n_instructions, 5.0, 'instruction')
        assert [m.data for m in rig.instructions[n_instructions:]] == ['go to the blue pillar']
        d = ros.diagnostics(rig.node, cond=lambda d: d.get('error_refused_reset') == '1')
        assert d['stale_reset_answers'] == '1' and calls == [1]
    finally:
        robot.destroy_node()


def test_localization_pose_is_held_and_frames_are_checked(ros, tmp_path):
    from geometry_msgs.msg import PoseWithCovarianceStamped

    rig = Rig(ros, tmp_path, pose_source='pose')
    pub = ros.helper.create_publisher(PoseWithCovarianceStamped, 'pose', RELIABLE)
    ros.wait_matched(pub)

    def pose(t, x, frame='odom'):
        m = PoseWithCovarianceStamped()
        m.header.stamp.sec, m.header.stamp.nanosec = int(t), round((t % 1) * 1e9)
        m.header.frame_id = frame
        m.pose.pose.position.x, m.pose.pose.orientation.w = x, 1.0
        pub.publish(m)
        ros.spin_until(lambda: rig.node.poses.newest >= t - 1e-6 or frame != 'odom', 5.0,
                       'the pose')

    rig.send_goal(1.0)
    pose(1.0, 0.0)
    rig.step(1.0)
    # amcl publishes on filter updates only: steps between them take the held pose.
    assert rig.step(1.1).reward == pytest.approx(-0.05, abs=1e-6)
    assert rig.step(1.2).reward == pytest.approx(-0.05, abs=1e-6)
    pose(1.25, 1.0)
    assert rig.step(1.3).reward == pytest.approx(10 * 1.0 - 0.05, abs=1e-6)
    # A pose in another frame than the task's is dropped, not used.
    pose(1.35, 1.5, frame='map')
    assert rig.step(1.4).reward == pytest.approx(-0.05, abs=1e-6)
    # Older than localization_max_age_s (2 s): no pose, no dense step.
    rig.step(3.5, expect=False)
    pose(3.6, 1.0)
    assert rig.step(3.6).step == 5
    rig.assert_no_status(3.5)
    d = ros.diagnostics(rig.node, cond=lambda d: d.get('error_pose_frame') == '1')
    assert int(d['error_no_pose']) >= 1


def test_operator_mode_needs_no_pose(ros, tmp_path):
    # input_wait_s 30: a step that waited for a pose would time the test out.
    rig = Rig(ros, tmp_path, reward_mode='operator', input_wait_s=30.0, pose_timeout_s=0.1)
    rig.send_goal(1.0)
    assert rig.step(1.0).step == 0
    assert rig.step(1.1).reward == pytest.approx(-0.05)
    assert all(math.isnan(p.position.x) for p in rig.detection(1.1).poses)
    end = time.monotonic() + 0.3  # past pose_timeout_s
    d = ros.diagnostics(rig.node, cond=lambda d: time.monotonic() > end)
    assert d['_level task_node: inputs'] != '3'  # no pose since start-up is not STALE here
    # Poses that flow are waited for: detections then carry them.
    det = rig.step(1.2, x=1.0)
    assert rig.detection(1.2).poses[0].position.x == pytest.approx(1.0)
    assert det.step == 2
    declared = {'error_no_goal': 'episodes', 'error_refused_reset': 'episodes',
                'steps_without_image': 'inputs', 'observations_during_reset': 'inputs'}
    for key, task in declared.items():
        assert rig.node.diag._keys[key].name == task, key
