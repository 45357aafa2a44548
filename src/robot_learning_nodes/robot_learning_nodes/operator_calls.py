# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 robot_learning maintainers
"""The service calls of ``operator_node``'s events: asynchronous, one event at a time.

Each event (:func:`~.operator_buttons.plan`) is a few std_srvs calls run in order, each
sent from the previous one's answer callback, so the executor never blocks. Events that
arrive meanwhile wait in an :class:`~.operator_buttons.EventQueue` (or are refused, with
the reason). A service group (``recorder``, ``task``) is ``required`` (wait for the
service up to the timeout, then fail the step), ``auto`` (skipped when not available) or
``off`` (never called).

``success`` / ``failure`` wait, after the task node accepted the verdict, for its
terminal ``episode`` status (the task node applies a verdict at its next step): any
status named ``episode`` whose message is not ``running`` or with ``terminated`` /
``truncated`` ``1``, received after the verdict was requested. Only then do the
recorder's label and stop go out, so the terminal step is in the bag. No wait when the
verdict was skipped or refused, when nothing publishes ``episode`` or when no step
follows; after ``terminal_timeout_s`` without one the event goes on, with an error
(``error_no_terminal``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
import time
from typing import Callable

from diagnostic_msgs.msg import DiagnosticArray
from rclpy.clock import Clock, ClockType
from rclpy.node import Node
from std_srvs.srv import SetBool, Trigger

from .diagnostics import Diagnostics
from .episode_status import EPISODE_QOS
from .operator_buttons import EventQueue, plan, Step

#: Availability policies of a service group.
POLICIES = ('required', 'auto', 'off')


@dataclass
class EventRun:
    """One event being worked through.

    Attributes:
        event: the event name.
        t0: monotonic time of the press (or key) that caused it, s.
        steps: its service calls (groups ``off`` removed).
        answers: one line per step done (``service ok 'message' (1.2 ms)``).
        results: ``(service, success, message)`` of every answer received.
        ok: no step failed.
    """

    event: str
    t0: float
    steps: list[Step]
    answers: list[str] = field(default_factory=list)
    results: list[tuple[str, bool, str]] = field(default_factory=list)
    ok: bool = True
    index: int = 0
    sent: float = 0.0
    waiting_since: float | None = None
    terminal_since: float | None = None
    future: object = None

    def line(self) -> str:
        """One log line: the event, every step's answer, the latency."""
        ms = (time.monotonic() - self.t0) * 1e3
        return f"{self.event}: {'; '.join(self.answers) or 'nothing to call'} -> {ms:.1f} ms"


class EventRunner:
    """Runs the events' service calls one event after another.

    Args:
        node: owner of the clients and the timer.
        diag: counts ``event <name>`` and ``error_service``, ``error_refused``; values
            ``last_event``, ``last_latency_ms``, ``queued``.
        policies: group -> one of :data:`POLICIES`.
        timeout_s: longest wait for a required service to appear or for an answer, s.
        queue_depth: most events waiting behind the one in flight.
        recorder_state: returns the latest ``recorder/state`` ('' before the first).
        on_done: called with each finished :class:`EventRun` (tests, the bench).
        terminal_timeout_s: longest wait for the task node's terminal ``episode`` status
            after a verdict, s (0: do not wait).
    """

    def __init__(
        self,
        node: Node,
        diag: Diagnostics,
        policies: dict[str, str],
        timeout_s: float,
        queue_depth: int,
        recorder_state: Callable[[], str],
        on_done: Callable[[EventRun], None] | None = None,
        terminal_timeout_s: float = 2.0,
    ):
        self._node, self._diag, self.policies = node, diag, policies
        self.timeout_s = float(timeout_s)
        self.queue = EventQueue(queue_depth)
        self._state = recorder_state
        self._on_done = on_done
        self._clients: dict[str, object] = {}
        self._t0s: dict[str, float] = {}
        self.run: EventRun | None = None
        self.terminal_timeout_s = float(terminal_timeout_s)
        #: monotonic arrival time and text of the newest terminal ``episode`` status.
        self.terminal_at, self.terminal_text = -float('inf'), ''
        self._episode_sub = None
        if policies.get('task') != 'off':
            self._episode_sub = node.create_subscription(
                DiagnosticArray, 'episode', self._on_episode, EPISODE_QOS
            )
        # Wall clock: waits and timeouts hold while sim time is paused (lockstep).
        self._timer = node.create_timer(
            0.05, self._tick, clock=Clock(clock_type=ClockType.STEADY_TIME)
        )

    def _client(self, step: Step):
        cli = self._clients.get(step.service)
        if cli is None:
            srv_type = Trigger if step.data is None else SetBool
            cli = self._node.create_client(srv_type, step.service)
            self._clients[step.service] = cli
        return cli

    def submit(self, event: str, t0: float) -> str | None:
        """Queue ``event`` pressed at ``t0`` (monotonic s); returns None or why refused."""
        reason = self.queue.submit(event, self._state())
        if reason is not None:
            self._diag.error('error_refused', f'operator: {event} refused: {reason}')
            return reason
        self._t0s[event] = t0
        self._diag.set('queued', ','.join(self.queue.waiting) or '-')
        self._pump()
        return None

    def _pump(self) -> None:
        while self.run is None:
            event = self.queue.take()
            if event is None:
                return
            steps = [s for s in plan(event) if self.policies.get(s.group) != 'off']
            self.run = EventRun(event, self._t0s.pop(event, time.monotonic()), steps)
            self._diag.count(f'event {event}')
            self._advance()

    def _advance(self) -> None:
        """Send the current step, or skip it, or finish the event."""
        run = self.run
        while run is not None and run.index < len(run.steps):
            step = run.steps[run.index]
            if step.wait:
                if self._wait_terminal(run):
                    return
                continue
            cli = self._client(step)
            if cli.service_is_ready():
                req = (Trigger if step.data is None else SetBool).Request()
                if step.data is not None:
                    req.data = step.data
                run.sent, run.waiting_since = time.monotonic(), None
                run.future = cli.call_async(req)
                run.future.add_done_callback(lambda f, r=run: self._on_answer(r, f))
                return
            if self.policies.get(step.group) == 'auto':
                run.answers.append(f'{step.service} skipped (not available)')
                run.index += 1
                continue
            if run.waiting_since is None:
                run.waiting_since = time.monotonic()  # _tick sends it once it appears
            return
        if run is not None:
            self._finish(run)

    def _wait_terminal(self, run: EventRun) -> bool:
        """Return True to keep waiting at the wait step; else it is done (index moved)."""
        prev = run.steps[run.index - 1] if run.index else None
        verdict = prev is not None and bool(run.results) and run.results[-1][:2] == (
            prev.service, True)
        published = self._episode_sub is not None and \
            self._episode_sub.get_publisher_count() > 0
        if not (verdict and published and self.terminal_timeout_s > 0
                and run.index + 1 < len(run.steps)):
            run.index += 1
            return False
        if self.terminal_at >= run.sent:  # run.sent: when the verdict was requested
            ms = (self.terminal_at - run.sent) * 1e3
            run.answers.append(f'episode {self.terminal_text} ({ms:.1f} ms)')
            run.terminal_since = None
            run.index += 1
            return False
        if run.terminal_since is None:
            run.terminal_since = time.monotonic()  # _tick gives up after the timeout
        return True

    def _on_episode(self, msg: DiagnosticArray) -> None:
        for st in msg.status:
            if st.name != 'episode':
                continue
            kv = {v.key: v.value for v in st.values}
            if st.message != 'running' or '1' in (kv.get('terminated'), kv.get('truncated')):
                self.terminal_at = time.monotonic()
                self.terminal_text = f"{st.hardware_id} {kv.get('episode', '?')} {st.message}"
        run = self.run
        if run is not None and run.terminal_since is not None:
            self._advance()

    def _on_answer(self, run: EventRun, future) -> None:
        if run is not self.run or future is not run.future or future.cancelled():
            return  # timed out meanwhile: already reported
        res = future.result()
        step = run.steps[run.index]
        ms = (time.monotonic() - run.sent) * 1e3
        run.answers.append(
            f"{step.service} {'ok' if res.success else 'refused'} {res.message!r} ({ms:.1f} ms)"
        )
        run.results.append((step.service, bool(res.success), res.message))
        run.future = None
        run.index += 1
        if not res.success and step.needed:
            run.ok = False
            run.index = len(run.steps)
        self._advance()

    def _fail_step(self, run: EventRun, why: str) -> None:
        step = run.steps[run.index]
        self._diag.error('error_service', f'operator: {run.event}: {step.service} {why}')
        run.answers.append(f'{step.service} {why}')
        run.ok = False
        run.index = len(run.steps) if step.needed else run.index + 1
        run.future = None
        run.waiting_since = None
        self._advance()

    def _tick(self) -> None:
        run = self.run
        if run is None or run.index >= len(run.steps):
            return
        now = time.monotonic()
        if run.terminal_since is not None:
            if now - run.terminal_since > self.terminal_timeout_s:
                why = f'no terminal status within {self.terminal_timeout_s:g} s'
                self._diag.error('error_no_terminal', f'operator: {run.event}: episode {why}: '
                                 'labelling and stopping the bag without it')
                run.answers.append(f'episode: {why}')
                run.terminal_since = None
                run.index += 1
                self._advance()
            return
        if run.waiting_since is not None:
            if self._client(run.steps[run.index]).service_is_ready():
                self._advance()
            elif now - run.waiting_since > self.timeout_s:
                self._fail_step(run, f'not available after {self.timeout_s:g} s')
        elif run.future is not None and now - run.sent > self.timeout_s:
            cli = self._client(run.steps[run.index])
            cli.remove_pending_request(run.future)
            self._fail_step(run, f'did not answer within {self.timeout_s:g} s')

    def _finish(self, run: EventRun) -> None:
        self.run = None
        self.queue.done()
        line = run.line()
        self._diag.set('last_event', line)
        self._diag.set('last_latency_ms', f'{(time.monotonic() - run.t0) * 1e3:.1f}')
        self._diag.set('queued', ','.join(self.queue.waiting) or '-')
        log = self._node.get_logger()
        (log.info if run.ok else log.warning)(line)
        if self._on_done is not None:
            self._on_done(run)
        self._pump()
