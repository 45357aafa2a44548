# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 robot_learning maintainers
"""operator_node: gamepad buttons (and terminal keys) -> episode control services.

A person drives with a gamepad (``joy_node`` -> ``teleop_twist_joy`` -> policy_node's
``teleop/cmd_vel``) and marks episodes with its buttons: this node turns the presses
into the recorder's and the task node's std_srvs calls. Events and their calls, in order
(:func:`~.operator_buttons.plan`):

    start     recorder/start_episode, then task/reset
    success   task/success, [terminal episode status], recorder/set_success(true),
              recorder/stop_episode
    failure   task/failure, [terminal episode status], recorder/set_success(false),
              recorder/stop_episode
    discard   task/discard, recorder/discard_episode
    stop      recorder/stop_episode (outcome unknown unless labelled)

The task node applies a verdict at its next step, so once ``task/success`` (``failure``)
answered ok the event waits, without blocking, for the terminal ``episode`` status it
publishes (one received after the verdict was asked for: message not ``running``, or
``terminated`` / ``truncated`` ``1``), up to ``terminal_timeout_s``; then it labels and
stops the bag, which so holds the terminal step. On the timeout it goes on, with an
error (``error_no_terminal``). Nothing is waited for without a task node (the verdict is
skipped), when it refused the verdict, or when nothing publishes ``episode``.

A press is a rising edge of the button (held over many Joy messages: one press); a
second press of the same button within ``debounce_s`` is dropped. Calls are asynchronous
(the executor never blocks); an event pressed while another is in flight waits in a
queue and runs after it. Refused, with a reason on the log, counted as
``error_refused``: the same event already in flight or queued (a double press), a full
queue, ``start`` while the recorder records (it would close the running episode; end it
first). A Joy message with fewer buttons than the mapping names: the buttons it lacks
keep their state, one throttled error (``error_joy_buttons``).

Parameters (read-only):
    buttons.start, buttons.success, buttons.failure, buttons.discard, buttons.stop (int):
        Joy button index of each event, -1: none (defaults: an Xbox pad / Logitech F710
        in XInput mode as ``joy_node`` numbers them, see ``config/operator_node.yaml``).
    keyboard (bool): also read single keys from the terminal (only when stdin is one).
    keys.start, keys.success, keys.failure, keys.discard, keys.stop (string): the keys
        (defaults r, s, f, d, x).
    debounce_s (double): presses of one button closer than this are one press, s.
    recorder_services, task_services (string): ``required`` (wait for the service up
        to ``service_timeout_s``), ``auto`` (call it when available, else skip) or
        ``off``; defaults required / auto (the node works with no task node).
    service_timeout_s (double): longest wait for a service to appear or answer, s.
    terminal_timeout_s (double): longest wait for the terminal ``episode`` status after a
        verdict, s (0-30; 0: no wait).
    queue_depth (int): most events waiting behind the one in flight.

Topics:
    ``joy`` (sensor_msgs/Joy, subscribed reliable, as ``joy_node`` publishes);
    ``recorder/state`` (std_msgs/String, subscribed reliable + transient local, depth 10:
    ``qos.STATE_QOS``, every change kept): the recorder's episode state;
    ``episode`` (diagnostic_msgs/DiagnosticArray, subscribed reliable depth 100 as
    published; not with ``task_services: off``): the task node's episode status.

Diagnostics: task ``events`` (``operator_node: events``): counters ``event <name>``,
``debounced``, ``error_refused``, ``error_joy_buttons``, ``error_service``,
``error_no_terminal``; values
``last_event`` (event, each service's answer and latency), ``last_latency_ms``,
``queued``, ``recorder_state``. Each event is one log line with the same content.
"""

from __future__ import annotations

from pathlib import Path
import time

from rclpy.node import Node
from robot_learning.errors import ConfigError
from sensor_msgs.msg import Joy
from std_msgs.msg import String

from .diagnostics import Diagnostics
from .operator_buttons import ButtonEdges, DEFAULT_BUTTONS, DEFAULT_KEYS, EVENTS, key_event
from .operator_calls import EventRunner, POLICIES
from .operator_keyboard import KeyReader
from .params import declare, one_of
from .qos import COMMAND_QOS, STATE_QOS
from .spin import spin_node

_RO = {'read_only': True}


class OperatorNode(Node):
    """Maps Joy buttons (and keys) to the recorder's and the task node's services."""

    def __init__(self, **kwargs):
        super().__init__('operator_node', **kwargs)
        buttons = {
            e: declare(self, f'buttons.{e}', DEFAULT_BUTTONS[e],
                       f'Joy button index of the {e} event (-1: none)', min_value=-1,
                       max_value=255, **_RO)
            for e in EVENTS
        }
        self.keyboard = declare(self, 'keyboard', False,
                                'read single keys from the terminal (stdin a tty)', **_RO)
        self.keys = {
            e: declare(self, f'keys.{e}', DEFAULT_KEYS[e], f'terminal key of {e}', **_RO)
            for e in EVENTS
        }
        debounce = declare(self, 'debounce_s', 0.25,
                           'presses of one button closer than this are one press, s',
                           min_value=0.0, max_value=5.0, **_RO)
        policies = {
            g: one_of(self, f'{g}_services', declare(
                self, f'{g}_services', default,
                f'{g} services: required (wait for them), auto (when available) or off', **_RO,
            ), POLICIES)
            for g, default in (('recorder', 'required'), ('task', 'auto'))
        }
        timeout = declare(self, 'service_timeout_s', 10.0,
                          'longest wait for a service to appear or to answer, s',
                          min_value=0.1, max_value=600.0, **_RO)
        terminal = declare(self, 'terminal_timeout_s', 2.0,
                           'longest wait for the terminal episode status after a verdict '
                           '(task/success, task/failure) before the bag is stopped, s; 0: none',
                           min_value=0.0, max_value=30.0, **_RO)
        depth = declare(self, 'queue_depth', 4,
                        'most events waiting behind the one in flight', min_value=0,
                        max_value=64, **_RO)
        try:
            self.edges = ButtonEdges(buttons, debounce)
        except ValueError as exc:
            raise ConfigError(f'operator_node: buttons.*: {exc}') from None
        self.diag = Diagnostics(self)
        self.diag.task(
            'events', keys=[f'event {e}' for e in EVENTS] + ['debounced'],
            errors=['error_refused', 'error_joy_buttons', 'error_service', 'error_no_terminal'],
        )
        self.recorder_state = ''
        # Episodes known to have ended (from the state or from our own stop/discard
        # answers): an older 'recording' state may still arrive after our stop's answer.
        self._ended: set[str] = set()
        #: finished events (:class:`~.operator_calls.EventRun`), newest last (tests, bench).
        self.done: list = []
        self.runner = EventRunner(
            self, self.diag, policies, timeout, depth, self._believed_state,
            on_done=self._on_done, terminal_timeout_s=terminal,
        )
        # The terminal goes to cbreak mode before the subscriptions exist: a peer that sees
        # this node on the graph may type at once, and no key typed then is lost.
        self.reader = KeyReader(self, self._on_key) if self.keyboard else None
        self.create_subscription(Joy, 'joy', self._on_joy, COMMAND_QOS)
        self.create_subscription(String, 'recorder/state', self._on_state, STATE_QOS)
        self.diag.set('recorder_state', '(none yet)', task='events')
        self.diag.set('last_event', '(none yet)', task='events')
        mapped = ', '.join(f'{e}={i}' for e, i in self.edges.mapping.items())
        keys = ', '.join(f'{v}={e}' for e, v in self.keys.items()) if self.keyboard else 'off'
        self.get_logger().info(f'operator: joy buttons {mapped}; keys {keys}')

    def _on_state(self, msg: String) -> None:
        self.recorder_state = msg.data
        word, _, rest = msg.data.partition(' ')
        if word in ('stopping', 'stopped', 'discarded'):
            self._ended.add(rest.split(':')[0])
        self.diag.set('recorder_state', msg.data, task='events')

    def _believed_state(self) -> str:
        """Return the recorder's state, corrected by what our own calls ended."""
        word, _, rest = self.recorder_state.partition(' ')
        episode = rest.split(':')[0]
        if word == 'recording' and episode in self._ended:
            return f'stopped {episode}'
        return self.recorder_state

    def _on_done(self, run) -> None:
        for service, ok, message in run.results:
            if ok and service in ('recorder/stop_episode', 'recorder/discard_episode'):
                self._ended.add(Path(message.removeprefix('deleted ')).name)
        self.done.append(run)
        del self.done[:-100]

    def _on_joy(self, msg: Joy) -> None:
        now = time.monotonic()
        before = self.edges.debounced
        pressed, missing = self.edges.update(msg.buttons, now)
        if missing:
            names = ', '.join(f'{e} (button {self.edges.mapping[e]})' for e in missing)
            self.diag.error(
                'error_joy_buttons',
                f'joy: message has {len(msg.buttons)} buttons, the mapping needs '
                f'{self.edges.needed}; {names} ignored (fix buttons.* of operator_node)',
            )
        bounced = self.edges.debounced - before
        if bounced:
            self.diag.count('debounced', bounced)
            self.get_logger().warning(
                f'operator: a press within debounce_s={self.edges.debounce_s:g} s of the '
                f'last one was dropped ({self.diag.counters["debounced"]} so far)',
                throttle_duration_sec=2.0,
            )
        for event in pressed:
            self.runner.submit(event, now)

    def _on_key(self, key: str) -> None:
        event = key_event(key, self.keys)
        if event is not None:
            self.runner.submit(event, time.monotonic())

    def close(self) -> None:
        """Restore the terminal (keyboard mode)."""
        if self.reader is not None:
            self.reader.close()


def main(args=None) -> None:
    """Entry point ``operator_node``."""
    spin_node(OperatorNode, args)


if __name__ == '__main__':
    main()
