# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 robot_learning maintainers
"""gym_bridge on real topics (rclpy, the conftest's domain, localhost only).

Each test runs the bridge and its probe in a namespace of their own, so other tests (or
another run of this suite) on the same domain cannot feed them commands.
"""

from collections import defaultdict
import itertools
import json
import math
import os
import subprocess
import sys
import time

import numpy as np
import pytest

rclpy = pytest.importorskip('rclpy')
gym = pytest.importorskip('gymnasium')

from builtin_interfaces.msg import Time  # noqa: E402, I100
from diagnostic_msgs.msg import DiagnosticArray, DiagnosticStatus  # noqa: E402
from geometry_msgs.msg import Twist, TwistStamped  # noqa: E402
from rclpy.executors import SingleThreadedExecutor  # noqa: E402
from rclpy.node import Node  # noqa: E402
from rclpy.parameter import Parameter  # noqa: E402
from rclpy.qos import QoSProfile, ReliabilityPolicy  # noqa: E402
from robot_learning.errors import ConfigError  # noqa: E402
from robot_learning_nodes.common import COMMAND_QOS, LATCHED_QOS, stamp_to_s  # noqa: E402
from robot_learning_sim.gym_bridge import GymBridge  # noqa: E402
from rosgraph_msgs.msg import Clock  # noqa: E402
from sensor_msgs.msg import JointState  # noqa: E402
from std_msgs.msg import Float64MultiArray, String, UInt64  # noqa: E402

RELIABLE = QoSProfile(depth=500, reliability=ReliabilityPolicy.RELIABLE)
_ns_counter = itertools.count()


def key(stamp):
    return (stamp.sec, stamp.nanosec)


def secs(k):
    return stamp_to_s(Time(sec=k[0], nanosec=k[1]))


def status(msg: DiagnosticArray) -> dict:
    st = msg.status[0]
    d = {kv.key: kv.value for kv in st.values}
    d['_message'], d['_name'], d['_level'] = st.message, st.name, st.level
    return d


class Probe(Node):
    """Records what the bridge publishes; sends commands, progress and resets."""

    def __init__(self, ns, stamped=True):
        super().__init__('gym_probe', namespace=ns)
        self.msgs = defaultdict(list)
        self.subs = {}
        for topic, typ in (
            ('episode', DiagnosticArray),
            ('joint_states', JointState),
            ('observation/array', Float64MultiArray),
            ('/clock', Clock),
        ):
            self.subs[topic] = self.create_subscription(
                typ, topic, lambda m, t=topic: self.msgs[t].append(m), RELIABLE
            )
        for topic in ('instruction', 'gym/spec'):
            self.create_subscription(
                String, topic, lambda m, t=topic: self.msgs[t].append(m), LATCHED_QOS
            )
        self.create_subscription(
            DiagnosticArray, '/diagnostics', lambda m: self.msgs['diagnostics'].append(m), 10
        )
        self.cmd = self.create_publisher(Float64MultiArray, 'commands', COMMAND_QOS)
        self.twist = self.create_publisher(
            TwistStamped if stamped else Twist, 'cmd_vel', COMMAND_QOS
        )
        self.progress = self.create_publisher(UInt64, 'learner/progress', COMMAND_QOS)
        self.action = None

    def stamps(self, topic='joint_states'):
        return [key(m.header.stamp) for m in self.msgs[topic]]

    def last(self, topic, stamp):
        return [m for m in self.msgs[topic] if key(m.header.stamp) == stamp][-1]

    def statuses(self):
        return {key(m.header.stamp): status(m) for m in self.msgs['episode']}

    def send(self, *values):
        self.cmd.publish(Float64MultiArray(data=[float(v) for v in values]))

    def send_action(self, stamp, field='effort', values=(0.0,)):
        m = JointState()
        m.header.stamp.sec, m.header.stamp.nanosec = stamp
        setattr(m, field, [float(v) for v in values])
        self.action.publish(m)


def spin_until(ex, pred, timeout):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if pred():
            return True
        ex.spin_once(timeout_sec=0.02)
    assert pred(), 'timed out'
    return True


def spin_for(ex, seconds):
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        ex.spin_once(timeout_sec=0.02)


@pytest.fixture
def bridge_env(rclpy_context):
    nodes = []
    ex = SingleThreadedExecutor()

    def make(wait_cmd=True, **params):
        ns = f'/gym_test_{os.getpid()}_{next(_ns_counter)}'
        defaults = {'lockstep_resend_s': 0.3}
        defaults.update(params)
        bridge = GymBridge(
            namespace=ns, parameter_overrides=[Parameter(k, value=v) for k, v in defaults.items()]
        )
        probe = Probe(ns, stamped=params.get('cmd_vel_stamped', True))
        for n in (bridge, probe):
            ex.add_node(n)
            nodes.append(n)
        pub = probe.twist if params.get('action_type') == 'twist' else probe.cmd
        # Discovery both ways; step 0 comes back by resend (or the next realtime tick).
        spin_until(
            ex,
            lambda: (pub.get_subscription_count() > 0 or not wait_cmd)
            and probe.msgs['joint_states']
            and probe.msgs['episode']
            and probe.msgs['gym/spec']
            and probe.msgs['instruction'],
            10.0,
        )
        return bridge, probe

    def add_action_publisher(bridge, probe):
        probe.action = probe.create_publisher(JointState, 'joint_action', COMMAND_QOS)
        spin_until(ex, lambda: bridge._action_sub.get_publisher_count() > 0, 5.0)

    yield ex, make, add_action_publisher
    for n in nodes:
        ex.remove_node(n)
        n.destroy_node()
    ex.shutdown()


def step(ex, probe, send):
    """Send one command (``send()``) and wait for the next observation and its status."""
    seen = set(probe.stamps())
    send()
    spin_until(ex, lambda: set(probe.stamps()) - seen, 3.0)
    (new,) = set(probe.stamps()) - seen
    spin_until(ex, lambda: new in probe.statuses(), 2.0)
    return new


def test_lockstep_pendulum_matches_gym_bit_exactly(bridge_env):
    ex, make, _ = bridge_env
    bridge, probe = make(
        env_id='Pendulum-v1', seed=7, max_episode_steps=4, observation_type='array'
    )
    spec = json.loads(probe.msgs['gym/spec'][-1].data)
    assert spec['env_id'] == 'Pendulum-v1' and spec['obs_dim'] == 3
    assert spec['joint_names'] == ['obs_0', 'obs_1', 'obs_2'] and spec['position_dim'] == 3
    assert spec['action_dim'] == 1 and spec['action_low'] == [-2.0]
    assert spec['action_high'] == [2.0] and spec['dt'] == 0.05
    assert spec['max_episode_steps'] == 4
    assert spec['observation_names'] == spec['joint_names'] and spec['velocity_dim'] == 0
    assert spec['action_names'] == ['action_0']
    assert probe.msgs['instruction'][-1].data == 'Pendulum-v1'

    env = gym.make('Pendulum-v1', max_episode_steps=4)
    ref, _ = env.reset(seed=7)
    (t0,) = set(probe.stamps())
    js = probe.last('joint_states', t0)
    assert list(js.name) == ['obs_0', 'obs_1', 'obs_2'] and len(js.velocity) == 0
    np.testing.assert_array_equal(np.array(js.position), ref.astype(np.float64))
    st = probe.statuses()[t0]
    assert (st['_name'], st['_message'], st['step'], st['episode']) == (
        'episode',
        'running',
        '0',
        '0',
    )
    assert st['prev_stamp'] == '-1' and float(st['reward']) == 0.0
    assert st['instruction'] == 'Pendulum-v1'

    # 3.0 is clipped to the bound 2.0; the 5th command only starts episode 1.
    actions = [0.5, -1.25, 3.0, 1.0, 0.7, 0.25]
    prev, ret = t0, 0.0
    for i, a in enumerate(actions):
        t = step(ex, probe, lambda a=a: probe.send(a))
        st = probe.statuses()[t]
        js = probe.last('joint_states', t)
        assert secs(t) == pytest.approx(secs(prev) + 0.05, abs=1e-6)
        if i == 4:  # autoreset: a new episode, the command is not applied
            ref, _ = env.reset()  # no seed: the env's RNG continues
            assert (st['episode'], st['step'], st['prev_stamp']) == ('1', '0', '-1')
            assert float(st['reward']) == 0.0 and st['_message'] == 'running'
            ret = 0.0
        else:
            ref, r, term, trunc, _ = env.step(np.clip(np.array([a], np.float32), -2, 2))
            ret += float(r)
            assert st['reward'] == repr(float(r))
            assert float(st['return']) == pytest.approx(ret, abs=1e-9)
            assert float(st['prev_stamp']) == secs(prev)
            assert st['step'] == str(i + 1 if i < 4 else 1)
            assert st['terminated'] == '0' and st['truncated'] == ('1' if trunc else '0')
            assert st['_message'] == ('timeout' if i == 3 else 'running')
            assert trunc == (i == 3) and not term
        np.testing.assert_array_equal(np.array(js.position), ref.astype(np.float64))
        # observation/array (unstamped) carries the same vector.
        spin_until(
            ex,
            lambda js=js: any(
                list(m.data) == list(js.position) for m in probe.msgs['observation/array']
            ),
            2.0,
        )
        arr = probe.msgs['observation/array'][-1]
        assert arr.layout.dim[0].label == 'observation' and arr.layout.dim[0].size == 3
        prev = t
    spin_until(
        ex, lambda: {key(m.clock) for m in probe.msgs['/clock']} >= set(probe.stamps()), 2.0
    )  # /clock carries every step stamp
    spin_for(ex, 0.5)  # one command, one step: resends repeat the last stamp only
    assert len(set(probe.stamps())) == len(actions) + 1 and bridge.lockstep.steps_total == 5
    assert bridge.diag.counters['episodes'] == 2
    assert bridge.diag.counters['outcome_timeout'] == 1
    assert bridge.diag.counters['clipped_commands'] == 1


def test_inverted_pendulum_joint_names_split_and_failure(bridge_env):
    ex, make, _ = bridge_env
    bridge, probe = make(
        env_id='InvertedPendulum-v5', seed=1, action_type='twist', cmd_vel_stamped=False
    )  # the plain Twist option
    spec = json.loads(probe.msgs['gym/spec'][-1].data)
    assert spec['joint_names'] == ['slider', 'hinge'] and spec['position_dim'] == 2
    assert spec['obs_dim'] == 4 and spec['velocity_dim'] == 2
    assert spec['observation_names'] == [
        'slider.position',
        'hinge.position',
        'slider.velocity',
        'hinge.velocity',
    ]
    assert spec['action_names'] == ['linear.x']  # action_type twist
    assert spec['dt'] == pytest.approx(0.04)
    env = gym.make('InvertedPendulum-v5')
    ref, _ = env.reset(seed=1)
    (t,) = set(probe.stamps())
    for n in range(1, 60):
        js = probe.last('joint_states', t)
        assert list(js.name) == ['slider', 'hinge']
        np.testing.assert_array_equal(np.array(js.position), ref[:2])
        np.testing.assert_array_equal(np.array(js.velocity), ref[2:])
        tw = Twist()
        tw.linear.x = 5.0  # clipped to 3.0: the pole falls within a few steps
        t = step(ex, probe, lambda tw=tw: probe.twist.publish(tw))
        ref, r, term, _, _ = env.step(np.array([3.0], np.float32))
        st = probe.statuses()[t]
        assert st['reward'] == repr(float(r)) and st['step'] == str(n)
        if term:
            break
    assert term and st['_message'] == 'failure' and st['terminated'] == '1'
    assert st['_level'] == DiagnosticStatus.WARN
    np.testing.assert_array_equal(np.array(probe.last('joint_states', t).position), ref[:2])
    assert bridge.diag.counters['outcome_failure'] == 1


def test_wrong_length_and_nonfinite_commands_are_rejected(bridge_env):
    ex, make, _ = bridge_env
    bridge, probe = make(env_id='Pendulum-v1')
    n = len(set(probe.stamps()))
    probe.send(1.0, 2.0)
    spin_until(ex, lambda: bridge.diag.counters.get('error_command_length', 0) == 1, 3.0)
    assert (
        'commands has 2 values, Pendulum-v1 expects 1 (action space Box(-2.0, 2.0, (1,)'
        in bridge.diag.last_error
    )
    probe.send()
    probe.send(float('nan'))
    probe.send(float('inf'))
    spin_until(ex, lambda: bridge.diag.counters.get('error_command_nonfinite', 0) == 2, 3.0)
    assert 'non-finite' in bridge.diag.last_error
    spin_for(ex, 0.4)
    assert bridge.lockstep.steps_total == 0 and len(set(probe.stamps())) == n
    assert bridge.diag.counters['error_command_length'] == 2
    assert bridge.diag.counters['rejected_commands'] == 4

    def reported():  # the counts reach /diagnostics
        for m in probe.msgs['diagnostics']:
            for st in m.status:
                vals = {kv.key: kv.value for kv in st.values}
                if (
                    st.name == 'gym_bridge: commands'
                    and st.hardware_id == bridge.get_fully_qualified_name()
                    and vals.get('rejected_commands') == '4'
                ):
                    return (
                        st.level == DiagnosticStatus.WARN
                        and vals['error_command_nonfinite'] == '2'
                    )
        return False

    spin_until(ex, reported, 3.0)
    step(ex, probe, lambda: probe.send(0.5))  # still alive and stepping
    assert bridge.lockstep.steps_total == 1


def test_stamped_joint_action_steps_only_for_the_current_observation(bridge_env):
    ex, make, add_action_publisher = bridge_env
    bridge, probe = make(env_id='Pendulum-v1', lockstep_resend_s=0.2)
    add_action_publisher(bridge, probe)
    (t0,) = set(probe.stamps())
    probe.send(0.5)  # a joint_action publisher is matched: commands do not step
    probe.send_action((t0[0] + 7, t0[1]), values=(0.5,))  # answers another observation
    probe.send_action(t0, values=(0.5, 0.5))  # right stamp, wrong length: rejected
    spin_for(ex, 0.5)
    assert bridge.lockstep.steps_total == 0 and set(probe.stamps()) == {t0}
    assert bridge.diag.counters['commands_ignored_while_paired'] == 1
    assert bridge.diag.counters['error_command_length'] == 1
    probe.send_action(t0, values=(0.5,))
    probe.send_action(t0, values=(0.5,))  # a second answer to the same observation
    spin_until(ex, lambda: len(set(probe.stamps())) == 2, 3.0)
    spin_for(ex, 0.4)
    assert bridge.lockstep.steps_total == 1 and len(set(probe.stamps())) == 2
    assert bridge.diag.counters['stale_actions'] == 2
    (t1,) = set(probe.stamps()) - {t0}
    step(ex, probe, lambda: probe.send_action(t1, field='velocity', values=(-0.75,)))
    assert bridge.lockstep.steps_total == 2
    np.testing.assert_array_equal(bridge.last_action, np.array([-0.75], np.float32))
    # The reference run: same seed, same actions.
    env = gym.make('Pendulum-v1')
    env.reset(seed=0)
    env.step(np.array([0.5], np.float32))
    ref = env.step(np.array([-0.75], np.float32))[0]
    last = sorted(set(probe.stamps()))[-1]
    np.testing.assert_array_equal(np.array(probe.last('joint_states', last).position), ref)


def _pendulum_torque(o0, o1, dt=0.05):
    """Recover u from two consecutive Pendulum-v1 observations (g=10, m=l=1)."""
    return ((o1[2] - o0[2]) / dt - 15.0 * o0[1]) / 3.0


def test_realtime_steps_at_the_rate_with_the_latest_command(bridge_env):
    ex, make, _ = bridge_env
    bridge, probe = make(env_id='Pendulum-v1', mode='realtime', cmd_timeout=0.25)
    assert bridge.control_rate == pytest.approx(20.0)  # 1 / env dt
    start = len(set(probe.stamps()))
    end = time.monotonic() + 1.0
    while time.monotonic() < end:
        probe.send(0.5)  # a joystick at ~50 Hz
        spin_for(ex, 0.02)
    stamps = sorted(set(probe.stamps()))
    spin_until(ex, lambda: all(s in probe.statuses() for s in stamps[-4:]), 2.0)
    assert 8 <= len(stamps) - start <= 25  # ~20 Hz of wall time (loose: shared CPUs)
    by_stamp = {key(m.header.stamp): np.array(m.position) for m in probe.msgs['joint_states']}
    statuses = probe.statuses()
    for a, b in zip(stamps[-4:], stamps[-3:]):
        assert secs(b) - secs(a) == pytest.approx(0.05, abs=1e-6)
        assert float(statuses[b]['prev_stamp']) == secs(a)
        if abs(by_stamp[b][2]) < 7.9:  # not at the speed limit
            assert _pendulum_torque(by_stamp[a], by_stamp[b]) == pytest.approx(0.5, abs=1e-3)
    np.testing.assert_array_equal(bridge.last_action, np.array([0.5], np.float32))
    spin_for(ex, 0.6)  # no command for longer than cmd_timeout: zero torque
    stamps = sorted(set(probe.stamps()))
    a, b = stamps[-2], stamps[-1]
    o_a = np.array(probe.last('joint_states', a).position)
    o_b = np.array(probe.last('joint_states', b).position)
    if abs(o_b[2]) < 7.9:
        assert _pendulum_torque(o_a, o_b) == pytest.approx(0.0, abs=1e-3)
    np.testing.assert_array_equal(bridge.last_action, np.zeros(1, np.float32))


def test_lockstep_max_lag_waits_for_learner_progress(bridge_env):
    ex, make, _ = bridge_env
    bridge, probe = make(
        env_id='Pendulum-v1', lockstep_max_lag=2, lockstep_lag_timeout_s=1.5, lockstep_resend_s=0.2
    )
    for _ in range(4):  # no progress yet: no waiting at all
        step(ex, probe, lambda: probe.send(0.1))
    assert bridge.lockstep.steps_total == 4
    probe.progress.publish(UInt64(data=1))
    spin_until(ex, lambda: bridge.lockstep.pacing.progress == 1, 3.0)
    n, resends = len(set(probe.stamps())), bridge.diag.counters.get('resends', 0)
    probe.send(0.1)  # 4 - 1 > 2: held
    spin_for(ex, 0.5)
    assert bridge.lockstep.steps_total == 4 and len(set(probe.stamps())) == n
    assert bridge.diag.counters.get('resends', 0) == resends  # waiting is not a lost message
    assert bridge.diag.counters['lag_waits'] == 1
    probe.progress.publish(UInt64(data=2))  # 4 - 2 <= 2: released
    spin_until(ex, lambda: bridge.lockstep.steps_total == 5, 3.0)
    t_progress = time.monotonic()
    probe.send(0.1)  # 5 - 2 > 2: held until the learner counts as gone (1.5 s)
    spin_for(ex, 0.4)
    assert bridge.lockstep.steps_total == 5
    spin_until(ex, lambda: bridge.lockstep.steps_total == 6, 3.0)
    assert time.monotonic() - t_progress >= 1.4
    spin_until(ex, lambda: len(set(probe.stamps())) == n + 2, 2.0)
    assert bridge.diag.counters['lag_waits'] == 2
    assert bridge.diag.counters['lag_timeouts'] == 1
    step(ex, probe, lambda: probe.send(0.1))  # the learner stays silent: no more waiting
    assert bridge.lockstep.steps_total == 7


def test_reset_service_and_instruction(bridge_env):
    from std_srvs.srv import Trigger

    ex, make, _ = bridge_env
    bridge, probe = make(
        env_id='Pendulum-v1', instruction='swing up', autoreset=False, max_episode_steps=1
    )
    assert probe.msgs['instruction'][-1].data == 'swing up'
    t1 = step(ex, probe, lambda: probe.send(1.0))
    assert probe.statuses()[t1]['_message'] == 'timeout'
    probe.send(1.0)  # autoreset off: waits for sim/reset
    spin_for(ex, 0.4)
    assert bridge.diag.counters['cmds_while_waiting_for_reset'] == 1
    client = probe.create_client(Trigger, 'sim/reset')
    spin_until(ex, client.service_is_ready, 5.0)
    fut = client.call_async(Trigger.Request())
    spin_until(ex, fut.done, 5.0)
    assert fut.result().success and fut.result().message == 'episode 1: swing up'
    spin_until(ex, lambda: any(s['episode'] == '1' for s in probe.statuses().values()), 3.0)
    st = [s for s in probe.statuses().values() if s['episode'] == '1'][0]
    assert (st['step'], st['prev_stamp'], st['instruction']) == ('0', '-1', 'swing up')


def test_unusable_configurations_are_one_line_errors(rclpy_context):
    cases = [
        ({'env_id': 'NoSuchEnv-v0'}, 'NoSuchEnv'),
        ({'env_id': 'CartPole-v1'}, 'Discrete(2)'),
        ({'env_kwargs': '{"g": '}, 'env_kwargs is not valid JSON'),
        ({'env_kwargs': '{"bogus": 1}'}, 'bogus'),
        ({'env_id': 'Hopper-v5', 'action_type': 'twist'}, "action_type 'twist'"),
        ({'mode': 'fast'}, "mode 'fast' must be one of"),
    ]
    for params, text in cases:
        with pytest.raises(ConfigError) as info:
            GymBridge(parameter_overrides=[Parameter(k, value=v) for k, v in params.items()])
        assert text in str(info.value) and '\n' not in str(info.value), str(info.value)


def test_bad_env_id_exits_with_one_line():
    import robot_learning
    import robot_learning_nodes
    import robot_learning_sim

    paths = [
        os.path.dirname(os.path.dirname(m.__file__))
        for m in (robot_learning, robot_learning_nodes, robot_learning_sim)
    ]
    env = dict(os.environ)
    env['PYTHONPATH'] = os.pathsep.join(paths + [env.get('PYTHONPATH', '')])
    res = subprocess.run(
        [
            sys.executable,
            '-m',
            'robot_learning_sim.gym_bridge',
            '--ros-args',
            '-p',
            'env_id:=NoSuchEnv-v0',
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert res.returncode == 2
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and 'NoSuchEnv' in lines[0] and lines[0].startswith('GymBridge: ')


def test_torque_recovery_helper_matches_pendulum():
    """The realtime test reads the applied torque back from observations: check how."""
    env = gym.make('Pendulum-v1')
    o0, _ = env.reset(seed=3)
    o1 = env.step(np.array([1.25], np.float32))[0]
    assert _pendulum_torque(o0, o1) == pytest.approx(1.25, abs=1e-3)


class _ToyEnv(gym.Env):
    """Fake env: 2-D actions, no ``dt``, bad values at step 2, success at step 3.

    A NaN observation and an infinite reward at step 2; terminates with
    ``info['is_success']`` at step 3.
    """

    observation_space = gym.spaces.Box(-np.inf, np.inf, (2,), np.float64)
    action_space = gym.spaces.Box(-1.0, 1.0, (2,), np.float32)

    def reset(self, seed=None, options=None):
        super().reset(seed=seed)
        self.n = 0
        return np.zeros(2), {}

    def step(self, action):
        self.n += 1
        obs = np.array([float(self.n), np.nan if self.n == 2 else float(action[1])])
        reward = np.inf if self.n == 2 else 1.0
        return obs, reward, self.n == 3, False, {'is_success': self.n == 3}


def test_twist_success_and_nonfinite_env_values(bridge_env):
    if 'GymBridgeToy-v0' not in gym.registry:
        gym.register(id='GymBridgeToy-v0', entry_point=_ToyEnv)
    ex, make, _ = bridge_env
    bridge, probe = make(env_id='GymBridgeToy-v0', action_type='twist')
    spec = json.loads(probe.msgs['gym/spec'][-1].data)
    assert spec['dt'] == 0.05 and spec['observation_low'] == [None, None]  # no dt: 20 Hz
    tw = TwistStamped()  # the default, as the policy node publishes
    tw.twist.linear.x, tw.twist.angular.z = 0.25, -3.0  # [linear.x, angular.z]; -3 clipped
    stamps = [step(ex, probe, lambda: probe.twist.publish(tw)) for _ in range(3)]
    np.testing.assert_array_equal(bridge.last_action, np.array([0.25, -1.0], np.float32))
    sts = [probe.statuses()[t] for t in stamps]
    assert [s['_message'] for s in sts] == ['running', 'running', 'success']
    assert sts[2]['terminated'] == '1' and sts[1]['reward'] == 'inf'
    js = probe.last('joint_states', stamps[1])
    assert js.position[0] == 2.0 and math.isnan(js.position[1])  # published as it is
    assert list(probe.last('joint_states', stamps[0]).position) == [1.0, -1.0]
    assert bridge.diag.counters['error_nonfinite_observation'] == 1
    assert bridge.diag.counters['error_nonfinite_reward'] == 1
    assert bridge.diag.counters['outcome_success'] == 1
