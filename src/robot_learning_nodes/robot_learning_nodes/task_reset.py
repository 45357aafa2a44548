# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 robot_learning maintainers
"""``task_node``'s call of the robot's reset service (``reset_service``, std_srvs/Trigger).

One call at a time: :meth:`ResetCall.request` while a call is in flight is refused by the
node (the caller checks :attr:`ResetCall.in_flight`). A service that is not up, refuses,
or does not answer within ``timeout_s`` is called again from :meth:`ResetCall.poll`
(``error_reset_service``); the answer of an abandoned call is ignored
(``stale_reset_answers``), so it can never end the call that replaced it.
"""

from __future__ import annotations

import time
from typing import Callable

from rclpy.node import Node
from std_srvs.srv import Trigger


class ResetCall:
    """The reset service client of task_node.

    Args:
        node: the task node.
        name: the service name ('' = none: :attr:`configured` is False).
        diag: the node's Diagnostics (``error_reset_service``, ``stale_reset_answers``).
        on_done: called once the service answered success.
        timeout_s: wall seconds a call may take before it is abandoned and made again.
    """

    def __init__(self, node: Node, name: str, diag, on_done: Callable[[], None],
                 timeout_s: float = 10.0):
        self._client = node.create_client(Trigger, name) if name else None
        self._diag, self._on_done, self.timeout_s = diag, on_done, float(timeout_s)
        self._future = None
        self._sent = 0.0
        self._wanted = False  # a call still has to be made (service not up, refused)

    @property
    def configured(self) -> bool:
        """Whether the node has a reset service to call."""
        return self._client is not None

    @property
    def in_flight(self) -> bool:
        """Whether a call was made and its answer has not come yet."""
        return self._future is not None

    @property
    def busy(self) -> bool:
        """Whether the reset has not completed yet (in flight, or to be made again)."""
        return self._future is not None or self._wanted

    def request(self) -> None:
        """Call the service (now if it is up, else from :meth:`poll`)."""
        self._wanted = True
        self.poll()

    def poll(self) -> None:
        """Make a wanted call, and abandon one that took longer than ``timeout_s``."""
        if self._future is not None:
            if time.monotonic() - self._sent <= self.timeout_s:
                return
            self._future = None  # its late answer is ignored (_answered checks identity)
            self._wanted = True
            self._diag.error('error_reset_service', f'reset service {self._client.srv_name} '
                             f'gave no answer in {self.timeout_s} s: calling again')
        if not self._wanted:
            return
        if not self._client.service_is_ready():
            self._diag.error('error_reset_service', f'reset service '
                             f'{self._client.srv_name} is not available: retrying')
            return
        self._wanted = False
        self._sent = time.monotonic()
        self._future = self._client.call_async(Trigger.Request())
        self._future.add_done_callback(self._answered)

    def _answered(self, future) -> None:
        if future is not self._future:
            self._diag.count('stale_reset_answers')
            return
        self._future = None
        res = future.result()
        if res is None or not res.success:
            why = getattr(res, 'message', 'no response')
            self._diag.error('error_reset_service', f'reset service refused ({why}): retrying')
            self._wanted = True
            return
        self._on_done()
