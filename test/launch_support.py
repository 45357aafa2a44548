# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 robot_learning maintainers
"""Helpers of the launch system tests and bench/launch_cycles.py.

A launch file runs in a child process (``python -m robot_learning_bringup.launch_description``,
which calls ``ros2launch.api.launch_a_launch_file`` as ``ros2 launch`` does) in a session
of its own: every node process launch starts shares that process group, so a process of
the group still alive after launch exited is an orphan, and the whole group can be killed
when a test fails. A probe node in the test process reads parameters back over the
parameter services and the graph over the rclpy graph API.
"""

from __future__ import annotations

import itertools
import json
import math
import os
from pathlib import Path
import signal
import subprocess
import sys
import time
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
LAUNCH_DIR = ROOT / 'launch'
_domains = itertools.count()


def launch_available() -> bool:
    """Whether the upstream ``launch``/``launch_ros``/``ros2launch`` can be imported."""
    try:
        import launch_ros  # noqa: F401
        import ros2launch  # noqa: F401

        import launch  # noqa: F401
    except ImportError:
        return False
    return True


def fresh_domain() -> int:
    """Pick a DDS domain for one test: distinct per test in this process, random across runs."""
    return 120 + (os.getpid() * 7 + next(_domains)) % 100


def group_pids(pgid: int) -> list[int]:
    """Live (non-zombie) processes in process group ``pgid``, from /proc."""
    out = []
    for entry in os.listdir('/proc'):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f'/proc/{entry}/stat').read_text()
        except OSError:
            continue
        fields = stat.rsplit(')', 1)[1].split()
        if fields[0] != 'Z' and int(fields[2]) == pgid:
            out.append(int(entry))
    return out


class LaunchRun:
    """A launch file running in its own session, as ``ros2 launch FILE args`` would."""

    def __init__(
        self,
        launch_file: str,
        args: list[str] | None = None,
        *,
        cwd: Path,
        domain: int,
        log: Path,
    ):
        env = {
            **os.environ,
            'ROS_DOMAIN_ID': str(domain),
            'ROS_AUTOMATIC_DISCOVERY_RANGE': 'LOCALHOST',
            'MUJOCO_GL': os.environ.get('MUJOCO_GL', 'egl'),
            'PYTHONUNBUFFERED': '1',
        }
        self.log = log
        self._out = open(log, 'w')
        self.started = time.monotonic()
        self.proc = subprocess.Popen(
            [
                sys.executable,
                '-m',
                'robot_learning_bringup.launch_description',
                str(LAUNCH_DIR / launch_file),
                *(args or []),
            ],
            cwd=cwd,
            env=env,
            stdout=self._out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            # A shell's background job ignores SIGINT; launch must see Ctrl-C.
            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
        )
        self.pgid = self.proc.pid

    def text(self) -> str:
        """Return launch's output so far (its own lines and every node's)."""
        if not self._out.closed:
            self._out.flush()
        return self.log.read_text(errors='replace')

    def stop(self, timeout: float = 40.0) -> tuple[int | None, float, list[int]]:
        """Ctrl-C: SIGINT to launch, which stops its nodes (SIGINT, SIGTERM, SIGKILL).

        Returns:
            ``(launch exit code or None if it hung, seconds to stop, orphan pids)``.
        """
        t0 = time.monotonic()
        rc = None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
        try:
            rc = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            pass
        stopped = time.monotonic() - t0
        # A node may take a moment to be reaped after launch itself returned.
        deadline = time.monotonic() + 2.0
        orphans = group_pids(self.pgid)
        while orphans and time.monotonic() < deadline:
            time.sleep(0.1)
            orphans = group_pids(self.pgid)
        return rc, stopped, orphans

    def kill(self) -> None:
        """SIGKILL whatever of the session is left (after a failure)."""
        try:
            os.killpg(self.pgid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            pass
        self._out.close()

    def __enter__(self) -> LaunchRun:
        return self

    def __exit__(self, *exc) -> None:
        self.kill()


def tiny_navigation_checkpoint(path: Path) -> Path:
    """Write a small SAC actor checkpoint for the navigation policy node (default specs)."""
    from robot_learning.common.checkpoint import save_checkpoint
    from robot_learning.common.features import ActionConfig, ObservationConfig
    from robot_learning.common.networks import SquashedGaussianActor
    from robot_learning.policy import ACTOR_PREFIX, policy_metadata

    obs = ObservationConfig()
    actor = SquashedGaussianActor(obs.dim, 2, (16, 16))
    return save_checkpoint(
        path,
        {ACTOR_PREFIX + k: v for k, v in actor.state_dict().items()},
        policy_metadata(obs, ActionConfig(), (16, 16), 'sac'),
    )


class Probe:
    """A node of its own rclpy context in ``domain``: reads parameters and the graph."""

    def __init__(self, domain: int, name: str = 'launch_probe'):
        import rclpy
        from rclpy.context import Context

        self.context = Context()
        rclpy.init(context=self.context, domain_id=domain)
        self.node = rclpy.create_node(name, context=self.context)
        from rclpy.executors import SingleThreadedExecutor

        self.executor = SingleThreadedExecutor(context=self.context)
        self.executor.add_node(self.node)
        self._clients: dict[str, Any] = {}
        self.diagnostics: dict[str, dict[str, str]] = {}
        from diagnostic_msgs.msg import DiagnosticArray

        self.node.create_subscription(DiagnosticArray, '/diagnostics', self._on_diag, 50)

    def _on_diag(self, msg) -> None:
        for st in msg.status:
            key = st.hardware_id or st.name
            self.diagnostics.setdefault(key, {}).update({kv.key: kv.value for kv in st.values})

    def spin(self, seconds: float) -> None:
        """Process callbacks for ``seconds``."""
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            self.executor.spin_once(timeout_sec=min(0.1, max(0.0, end - time.monotonic())))

    def wait_for(self, condition, timeout: float, what: str):
        """Spin until ``condition()`` is truthy; its value.

        Raises:
            AssertionError: ``timeout`` s passed; names ``what``.
        """
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            value = condition()
            if value:
                return value
            self.spin(0.2)
        raise AssertionError(f'timed out after {timeout:.0f} s waiting for {what}')

    def get_parameters(self, fqn: str, names: list[str], timeout: float = 180.0) -> dict:
        """Values of the parameters among ``names`` that node ``fqn`` declares.

        Waits first for the node's ``/diagnostics`` (every node publishes them from a timer
        created at the end of its constructor, so every parameter it declares exists).

        Returns:
            ``{name: value}`` (python types); undeclared names are left out.

        Raises:
            AssertionError: no diagnostics or no answer within ``timeout`` s.
        """
        from rcl_interfaces.srv import GetParameters, ListParameters
        from rclpy.parameter import parameter_value_to_python

        end = time.monotonic() + timeout
        self.wait_for(lambda: fqn in self.diagnostics, timeout, f'{fqn} on /diagnostics')
        # GetParameters answers nothing at all when one name is undeclared: list first.
        declared = self._call(
            fqn, 'list_parameters', ListParameters, ListParameters.Request(), end
        )
        names = [n for n in names if n in set(declared.result.names)]
        got = self._call(
            fqn, 'get_parameters', GetParameters, GetParameters.Request(names=names), end
        )
        return {n: parameter_value_to_python(v) for n, v in zip(names, got.values)}

    def _call(self, fqn: str, service: str, srv_type, request, end: float):
        client = self._clients.get((fqn, service))
        if client is None:
            client = self.node.create_client(srv_type, f'{fqn}/{service}')
            self._clients[(fqn, service)] = client
        self.wait_for(client.service_is_ready, end - time.monotonic(), f'{fqn}/{service}')
        while time.monotonic() < end:
            future = client.call_async(request)
            self.executor.spin_until_future_complete(future, timeout_sec=10.0)
            if future.result() is not None:
                return future.result()
        raise AssertionError(f'{fqn}/{service} did not answer')

    def graph(self, ignore: tuple[str, ...] = ('launch_probe', 'launch_ros')) -> dict:
        """``{fqn: {'pub': {topic: types}, 'sub': {...}}}`` of every node but ours/launch's."""
        out = {}
        for name, ns in self.node.get_node_names_and_namespaces():
            if name.startswith(ignore):
                continue
            fqn = f'{ns.rstrip("/")}/{name}'
            pubs = self.node.get_publisher_names_and_types_by_node(name, ns)
            subs = self.node.get_subscriber_names_and_types_by_node(name, ns)
            out[fqn] = {
                'pub': {t: sorted(ty) for t, ty in pubs if not t.startswith('/parameter_events')},
                'sub': {t: sorted(ty) for t, ty in subs if not t.startswith('/parameter_events')},
            }
        return out

    def close(self) -> None:
        """Destroy the node and shut its context down."""
        import rclpy

        self.executor.shutdown()
        self.node.destroy_node()
        rclpy.try_shutdown(context=self.context)


def expected_parameters(node: dict) -> dict[str, Any]:
    """Return what a node from ``profile_nodes`` must report: our files, then its overrides."""
    from robot_learning_bringup.parameters import flatten
    from robot_learning_bringup.profiles import params_file_section

    values: dict[str, Any] = {}
    for f in node['params_files']:
        values.update(flatten(params_file_section(Path(f), node['name'])))
    values.update(node['parameters'])
    return values


def same_value(a: Any, b: Any) -> bool:
    """Parameter equality: floats approximately, sequences element-wise."""
    if isinstance(a, (list, tuple)) or isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(same_value(x, y) for x, y in zip(a, b))
    if isinstance(a, float) or isinstance(b, float):
        return math.isclose(float(a), float(b), rel_tol=1e-9, abs_tol=1e-12)
    return a == b


def checkpoint_meta(path: Path) -> dict:
    """Read the JSON sidecar of a checkpoint directory ({} when absent)."""
    from robot_learning.common.checkpoint import METADATA_FILE

    f = Path(path) / METADATA_FILE
    return json.loads(f.read_text()) if f.is_file() else {}
