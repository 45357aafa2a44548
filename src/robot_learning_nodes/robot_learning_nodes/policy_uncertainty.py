# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 robot_learning maintainers
"""The policy node's uncertainty: MC-dropout estimates and takeover requests.

With ``uncertainty_samples`` > 0 (BC and ACT checkpoints) each step's action also gets
its MC-dropout standard deviation (``BCPolicy.act_with_uncertainty``, Gal & Ghahramani,
ICML 2016), published on ``uncertainty`` (std_msgs/Float32, [-1, 1] action units, depth
10). Above ``takeover_uncertainty`` (> 0, live) the node asks for help on
``takeover_request`` (std_msgs/Header stamped with the observation; reliable, depth 10),
as ThriftyDAgger's robot does (Hoque et al., CoRL 2021); ``expert_teleop``'s ``takeover:
on_request`` (or a person) answers. ``takeover_requests`` counts them on diagnostics. A
policy without dropout (SAC, IQL actors) acts without it, with a throttled warning
(``warn_no_uncertainty``).
"""

from __future__ import annotations

import numpy as np
from rclpy.node import Node
from std_msgs.msg import Float32, Header

from .diagnostics import Diagnostics

__all__ = ['PolicyUncertainty']


class PolicyUncertainty:
    """Acts through ``act_with_uncertainty`` when asked to; publishes and requests.

    Args:
        node: the policy node (owns the publishers). diag: its diagnostics.
        samples: MC-dropout passes per step (0: off, plain ``act``).
        threshold: uncertainty above which a takeover is requested (0: never).
    """

    def __init__(self, node: Node, diag: Diagnostics, samples: int, threshold: float):
        self.samples, self.threshold, self._diag = int(samples), float(threshold), diag
        diag.task('uncertainty', keys=('takeover_requests',), errors=('warn_no_uncertainty',))
        self._pub_uncertainty = self._pub_request = None
        if self.samples:
            self._pub_uncertainty = node.create_publisher(Float32, 'uncertainty', 10)
            self._pub_request = node.create_publisher(Header, 'takeover_request', 10)

    def act(self, policy, obs, deterministic: bool) -> np.ndarray:
        """Return the policy's action for ``obs``; publish its uncertainty when enabled.

        Raises:
            MessageError: the observation does not fit the policy.
        """
        mc = getattr(policy, 'act_with_uncertainty', None)
        if not self.samples or mc is None:
            if self.samples:
                self._diag.error(
                    'warn_no_uncertainty',
                    f'uncertainty_samples is set, and a {policy.metadata.get("algorithm")} '
                    'policy has no dropout to sample: acting without uncertainty',
                    throttle_s=60.0,
                )
            return policy.act(obs, deterministic=deterministic)
        action, sigma = mc(obs, self.samples, deterministic=deterministic)
        self._pub_uncertainty.publish(Float32(data=float(sigma)))
        if 0.0 < self.threshold < sigma:
            req = Header(frame_id='takeover_request')
            req.stamp.sec, req.stamp.nanosec = divmod(int(obs.stamp) * 1000, 1_000_000_000)
            self._pub_request.publish(req)
            self._diag.count('takeover_requests')
        return action
