# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 robot_learning maintainers
"""gym_bridge parameters and diagnostics: live sets take effect, bad values are refused."""

import pytest

pytest.importorskip('rclpy')

from rclpy.parameter import Parameter  # noqa: E402
from robot_learning.errors import ConfigError  # noqa: E402
from robot_learning_sim.gym_bridge import GymBridge  # noqa: E402
from test_gym_bridge import bridge_env, spin_for, spin_until, step  # noqa: E402, F401, F811


def set_param(node, name, value):
    (r,) = node.set_parameters([Parameter(name, value=value)])
    return r


def test_live_resend_and_instruction_take_effect(bridge_env):  # noqa: F811
    from std_srvs.srv import Trigger

    ex, make, _ = bridge_env
    bridge, probe = make(env_id='Pendulum-v1')  # resend after 0.3 s
    spin_until(ex, lambda: len(probe.msgs['joint_states']) >= 2, 5.0)  # step 0 republished
    assert set_param(bridge, 'lockstep_resend_s', 0.0).successful
    spin_for(ex, 0.1)
    n = len(probe.msgs['joint_states'])
    spin_for(ex, 1.0)
    assert len(probe.msgs['joint_states']) == n  # 0 = never resend, applied live
    assert set_param(bridge, 'instruction', 'balance it').successful
    client = probe.create_client(Trigger, 'sim/reset')
    spin_until(ex, client.service_is_ready, 5.0)
    fut = client.call_async(Trigger.Request())
    spin_until(ex, fut.done, 5.0)
    assert fut.result().message == 'episode 1: balance it'
    spin_until(ex, lambda: probe.msgs['instruction'][-1].data == 'balance it', 3.0)


def test_out_of_range_and_read_only_sets_are_refused(bridge_env):  # noqa: F811
    ex, make, _ = bridge_env
    bridge, probe = make(env_id='Pendulum-v1')
    r = set_param(bridge, 'cmd_timeout', -1.0)
    assert not r.successful and 'out of range' in r.reason and bridge.lockstep.cmd_timeout == 0.5
    for name, value in (('env_id', 'CartPole-v1'), ('lockstep_max_lag', 3), ('seed', 1)):
        r = set_param(bridge, name, value)
        assert not r.successful and 'read-only' in r.reason, name
    assert bridge.env_id == 'Pendulum-v1'
    step(ex, probe, lambda: probe.send(0.5))  # still stepping


def test_out_of_range_start_value_is_one_config_error(rclpy_context):
    with pytest.raises(ConfigError, match='lockstep_resend_s') as info:
        GymBridge(parameter_overrides=[Parameter('lockstep_resend_s', value=-1.0)])
    assert '\n' not in str(info.value)


def test_diagnostics_commands_task_warns_then_clears(bridge_env):  # noqa: F811
    ex, make, _ = bridge_env
    bridge, probe = make(env_id='Pendulum-v1', **{'diagnostics.window_s': 1.0})
    probe.send(1.0, 2.0)  # wrong length: rejected and counted
    spin_until(ex, lambda: bridge.diag.counters.get('error_command_length', 0) == 1, 3.0)
    assert bridge.diag.level('commands') == 1
    assert bridge.diag.level('environment') == 0
    names = [st.name for st in bridge.diag.statuses()]
    assert names == ['gym_bridge: environment', 'gym_bridge: commands']
    spin_until(ex, lambda: bridge.diag.level('commands') == 0, 5.0)
