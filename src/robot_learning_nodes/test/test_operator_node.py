# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 robot_learning maintainers
"""operator_node over real topics against a real demo_recorder (and a stand-in task node).

Joy messages go out on ``joy`` as joy_node publishes them; the recorder's episode state
comes back on ``recorder/state``; what the bags hold is read from disk.
"""

from __future__ import annotations

import time

from diagnostic_msgs.msg import DiagnosticArray, DiagnosticStatus, KeyValue
from rclpy.parameter import Parameter
from recorder_support import make_recorder, mcap_messages, RELIABLE
from robot_learning.data.bagwriter import read_custom_data
from robot_learning_nodes.episode_status import EPISODE_QOS
from robot_learning_nodes.operator_buttons import DEFAULT_BUTTONS
from robot_learning_nodes.operator_node import OperatorNode
from robot_learning_nodes.qos import STATE_QOS
from sensor_msgs.msg import Joy, LaserScan
from std_msgs.msg import String
from std_srvs.srv import Trigger


#: Every state change (depth 1 would keep only the newest of two quick ones).
STATES = STATE_QOS


class Pad:
    """A gamepad on the test side: press/release buttons, wait for the recorder's state."""

    def __init__(self, ros, op, n_buttons=11):
        self.ros, self.op, self.n = ros, op, n_buttons
        self.pub = ros.helper.create_publisher(Joy, 'joy', RELIABLE)
        self.states = ros.collect(String, 'recorder/state', STATES)
        ros.wait_matched(self.pub)
        ros.spin_until(lambda: self.states and op.recorder_state, what='recorder/state')

    def send(self, *down, n=None):
        msg = Joy()
        msg.buttons = [int(i in down) for i in range(self.n if n is None else n)]
        msg.axes = [0.0] * 8
        self.pub.publish(msg)

    def press(self, event, expect=None, done=1):
        """Press and release ``event``'s button; wait until ``done`` more events finished."""
        n0 = len(self.op.done)
        self.send(DEFAULT_BUTTONS[event])
        self.send()
        self.ros.spin_until(lambda: len(self.op.done) >= n0 + done, what=f'{event} done')
        if expect is not None:
            self.ros.spin_until(
                lambda: self.states[-1].data.startswith(expect), what=f'state {expect}'
            )
        return self.op.done[-1]


def make_operator(ros, **params):
    overrides = [Parameter('debounce_s', value=0.0), Parameter('service_timeout_s', value=5.0)]
    overrides += [Parameter(k, value=v) for k, v in params.items()]
    return ros.add(OperatorNode(namespace=ros.ns, parameter_overrides=overrides))


def test_buttons_start_label_stop_and_discard_episodes(ros, tmp_path):
    rec = make_recorder(ros, tmp_path, topics=['scan:sensor_msgs/msg/LaserScan'])
    op = make_operator(ros)
    pad = Pad(ros, op)
    assert pad.states[-1].data == 'idle'
    run = pad.press('start', 'recording episode_0000')
    assert run.ok and 'recorder/start_episode ok' in run.answers[0]
    assert 'task/reset skipped (not available)' in run.answers[1]  # no task node: fine
    pad.press('success', 'stopped episode_0000: success')
    assert read_custom_data(tmp_path / 's' / 'episode_0000')['outcome'] == 'success'
    pad.press('start', 'recording episode_0001')
    pad.press('failure', 'stopped episode_0001: failure')
    assert read_custom_data(tmp_path / 's' / 'episode_0001')['outcome'] == 'failure'
    # Success after the stop relabels the last episode (the recorder's rule).
    run = pad.press('success', 'stopped episode_0001: success')
    assert "'no active episode'" in run.answers[-1]
    assert read_custom_data(tmp_path / 's' / 'episode_0001')['outcome'] == 'success'
    pad.press('start', 'recording episode_0002')
    pad.press('discard', 'discarded episode_0002')
    assert not (tmp_path / 's' / 'episode_0002').exists()
    pad.press('start', 'recording episode_0003')
    pad.press('stop', 'stopped episode_0003: unknown')
    seen = [m.data for m in pad.states]
    assert seen[-2:] == ['stopping episode_0003', 'stopped episode_0003: unknown']
    assert 'recording episode_0000: success' in seen  # labelled before the stop
    assert rec.diag.counters['episodes_kept'] == 3
    assert rec.diag.counters['episodes_discarded'] == 1
    # The operator's own reader may get the last state a little after the test's.
    d = ros.diagnostics(op, cond=lambda d: d.get('event stop') == '1'
                        and d.get('recorder_state', '').startswith('stopped episode_0003'))
    assert d['event start'] == '4' and d['event success'] == '2'
    assert d['last_event'].startswith('stop: recorder/stop_episode ok')
    assert d['recorder_state'] == 'stopped episode_0003: unknown'
    assert '_level operator_node: events' in d


def test_held_buttons_and_double_presses_make_one_episode(ros, tmp_path):
    rec = make_recorder(ros, tmp_path, topics=['scan:sensor_msgs/msg/LaserScan'])
    op = make_operator(ros, debounce_s=0.3)
    pad = Pad(ros, op)
    start = DEFAULT_BUTTONS['start']
    for _ in range(30):  # held: joy_node resends the state at autorepeat_rate
        pad.send(start)
    pad.send()
    pad.send(start)  # a double press within the debounce window
    pad.send()
    ros.spin_until(lambda: pad.states[-1].data == 'recording episode_0000', what='recording')
    ros.spin_until(lambda: op.diag.counters.get('debounced') == 1, what='debounced')
    ros.spin_for(0.3)
    assert [r.event for r in op.done] == ['start']
    # A second start after the window is refused while the episode records.
    pad.send(start)
    pad.send()
    ros.spin_until(lambda: op.diag.counters.get('error_refused') == 1, what='refused')
    assert [r.event for r in op.done] == ['start']
    # Success pressed twice, quickly: the second is refused (queued or debounced), and
    # one episode is kept, labelled once.
    a = DEFAULT_BUTTONS['success']
    pad.send(a)
    pad.send()
    pad.send(a)
    pad.send()
    ros.spin_until(lambda: pad.states[-1].data == 'stopped episode_0000: success', what='stop')
    ros.spin_for(0.5)
    assert [r.event for r in op.done] == ['start', 'success']
    assert rec.diag.counters['episodes_kept'] == 1
    assert sorted(p.name for p in (tmp_path / 's').glob('episode_*')) == ['episode_0000']


def test_fewer_buttons_than_mapped_is_one_counted_error_and_no_crash(ros, tmp_path):
    make_recorder(ros, tmp_path, topics=['scan:sensor_msgs/msg/LaserScan'])
    op = make_operator(ros)
    pad = Pad(ros, op)
    for _ in range(20):
        pad.send(0, n=4)  # a 4-button pad: start (7) and stop (6) are not there
        pad.send(n=4)
        ros.spin_for(0.02)
    ros.spin_until(lambda: op.diag.counters.get('error_joy_buttons', 0) >= 40, what='errors')
    # A (success) is there: pressed with no episode, it answers 'no episode', loses nothing.
    ros.spin_until(lambda: op.done, what='success event')
    d = ros.diagnostics(op, cond=lambda d: int(d.get('error_joy_buttons', 0)) >= 40)
    assert int(d['_level operator_node: events']) > 0
    assert 'has 4 buttons, the mapping needs 8' in op.diag.last_error
    # The node still works with a full pad.
    pad.press('start', 'recording episode_0000')
    assert [p.name for p in (tmp_path / 's').glob('episode_*')] == ['episode_0000']


def test_task_services_are_called_when_a_task_node_serves_them(ros, tmp_path):
    make_recorder(ros, tmp_path, topics=['scan:sensor_msgs/msg/LaserScan'])
    calls = []
    task = ros.helper

    def serve(name):
        def cb(_req, resp):
            calls.append(name)
            resp.success, resp.message = True, f'{name} done'
            return resp
        task.create_service(Trigger, f'task/{name}', cb)

    for name in ('reset', 'success', 'failure', 'discard'):
        serve(name)
    op = make_operator(ros, task_services='required')
    pad = Pad(ros, op)
    run = pad.press('start', 'recording episode_0000')
    assert "task/reset ok 'reset done'" in run.answers[1]
    pad.press('success', 'stopped episode_0000: success')
    assert calls == ['reset', 'success']


def test_a_missing_recorder_fails_the_event_after_the_timeout(ros, tmp_path):
    op = make_operator(ros, service_timeout_s=0.3)
    pub = ros.helper.create_publisher(Joy, 'joy', RELIABLE)
    ros.wait_matched(pub)
    msg = Joy(buttons=[int(i == DEFAULT_BUTTONS['start']) for i in range(11)])
    pub.publish(msg)
    ros.spin_until(lambda: op.done, what='start failed')
    assert not op.done[0].ok and 'not available after 0.3 s' in op.done[0].answers[0]
    assert op.diag.counters['error_service'] == 1


def test_a_late_recording_state_after_our_own_stop_does_not_refuse_start(ros, tmp_path):
    make_recorder(ros, tmp_path, topics=['scan:sensor_msgs/msg/LaserScan'])
    op = make_operator(ros)
    pad = Pad(ros, op)
    pad.press('start', 'recording episode_0000')
    pad.press('success', 'stopped episode_0000: success')
    # The state and the service answer come from different DDS writers: the state the
    # recorder published before its stop may reach the operator after the stop's answer.
    op._on_state(String(data='recording episode_0000: success'))
    run = pad.press('start', 'recording episode_0001')
    assert run.event == 'start' and run.ok
    assert op.diag.counters.get('error_refused', 0) == 0


def test_terminal_keys_drive_the_recorder(ros, tmp_path):
    import os
    import pty
    import subprocess
    import sys

    make_recorder(ros, tmp_path, topics=['scan:sensor_msgs/msg/LaserScan'])
    states = ros.collect(String, 'recorder/state', STATES)
    master, slave = pty.openpty()  # the operator's stdin is a terminal
    log = open(tmp_path / 'operator.log', 'w')
    proc = subprocess.Popen(
        [sys.executable, '-m', 'robot_learning_nodes.operator_node', '--ros-args',
         '-r', f'__ns:={ros.ns}', '-p', 'keyboard:=true'],
        stdin=slave, stdout=log, stderr=subprocess.STDOUT,
    )
    os.close(slave)
    # Typed while the node starts (the race of a CI failure: setcbreak's TCSAFLUSH dropped
    # a key typed before the terminal mode was set): it must still start an episode.
    os.write(master, b'r')
    try:
        joy = ros.helper.create_publisher(Joy, 'joy', RELIABLE)
        ros.wait_matched(joy, timeout=30.0)  # the operator is up
        ros.spin_until(lambda: states, what='recorder/state')

        def key(k, expect):
            n = len(states)
            os.write(master, k)
            ros.spin_until(lambda: any(s.data.startswith(expect) for s in states[n:]),
                           timeout=15.0, what=f'state {expect} after key {k!r}')

        ros.spin_until(lambda: any(s.data.startswith('recording episode_0000') for s in states),
                       timeout=15.0, what="state recording episode_0000 after the early 'r'")
        key(b'f', 'stopped episode_0000: failure')
        key(b'r', 'recording episode_0001')
        key(b'd', 'discarded episode_0001')
    finally:
        proc.terminate()
        proc.wait(15)
        os.close(master)
        log.close()
    assert 'keys r=start' in (tmp_path / 'operator.log').read_text()


def test_with_a_real_task_node(ros, tmp_path):
    from robot_learning_nodes.task_node import TaskNode

    task = tmp_path / 'task.yaml'
    task.write_text('task:\n  max_steps: 50\n  goals:\n    - {name: red, position: [2.0, 0.0]}\n')
    ros.add(TaskNode(namespace=ros.ns, parameter_overrides=[
        Parameter('task_file', value=str(task)), Parameter('goal', value='red')]))
    make_recorder(ros, tmp_path, topics=['scan:sensor_msgs/msg/LaserScan'])
    op = make_operator(ros, task_services='required')
    pad = Pad(ros, op)
    run = pad.press('start', 'recording episode_0000')
    assert run.ok and run.answers[1].startswith("task/reset ok 'episode"), run.answers
    run = pad.press('discard', 'discarded episode_0000')
    assert run.answers[0].startswith('task/discard'), run.answers
    assert not (tmp_path / 's' / 'episode_0000').exists()


def _episode_statuses(bag):
    """(message, terminated) of every ``episode`` status in the episode bag ``bag``."""
    out = []
    for topic, _t, msg in mcap_messages(next(bag.glob('*.mcap'))):
        if topic.endswith('/episode'):
            st = msg.status[0]
            out.append((st.message, {v.key: v.value for v in st.values}['terminated']))
    return out


def _status(outcome):
    kv = [KeyValue(key='terminated', value='0' if outcome == 'running' else '1'),
          KeyValue(key='truncated', value='0'), KeyValue(key='episode', value='1')]
    return DiagnosticArray(status=[DiagnosticStatus(
        name='episode', hardware_id='task_node', message=outcome, values=kv)])


def test_a_verdict_waits_for_the_terminal_status_before_the_stop(ros, tmp_path):
    # A stand-in task node that applies a verdict at its next step, 0.3 s later (as
    # task_node does at its next trigger): the bag must hold that terminal step.
    make_recorder(ros, tmp_path, topics=['episode:diagnostic_msgs/msg/DiagnosticArray'])
    h = ros.helper
    pub = h.create_publisher(DiagnosticArray, 'episode', EPISODE_QOS)
    verdicts = []

    def serve(name):
        def cb(_req, resp):
            verdicts.append((name, time.monotonic()))
            resp.success, resp.message = True, f'{name} done'
            return resp
        h.create_service(Trigger, f'task/{name}', cb)

    for name in ('reset', 'success', 'failure'):
        serve(name)
    op = make_operator(ros, task_services='required', terminal_timeout_s=0.4)
    pad = Pad(ros, op)
    ros.wait_matched(pub, n=2)  # the recorder and the operator

    pad.press('start', 'recording episode_0000')
    pub.publish(_status('running'))
    ros.spin_for(0.1)
    n0 = len(op.done)
    pad.send(DEFAULT_BUTTONS['success'])
    pad.send()
    ros.spin_until(lambda: verdicts[-1][0] == 'success', what='task/success')
    ros.spin_for(0.3)  # the task node's next step
    assert len(op.done) == n0, 'the bag was stopped before the terminal status'
    pub.publish(_status('success'))
    ros.spin_until(lambda: pad.states[-1].data == 'stopped episode_0000: success', what='stop')
    run = op.done[-1]
    assert run.answers[1].startswith('episode task_node 1 success ('), run.answers
    assert _episode_statuses(tmp_path / 's' / 'episode_0000')[-1] == ('success', '1')

    # No terminal status: the event goes on after terminal_timeout_s, and says so.
    pad.press('start', 'recording episode_0001')
    t = time.monotonic()
    run = pad.press('failure', 'stopped episode_0001: failure')
    assert time.monotonic() - t >= 0.4
    assert run.answers[1] == 'episode: no terminal status within 0.4 s', run.answers
    d = ros.diagnostics(op, cond=lambda d: d.get('error_no_terminal') == '1')
    assert d['event failure'] == '1'


def test_a_reader_keeps_every_recorder_state_change(ros, tmp_path):
    # Published faster than the operator's executor runs: a depth-1 reader would keep
    # only the newest and never learn that episode_0000 stopped.
    op = make_operator(ros)
    pub = ros.helper.create_publisher(String, 'recorder/state', STATE_QOS)
    ros.wait_matched(pub)
    for text in ('recording episode_0000', 'stopping episode_0000', 'recording episode_0001'):
        pub.publish(String(data=text))
    ros.spin_until(lambda: op.recorder_state == 'recording episode_0001', what='state')
    assert 'episode_0000' in op._ended
    # The recorder's publisher keeps them too: a late reader gets a stop's two states.
    rec = make_recorder(ros, tmp_path, topics=['scan:sensor_msgs/msg/LaserScan'])
    rec._srv_start(None, Trigger.Response())
    rec._srv_stop(None, Trigger.Response())
    late = ros.collect(String, 'recorder/state', STATE_QOS)
    ros.spin_until(lambda: late and late[-1].data.startswith('stopped'), what='history')
    assert [m.data for m in late][-2:] == ['stopping episode_0000',
                                           'stopped episode_0000: unknown']


def test_with_a_real_task_node_the_bag_ends_with_its_terminal_step(ros, tmp_path):
    from robot_learning_nodes.task_node import TaskNode

    task = tmp_path / 'task.yaml'
    task.write_text('task:\n  max_steps: 500\n  goals:\n    - {name: red, position: [2.0, 0.0]}\n')
    ros.add(TaskNode(namespace=ros.ns, parameter_overrides=[
        Parameter('task_file', value=str(task)), Parameter('goal', value='red'),
        Parameter('reward_mode', value='operator'), Parameter('input_wait_s', value=0.0),
        Parameter('autoreset', value=False)]))
    make_recorder(ros, tmp_path, topics=['episode:diagnostic_msgs/msg/DiagnosticArray'])
    op = make_operator(ros, task_services='required')
    scan = ros.helper.create_publisher(LaserScan, 'observation/scan', RELIABLE)

    def tick():  # the robot's LiDAR: task_node takes one step per scan
        m = LaserScan()
        m.header.stamp.sec, m.header.stamp.nanosec = divmod(time.time_ns(), 10**9)
        m.ranges = [1.0] * 8
        scan.publish(m)

    ros.helper.create_timer(0.3, tick)  # slow: a stop right after the verdict beats it
    pad = Pad(ros, op)
    pad.press('start', 'recording episode_0000')
    bag = tmp_path / 's' / 'episode_0000'
    ros.spin_until(lambda: op.runner._episode_sub.get_publisher_count(), what='episode')
    ros.spin_for(0.7)  # a few running steps
    run = pad.press('success', 'stopped episode_0000: success')
    statuses = _episode_statuses(bag)
    assert statuses[-1] == ('success', '1') and ('running', '0') in statuses, statuses
    assert run.answers[0].startswith('task/success ok'), run.answers
    assert run.answers[1].startswith('episode task_node'), run.answers
