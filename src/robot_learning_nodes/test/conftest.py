# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 robot_learning maintainers
"""Shared fixtures for rclpy node tests over real topics.

The environment is fixed before rclpy is imported anywhere: ``ROS_DOMAIN_ID`` defaults to
42 (an engineer can run on another domain by exporting it) and discovery stays on this
host. Every test also gets its own namespace (``ros.ns``), so tests running at the same
time on the same domain cannot see each other's topics; ``/diagnostics`` is absolute, so
filter it by node (:meth:`RosHarness.diagnostics`).

Usage::

    def test_x(ros):
        node = ros.add(MyNode(namespace=ros.ns))
        helper = ros.helper                     # plain node for test pubs/subs/clients
        ros.spin_until(lambda: got, timeout=5.0)
"""

from __future__ import annotations

import itertools
import os
import time
from typing import Any, Callable

os.environ.setdefault('ROS_DOMAIN_ID', '42')
os.environ['ROS_AUTOMATIC_DISCOVERY_RANGE'] = 'LOCALHOST'

import pytest  # noqa: E402
import rclpy  # noqa: E402
from rclpy.executors import SingleThreadedExecutor  # noqa: E402
from rclpy.node import Node  # noqa: E402
from rclpy.qos import QoSProfile, ReliabilityPolicy  # noqa: E402

_counter = itertools.count()


class RosHarness:
    """A single-threaded executor spun from the test thread, plus a helper node."""

    def __init__(self) -> None:
        self.ns = f'/t{os.getpid()}_{next(_counter)}'
        self.executor = SingleThreadedExecutor()
        self.nodes: list[Node] = []
        self.helper = self.add(rclpy.create_node('test_helper', namespace=self.ns))
        self._diag: dict[str, Any] = {}
        self._diag_sub = None

    def add(self, node: Node) -> Node:
        """Spin ``node`` with the executor until the test ends.

        At teardown its ``close()`` (if it has one, e.g. DemoRecorder: closes the active
        bag) is called, then it is destroyed.
        """
        self.executor.add_node(node)
        self.nodes.append(node)
        return node

    def spin_for(self, seconds: float) -> None:
        """Spin for ``seconds``."""
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            self.executor.spin_once(timeout_sec=0.01)

    def spin_until(
        self, cond: Callable[[], Any], timeout: float = 10.0, what: str = 'condition'
    ) -> Any:
        """Spin until ``cond()`` is truthy (returned); fail the test after ``timeout`` s."""
        end = time.monotonic() + timeout
        while True:
            value = cond()
            if value:
                return value
            if time.monotonic() > end:
                pytest.fail(f'timed out after {timeout} s waiting for {what}')
            self.executor.spin_once(timeout_sec=0.01)

    def call(self, srv_type, name: str, request=None, timeout: float = 10.0):
        """Call service ``name`` (relative to ``ns``) and return the response."""
        client = self.helper.create_client(srv_type, name)
        try:
            self.spin_until(client.service_is_ready, timeout, f'service {name}')
            future = client.call_async(request if request is not None else srv_type.Request())
            self.spin_until(future.done, timeout, f'response of {name}')
            return future.result()
        finally:
            self.helper.destroy_client(client)

    def collect(self, msg_type, topic: str, qos: QoSProfile | int | None = None) -> list:
        """Subscribe ``topic`` from the helper node; returns the list messages land in."""
        got: list = []
        self.helper.create_subscription(
            msg_type,
            topic,
            got.append,
            (
                qos
                if qos is not None
                else QoSProfile(depth=100, reliability=ReliabilityPolicy.RELIABLE)
            ),
        )
        return got

    def send_until_output(self, pub, msg, out: list, stamp_sec: int, timeout: float = 10.0):
        """Publish ``msg`` until an output stamped ``stamp_sec`` arrives in ``out``.

        Sensor QoS is best effort, so a single publish may be lost. Returns that output.
        """

        def arrived():
            hits = [m for m in out if m.header.stamp.sec == stamp_sec]
            if hits:
                return hits[0]
            pub.publish(msg)
            self.spin_for(0.05)
            return None

        return self.spin_until(arrived, timeout, f'output stamped {stamp_sec}')

    def wait_matched(self, pub, n: int = 1, timeout: float = 10.0) -> None:
        """Wait until publisher ``pub`` has ``n`` subscriptions."""
        self.spin_until(
            lambda: pub.get_subscription_count() >= n,
            timeout,
            f'{n} subscriber(s) on {pub.topic_name}',
        )

    def diagnostics(
        self, node: Node, timeout: float = 10.0, cond: Callable[[dict], bool] = lambda d: True
    ) -> dict[str, str]:
        """Key/values of ``node``'s latest statuses on ``/diagnostics`` satisfying ``cond``.

        Calls ``node.diag.publish()`` (when the node has one) to avoid waiting for the
        1 Hz timer, then waits for statuses whose ``hardware_id`` is the node's name. The
        key/values of all its tasks are merged; ``_level``/``_message`` are the worst task's,
        ``_level <name>``/``_message <name>`` each task's, ``_names`` the status names.
        """
        from diagnostic_msgs.msg import DiagnosticArray

        if self._diag_sub is None:

            def on_diag(msg):
                # One array holds every task status of a node (``node: task``): keep them
                # together, keyed by hardware_id (the node's fully qualified name).
                by_hw: dict[str, list] = {}
                for st in msg.status:
                    by_hw.setdefault(st.hardware_id, []).append(st)
                self._diag.update(by_hw)

            self._diag_sub = self.helper.create_subscription(
                DiagnosticArray, '/diagnostics', on_diag, 50
            )
            self.spin_until(
                lambda: self._diag_sub.get_publisher_count() > 0, timeout, '/diagnostics publisher'
            )
        fqn = node.get_fully_qualified_name()
        result: dict[str, str] = {}
        last_pub = [0.0]

        def ready():
            sts = self._diag.pop(fqn, None)
            if sts is None:
                if hasattr(node, 'diag') and time.monotonic() - last_pub[0] > 0.2:
                    last_pub[0] = time.monotonic()
                    node.diag.publish()
                return False
            values = {}
            levels = []
            for st in sts:
                values.update({kv.key: kv.value for kv in st.values})
                lvl = st.level
                if isinstance(lvl, bytes):
                    lvl = int.from_bytes(lvl, 'little')
                levels.append((int(lvl), st.message))
                values[f'_level {st.name}'] = str(int(lvl))
                values[f'_message {st.name}'] = st.message
            worst = max(levels)
            values['_level'] = str(worst[0])
            values['_message'] = worst[1]
            values['_names'] = ','.join(st.name for st in sts)
            if cond(values):
                result.update(values)
                return True
            return False

        self.spin_until(ready, timeout, f'diagnostics of {fqn}')
        return result

    def set_params(
        self, node: Node, timeout: float = 10.0, atomically: bool = False, **values: Any
    ) -> list:
        """Set parameters of ``node`` over its SetParameters service (as ``ros2 param set``).

        Dotted names are passed with ``__`` for ``.`` (``diagnostics__window_s=2.0``). With
        ``atomically`` they go in one SetParametersAtomically request (all or none).

        Returns:
            One ``rcl_interfaces/SetParametersResult`` per parameter, in order (one in all
            when ``atomically``).
        """
        from rclpy.parameter import Parameter
        from rclpy.parameter_client import AsyncParameterClient

        client = AsyncParameterClient(self.helper, node.get_fully_qualified_name())
        self.spin_until(
            lambda: client.services_are_ready(), timeout, 'parameter services'
        )
        params = [Parameter(k.replace('__', '.'), value=v) for k, v in values.items()]
        if atomically:
            future = client.set_parameters_atomically(params)
            self.spin_until(future.done, timeout, 'set_parameters_atomically response')
            return [future.result().result]
        future = client.set_parameters(params)
        self.spin_until(future.done, timeout, 'set_parameters response')
        return list(future.result().results)

    def close(self) -> None:
        for node in self.nodes:
            close = getattr(node, 'close', None)
            if callable(close):
                close()
            self.executor.remove_node(node)
            node.destroy_node()
        self.executor.shutdown()


@pytest.fixture
def ros():
    """Give each test rclpy init, a :class:`RosHarness`, then shutdown."""
    rclpy.init()
    harness = RosHarness()
    try:
        yield harness
    finally:
        harness.close()
        rclpy.try_shutdown()
