# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 robot_learning maintainers
"""common.declare / live_parameters / Diagnostics on a real node, over its services and topics."""

import pytest
from rclpy.node import Node
from rclpy.parameter import Parameter
from robot_learning.errors import ConfigError
from robot_learning_nodes.common import declare, declare_dataclass, Diagnostics, live_parameters


class Toy(Node):
    def __init__(self, ns, overrides=()):
        super().__init__('toy', namespace=ns, parameter_overrides=list(overrides))
        self.limit = declare(self, 'limit', 0.5, 'a limit, m/s', min_value=0.0, max_value=2.0)
        self.rate = declare(self, 'rate', 10, 'a rate, Hz', min_value=1, max_value=100)
        self.size = declare(self, 'size', 64, 'fixed size, px', min_value=1)
        self.label = declare(self, 'label', 'a', 'a label')
        self.diag = Diagnostics(self, window_s=0.6)
        self.diag.task('inputs', keys=('frames',), errors=('error_frame',))
        self.diag.task('outputs', keys=('sent',))

        def set_rate(v):
            if v == 13:
                raise ConfigError('13 brings bad luck')
            self.rate = v

        live_parameters(self, {'limit': lambda v: setattr(self, 'limit', v), 'rate': set_rate})


def test_out_of_range_at_start_is_one_config_error(ros):
    with pytest.raises(ConfigError) as info:
        Toy(ros.ns, [Parameter('limit', value=3.0)])
    msg = str(info.value)
    assert '\n' not in msg and 'limit' in msg and 'out of range' in msg
    with pytest.raises(ConfigError, match='rate'):
        Toy(ros.ns, [Parameter('rate', value=2.5)])  # wrong type


def test_live_set_range_read_only_and_refusal(ros):
    toy = ros.add(Toy(ros.ns))
    desc = toy.describe_parameter('limit')
    assert desc.floating_point_range[0].to_value == 2.0 and not desc.read_only
    assert toy.describe_parameter('size').integer_range[0].from_value == 1
    assert toy.describe_parameter('size').read_only  # not live: locked
    assert toy.describe_parameter('label').read_only

    (r,) = ros.set_params(toy, limit=1.5)
    assert r.successful and toy.limit == 1.5
    (r,) = ros.set_params(toy, limit=2.5)
    assert not r.successful and 'out of range' in r.reason
    assert toy.limit == 1.5 and toy.get_parameter('limit').value == 1.5
    (r,) = ros.set_params(toy, size=32)
    assert not r.successful and 'read-only' in r.reason and toy.size == 64
    (r,) = ros.set_params(toy, rate=13)
    assert not r.successful and 'bad luck' in r.reason
    assert toy.rate == 10 and toy.get_parameter('rate').value == 10


def test_atomic_refusal_rolls_back_what_was_applied(ros):
    toy = ros.add(Toy(ros.ns))
    results = toy.set_parameters_atomically(
        [Parameter('limit', value=1.0), Parameter('rate', value=13)]
    )
    assert not results.successful
    assert toy.limit == 0.5 and toy.get_parameter('limit').value == 0.5


def test_parameter_declared_after_the_lock_is_refused(ros):
    toy = ros.add(Toy(ros.ns))
    declare(toy, 'late', 1.0, 'declared after live_parameters')
    (r,) = ros.set_params(toy, late=2.0)
    assert not r.successful and 'fixed at start-up' in r.reason
    assert toy.get_parameter('late').value == 1.0


def test_declare_dataclass_ranges_and_bad_values(ros):
    import dataclasses

    import rclpy

    @dataclasses.dataclass
    class Cfg:
        lr: float = 1e-3
        batch: int = 32

        def __post_init__(self):
            if self.batch % 2:
                raise ValueError('batch must be even')

    node = rclpy.create_node('dc', parameter_overrides=[Parameter('x.batch', value=3)])
    try:
        with pytest.raises(ConfigError, match='batch must be even'):
            declare_dataclass(node, Cfg, 'x.', ranges={'lr': (0.0, 1.0)})
        assert node.describe_parameter('x.lr').floating_point_range[0].to_value == 1.0
    finally:
        node.destroy_node()


def test_diagnostics_tasks_warn_on_burst_and_clear(ros):
    toy = ros.add(Toy(ros.ns))
    d = ros.diagnostics(toy)
    fqn = toy.get_fully_qualified_name()
    assert d['_names'] == 'toy: inputs,toy: outputs'
    assert d['_level'] == '0'
    for _ in range(20):
        toy.diag.count('frames')
    for _ in range(5):
        toy.diag.error('error_frame', 'broken frame')
    toy.diag.count('sent')
    d = ros.diagnostics(toy, cond=lambda d: d['_level toy: inputs'] == '1')
    assert 'broken frame' in d['_message toy: inputs']
    assert d['_level toy: outputs'] == '0'
    assert d['error_frame'] == '5' and d['frames'] == '20'
    # Errors stop: after the 0.6 s window the task is OK again (no latching).
    d = ros.diagnostics(toy, cond=lambda d: d['_level toy: inputs'] == '0')
    assert d['error_frame'] == '5'
    assert toy.diag.hardware_id == fqn


def test_diagnostics_window_is_live(ros):
    toy = ros.add(Toy(ros.ns))
    (r,) = ros.set_params(toy, diagnostics__window_s=30.0)
    assert r.successful and toy.diag.window_s == 30.0
    (r,) = ros.set_params(toy, diagnostics__window_s=-1.0)
    assert not r.successful
    (r,) = ros.set_params(toy, diagnostics__period_s=0.5)
    assert not r.successful and 'read-only' in r.reason


def test_diagnostics_alone_leaves_a_nodes_own_callback_alone(ros):
    from rcl_interfaces.msg import SetParametersResult

    node = ros.add(Node('own', namespace=ros.ns))
    declare(node, 'gain', 1.0, 'applied by the node itself')
    seen = []

    def own(params):
        seen.extend(p.value for p in params if p.name == 'gain')
        return SetParametersResult(successful=True)

    node.add_on_set_parameters_callback(own)
    node.diag = Diagnostics(node)  # registers diagnostics.window_s live, locks nothing
    (r,) = ros.set_params(node, gain=2.0)
    assert r.successful and seen == [2.0]


def _unlocked(node) -> list[str]:
    """Parameters a set could change without any code applying the new value."""
    live = set(getattr(node, '_rl_live_appliers', {}))
    return [
        name
        for name in node._parameters
        if name not in live
        and name != 'use_sim_time'
        and not node.describe_parameter(name).read_only
    ]


def test_every_parameter_of_the_ingest_nodes_and_learner_is_live_or_read_only(ros, tmp_path):
    from robot_learning_nodes.camera_ingest import CameraIngest
    from robot_learning_nodes.lidar_ingest import LidarIngest
    from robot_learning_nodes.sac_learner import SacLearner

    nodes = [
        ros.add(CameraIngest(namespace=ros.ns)),
        ros.add(LidarIngest(namespace=ros.ns)),
        ros.add(
            SacLearner(
                namespace=ros.ns,
                parameter_overrides=[
                    Parameter('run_dir', value=str(tmp_path / 'run')),
                    Parameter('sac.hidden', value=[16, 16]),
                ],
            )
        ),
    ]
    for node in nodes:
        assert _unlocked(node) == [], node.get_name()
        assert node._rl_live_appliers, node.get_name()
