# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 robot_learning maintainers
"""Weight hot-swap of ``policy_node``: actor weights streamed by the learner.

``policy/weights`` (std_msgs/UInt8MultiArray, latched) carries a safetensors blob with
the policy sidecar (:func:`robot_learning.policy.policy_from_bytes`). A blob holding any
non-finite value, or one that does not fit the node, is refused and the last good policy
keeps acting. The learner stamps its send time (``sent_unix``); the delay from send to the
new actor acting is on diagnostics (``weights_latency_ms``, task ``weights``).
"""

from __future__ import annotations

import time
from typing import Callable

from rclpy.node import Node
from robot_learning.errors import CheckpointError
from robot_learning.policy import policy_from_bytes
from robot_learning.safety import nonfinite_weights
from std_msgs.msg import UInt8MultiArray

from .diagnostics import Diagnostics
from .qos import LATCHED_QOS


class WeightsReceiver:
    """Subscribes ``policy/weights`` and swaps each good blob in through ``swap``.

    Args:
        node: owner of the subscription.
        diag: the node's diagnostics (task ``weights``).
        current: returns the policy acting now (None before the first).
        swap: takes the new policy; raises ``CheckpointError`` when it does not fit.

    Attributes:
        last_latency_ms: send-to-acting delay of the last weights, ms (None before any).
    """

    def __init__(
        self,
        node: Node,
        diag: Diagnostics,
        current: Callable[[], object],
        swap: Callable[[object], None],
    ):
        self._diag, self._current, self._swap = diag, current, swap
        self.last_latency_ms: float | None = None
        self._latency_max_ms = 0.0
        node.create_subscription(UInt8MultiArray, 'policy/weights', self._on_weights, LATCHED_QOS)

    def _on_weights(self, msg: UInt8MultiArray) -> None:
        t0 = time.perf_counter()
        data = msg.data.tobytes() if hasattr(msg.data, 'tobytes') else bytes(msg.data)
        current = self._current()
        keep = f'version {current.version}' if current is not None else 'no policy'
        try:
            bad = nonfinite_weights(data)  # every tensor, before anything is swapped
            if bad:
                more = f' and {len(bad) - 3} more' if len(bad) > 3 else ''
                self._diag.error(
                    'error_weights_nonfinite',
                    f'rejected weights: non-finite values in {", ".join(bad[:3])}{more}; '
                    f'keeping {keep}',
                )
                return
            policy = policy_from_bytes(data)
            self._swap(policy)
        except CheckpointError as exc:
            self._diag.error('error_weights', f'rejected weights: {exc}; keeping {keep}')
            return
        diag = self._diag
        diag.set('weights_version', policy.version, task='weights')
        diag.set('weights_load_ms', f'{1e3 * (time.perf_counter() - t0):.1f}', task='weights')
        sent = policy.metadata.get('sent_unix')
        if isinstance(sent, (int, float)):
            # Send (learner, before serialising) to active (here): both wall clocks; on one
            # machine exact, across machines as good as their clock sync.
            self.last_latency_ms = 1e3 * (time.time() - sent)
            self._latency_max_ms = max(self._latency_max_ms, self.last_latency_ms)
            diag.set('weights_latency_ms', f'{self.last_latency_ms:.1f}', 'weights')
            diag.set('weights_latency_max_ms', f'{self._latency_max_ms:.1f}', 'weights')
        diag.count('weights_received')
