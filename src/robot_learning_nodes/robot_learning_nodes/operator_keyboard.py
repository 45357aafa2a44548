# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 robot_learning maintainers
"""Single keys from the controlling terminal for ``operator_node`` (``keyboard: true``).

A daemon thread reads stdin one key at a time in cbreak mode (no echo, no Enter) and
hands each key to the executor through a guard condition, so every service call still
happens on the executor thread. Only when stdin is a terminal: under ``launch`` or
``robot-learning up`` it is not, and the keys stay off (one log line says so). The
terminal's settings are restored by :meth:`KeyReader.close`.
"""

from __future__ import annotations

import os
import queue
import select
import sys
import threading
from typing import Callable

from rclpy.node import Node


class KeyReader:
    """Reads keys from stdin (a tty) and calls ``on_key(key)`` on the executor thread.

    Args:
        node: owner of the guard condition.
        on_key: called with each key (a one-character str).

    Attributes:
        active: whether keys are being read (stdin is a terminal).
    """

    def __init__(self, node: Node, on_key: Callable[[str], None]):
        self._on_key = on_key
        self._keys: queue.Queue[str] = queue.Queue()
        self._stop = threading.Event()
        self._saved = None
        self.active = False
        try:
            fd = sys.stdin.fileno()
            tty_in = os.isatty(fd)
        except (AttributeError, OSError, ValueError):
            tty_in = False
        if not tty_in:
            node.get_logger().warning('keyboard: stdin is not a terminal; keys are off')
            return
        import termios
        import tty

        self._fd = fd
        self._saved = termios.tcgetattr(fd)
        # No echo, a key at a time; Ctrl-C still interrupts. TCSANOW, not setcbreak's default
        # TCSAFLUSH: keys typed while the node started stay in the input and are read.
        tty.setcbreak(fd, termios.TCSANOW)
        self._gc = node.create_guard_condition(self._drain)
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()
        self.active = True

    def _read(self) -> None:
        while not self._stop.is_set():
            ready, _, _ = select.select([self._fd], [], [], 0.2)
            if not ready:
                continue
            data = os.read(self._fd, 1)
            if not data:
                return  # end of input
            self._keys.put(data.decode(errors='replace'))
            self._gc.trigger()

    def _drain(self) -> None:
        while True:
            try:
                key = self._keys.get_nowait()
            except queue.Empty:
                return
            self._on_key(key)

    def close(self) -> None:
        """Stop reading and restore the terminal's settings."""
        self._stop.set()
        if self._saved is not None:
            import termios

            termios.tcsetattr(self._fd, termios.TCSADRAIN, self._saved)
            self._saved = None
