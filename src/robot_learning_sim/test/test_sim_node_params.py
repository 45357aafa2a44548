# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 robot_learning maintainers
"""sim_node parameters and diagnostics: live sets take effect, bad values are refused."""

import os
import subprocess
import sys

import pytest

pytest.importorskip('rclpy')

from rclpy.parameter import Parameter  # noqa: E402
from robot_learning.errors import ConfigError  # noqa: E402
from robot_learning_sim.sim_node import SimNode  # noqa: E402
from test_sim_node import sim_env, spin_for, spin_until  # noqa: E402, F401, F811


def set_param(node, name, value):
    (r,) = node.set_parameters([Parameter(name, value=value)])
    return r


def test_live_resend_and_camera_take_effect(sim_env):  # noqa: F811
    ex, make, _ = sim_env
    sim, probe = make()  # lockstep, resend after 0.3 s
    spin_until(ex, lambda: len(probe.msgs['scan']) >= 2, 5.0)  # step 0 republished
    assert set_param(sim, 'lockstep_resend_s', 0.0).successful
    spin_for(ex, 0.1)
    n = len(probe.msgs['scan'])
    spin_for(ex, 1.0)
    assert len(probe.msgs['scan']) == n  # 0 = never resend, applied live
    assert set_param(sim, 'lockstep_resend_s', 0.1).successful
    spin_until(ex, lambda: len(probe.msgs['scan']) > n, 3.0)  # the timer is re-armed
    # camera_every 0: steps publish no image any more.
    assert set_param(sim, 'camera_every', 0).successful
    assert set_param(sim, 'lockstep_resend_s', 0.0).successful
    spin_for(ex, 0.1)
    images = len(probe.msgs['camera/image_raw'])
    steps = len(set(probe.stamps('scan')))
    probe.send(0.1, 0.0)
    spin_until(ex, lambda: len(set(probe.stamps('scan'))) > steps, 3.0)
    spin_for(ex, 0.2)
    assert len(probe.msgs['camera/image_raw']) == images


def test_out_of_range_and_read_only_sets_are_refused(sim_env):  # noqa: F811
    ex, make, _ = sim_env
    sim, _ = make()
    r = set_param(sim, 'camera_every', -1)
    assert not r.successful and 'out of range' in r.reason and sim.camera_every == 1
    r = set_param(sim, 'cmd_timeout', -0.5)
    assert not r.successful and sim.lockstep.cmd_timeout == 0.5
    for name, value in (('control_rate', 20.0), ('seed', 4), ('mode', 'realtime')):
        r = set_param(sim, name, value)
        assert not r.successful and 'read-only' in r.reason, name
    assert sim.world.cfg.control_dt == pytest.approx(0.1)


def test_bad_parameters_are_config_errors(rclpy_context):
    for name, value, match in (
        ('mode', 'fast', 'mode'),
        ('control_rate', 0.0, 'control_rate'),
        ('lockstep_commands', 'both', 'lockstep_commands'),
        ('camera_every', -2, 'camera_every'),
        # The world's own checks (ValueError inside) surface as one-line ConfigErrors too.
        ('colors', ['red', 'mauve'], 'unknown colours'),
        ('colors', ['red'], 'colors must be'),
        ('progress', 'manhattan', "progress must be 'straight' or 'path'"),
        ('appearance', 'night', r"appearance 'night' must be one of \['default', 'shifted'\]"),
        ('randomize.light', 2.0, 'parameter randomize.light'),
        ('randomize.image_noise', -1.0, 'parameter randomize.image_noise'),
    ):
        with pytest.raises(ConfigError, match=match) as info:
            SimNode(parameter_overrides=[Parameter(name, value=value)])
        assert '\n' not in str(info.value)


def test_path_progress_reaches_the_world(rclpy_context):
    sim = SimNode(parameter_overrides=[Parameter('progress', value='path')])
    try:
        assert sim.world.cfg.progress == 'path'
        sim.world.reset(seed=0)
        assert sim.world._path is not None  # the episode's path field was built
    finally:
        sim.destroy_node()


def test_bad_parameter_exits_2_with_one_line(rclpy_context):
    proc = subprocess.run(
        [sys.executable, '-m', 'robot_learning_sim.sim_node', '--ros-args', '-p', 'mode:=fast'],
        capture_output=True,
        text=True,
        timeout=120,
        env=dict(os.environ),
    )
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and 'mode' in lines[0] and 'Traceback' not in proc.stderr


def test_diagnostics_tasks_and_windowed_levels(sim_env):  # noqa: F811
    ex, make, _ = sim_env
    sim, probe = make(**{'diagnostics.window_s': 1.0, 'diagnostics.period_s': 0.2})

    def statuses():
        for m in reversed(probe.msgs['diagnostics']):
            if m.status and m.status[0].hardware_id == sim.get_fully_qualified_name():
                return {st.name: st for st in m.status}
        return {}

    spin_until(ex, lambda: set(statuses()) == {'sim_node: simulation', 'sim_node: commands'}, 5.0)
    steps = len(set(probe.stamps('scan')))
    probe.send(float('nan'), 0.0)
    spin_until(ex, lambda: len(set(probe.stamps('scan'))) > steps, 3.0)
    spin_until(ex, lambda: statuses()['sim_node: commands'].level == b'\x01', 5.0)
    assert 'non-finite' in statuses()['sim_node: commands'].message
    assert statuses()['sim_node: simulation'].level == b'\x00'
    # The bad command leaves the 1 s window: OK again.
    spin_until(ex, lambda: statuses()['sim_node: commands'].level == b'\x00', 5.0)


def test_expert_teleop_live_limits_and_enable(sim_env):  # noqa: F811
    from geometry_msgs.msg import TwistStamped
    from robot_learning_nodes.common import COMMAND_QOS
    from robot_learning_sim.expert_teleop import ExpertTeleop

    ex, make, nodes = sim_env
    sim, probe = make(camera_every=0)
    teleop = ExpertTeleop()
    got = []

    def relay(m: TwistStamped):
        got.append(m)
        probe.send(m.twist.linear.x, m.twist.angular.z)

    probe.create_subscription(TwistStamped, 'teleop/cmd_vel', relay, COMMAND_QOS)
    ex.add_node(teleop)
    nodes.append(teleop)
    spin_until(ex, lambda: len(got) >= 3, 20.0)
    # Out of range / fixed at start-up: refused, nothing changes.
    r = set_param(teleop, 'max_linear', -1.0)
    assert not r.successful and 'out of range' in r.reason
    assert teleop.policy.cfg.max_linear == 0.6 and teleop.get_parameter('max_linear').value == 0.6
    r = set_param(teleop, 'stall_steps', 3)
    assert not r.successful and 'read-only' in r.reason
    # Live: a lower speed limit applies to the next commands.
    assert set_param(teleop, 'max_linear', 0.1).successful
    spin_for(ex, 0.2)
    n = len(got)
    spin_until(ex, lambda: len(got) >= n + 3, 10.0)
    assert all(m.twist.linear.x <= 0.1 + 1e-9 for m in got[n:])
    # Live: disabled, the expert stays silent (the sim still resends its step).
    assert set_param(teleop, 'enabled', False).successful
    spin_for(ex, 0.2)
    n = len(got)
    spin_for(ex, 1.0)
    assert len(got) == n
    d = {st.name: st for st in teleop.diag.statuses()}
    assert set(d) == {'expert_teleop: inputs', 'expert_teleop: commands'}


def test_expert_teleop_bad_takeover_is_config_error(rclpy_context):
    from robot_learning_sim.expert_teleop import ExpertTeleop

    with pytest.raises(ConfigError, match='takeover'):
        ExpertTeleop(parameter_overrides=[Parameter('takeover', value='sometimes')])
    with pytest.raises(ConfigError, match='takeover_steps'):
        ExpertTeleop(parameter_overrides=[Parameter('takeover_steps', value=0)])


def test_every_parameter_is_live_or_read_only(rclpy_context):
    from robot_learning_sim.expert_teleop import ExpertTeleop
    from robot_learning_sim.gym_bridge import GymBridge

    for cls in (SimNode, GymBridge, ExpertTeleop):
        node = cls()
        try:
            live = set(node._rl_live_appliers)
            assert live, cls.__name__
            unlocked = [
                name
                for name in node._parameters
                if name not in live
                and name != 'use_sim_time'
                and not node.describe_parameter(name).read_only
            ]
            assert unlocked == [], cls.__name__
        finally:
            node.destroy_node()


def test_sim_node_paces_by_learner_progress_like_the_bridge(sim_env):  # noqa: F811
    """The stepper is shared: lockstep_max_lag holds sim_node's steps too."""
    from rclpy.qos import QoSProfile, ReliabilityPolicy
    from std_msgs.msg import UInt64

    ex, make, nodes = sim_env
    sim, probe = make(camera_every=0, lockstep_max_lag=2, lockstep_commands='cmd_vel')
    progress = probe.create_publisher(
        UInt64, 'learner/progress', QoSProfile(depth=10, reliability=ReliabilityPolicy.RELIABLE)
    )
    spin_until(ex, lambda: progress.get_subscription_count() > 0, 5.0)

    def one_step():
        n = sim.lockstep.steps_total
        probe.send(0.1, 0.0)
        spin_until(ex, lambda: sim.lockstep.steps_total == n + 1, 3.0)

    for _ in range(3):  # no progress yet: no waiting at all
        one_step()
    progress.publish(UInt64(data=0))
    spin_until(ex, lambda: sim.lockstep.pacing.progress == 0, 3.0)
    probe.send(0.1, 0.0)  # 3 - 0 > 2: held
    spin_until(ex, lambda: sim.diag.counters.get('lag_waits', 0) == 1, 3.0)
    assert sim.lockstep.steps_total == 3
    progress.publish(UInt64(data=1))  # 3 - 1 <= 2: released
    spin_until(ex, lambda: sim.lockstep.steps_total == 4, 3.0)


def test_curriculum_parameters_move_the_world_up_a_level(rclpy_context):
    sim = SimNode(parameter_overrides=[
        Parameter('curriculum', value=True),
        Parameter('curriculum.levels', value=[1.5, 0.0]),
        Parameter('curriculum.window', value=3),
    ])
    try:
        assert sim.world.cfg.goal_distance_max == 1.5
        for _ in range(2):
            sim._curriculum_step(True)
        assert sim.world.cfg.goal_distance_max == 1.5  # the window is not full yet
        sim._curriculum_step(True)
        assert sim.world.cfg.goal_distance_max == 0.0 and sim.curriculum.final
    finally:
        sim.destroy_node()
    plain = SimNode()
    try:
        assert plain.curriculum is None and plain.world.cfg.goal_distance_max == 0.0
    finally:
        plain.destroy_node()


@pytest.mark.parametrize('levels, match', [
    ([0.5, 0.0], 'at least 1.0 m'),
    ([0.0, 2.0], 'may only be the last'),
])
def test_bad_curriculum_levels_are_one_line_config_errors(rclpy_context, levels, match):
    with pytest.raises(ConfigError, match=match) as info:
        SimNode(parameter_overrides=[
            Parameter('curriculum', value=True), Parameter('curriculum.levels', value=levels),
        ])
    assert '\n' not in str(info.value)


def test_appearance_parameters_are_read_only_with_ranges_and_reach_the_world(rclpy_context):
    from robot_learning_sim.appearance import AMPLITUDES

    sim = SimNode(parameter_overrides=[
        Parameter('randomize', value=True),
        Parameter('randomize.image_noise', value=8.0),
        Parameter('appearance', value='shifted'),
    ])
    try:
        look = sim.world.cfg.appearance
        assert look.randomize and look.appearance == 'shifted' and look.image_noise == 8.0
        assert look.floor_rgb == 0.25  # the dataclass default
        for name in ('randomize', 'appearance'):
            assert sim.describe_parameter(name).read_only, name
        for field, (lo, hi, _) in AMPLITUDES.items():
            d = sim.describe_parameter(f'randomize.{field}')
            assert d.read_only, field
            (r,) = d.floating_point_range
            assert (r.from_value, r.to_value) == (lo, hi), field
            r = set_param(sim, f'randomize.{field}', lo)
            assert not r.successful and 'read-only' in r.reason, field
        assert sim.diag.values['appearance'] == 'shifted'
        assert sim.diag.values['randomize'] == 'True'
    finally:
        sim.destroy_node()
    plain = SimNode()
    try:
        look = plain.world.cfg.appearance
        assert not look.randomize and look.appearance == 'default'
        assert not plain.world._look.active  # the default world is untouched
    finally:
        plain.destroy_node()
