# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 robot_learning maintainers
"""Policy node: MC-dropout uncertainty on ``uncertainty`` and takeover requests (ThriftyDAgger)."""

from policy_support import actor_weights, bc_lowdim_checkpoint, make, observe, sac_metadata
from rclpy.parameter import Parameter
from robot_learning.common.checkpoint import save_checkpoint
from std_msgs.msg import Float32, Header


def _listen(ros):
    return ros.collect(Float32, 'uncertainty', 10), ros.collect(Header, 'takeover_request', 10)


def test_uncertainty_is_published_and_a_takeover_requested_above_the_threshold(ros, tmp_path):
    ckpt = bc_lowdim_checkpoint(tmp_path / 'bc')
    node, pubs, out = make(ros, ckpt, uncertainty_samples=8, takeover_uncertainty=1e-6)
    sigmas, requests = _listen(ros)
    for sec in (3, 4):
        observe(ros, pubs, out, sec)
    ros.spin_until(lambda: len(requests) >= 2 and len(sigmas) >= 2, 5.0, 'two requests')
    assert all(m.data > 1e-6 for m in sigmas)
    assert sorted(r.stamp.sec for r in requests) == [3, 4]  # the observations' stamps
    assert node.diag.counters.get('takeover_requests') == 2
    # Live: a threshold above every uncertainty stops the requests, not the estimate.
    assert node.set_parameters([Parameter('takeover_uncertainty', value=2.0)])[0].successful
    observe(ros, pubs, out, 5)
    ros.spin_until(lambda: len(sigmas) >= 3, 5.0, 'third uncertainty')
    assert len(requests) == 2


def test_a_policy_without_dropout_acts_and_publishes_no_uncertainty(ros, tmp_path):
    ckpt = save_checkpoint(tmp_path / 'sac', actor_weights(3.0), sac_metadata())
    node, pubs, out = make(ros, ckpt, uncertainty_samples=8, takeover_uncertainty=0.01)
    sigmas, requests = _listen(ros)
    assert observe(ros, pubs, out, 3) is not None
    ros.spin_until(lambda: node.diag.counters.get('warn_no_uncertainty'), 5.0, 'warning')
    assert not sigmas and not requests
