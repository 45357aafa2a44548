# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 robot_learning maintainers
"""The demo's gamepad presses one button no faster than operator_node's debounce (no ROS graph)."""

import time

from robot_learning_bringup.demo_gamepad import Gamepad
from std_msgs.msg import String

STATES = {0: 'stopped /bags/episode_{n}: success', 7: 'recording /bags/episode_{n}'}


class _Recorder:
    """Stands in for publisher, subscription and recorder: each press changes the state."""

    def __init__(self):
        self.presses: list[tuple[int, float]] = []
        self.pad = None

    def create_publisher(self, *args):
        return self

    def create_subscription(self, _type, _topic, callback, _qos):
        self.callback = callback

    def get_subscription_count(self):
        return 1

    def publish(self, msg):
        down = [i for i, b in enumerate(msg.buttons) if b]
        if down:
            self.presses.append((down[0], time.monotonic()))
            self.callback(String(data=STATES[down[0]].format(n=len(self.presses))))


def test_a_second_press_of_one_button_waits_out_the_debounce():
    node = _Recorder()
    pad = Gamepad(node, buttons={'start': 7, 'success': 0}, debounce_s=0.25)
    node.callback(String(data='waiting'))
    for event in ('start', 'success', 'start', 'success'):  # a 0-s episode, twice
        assert pad.press(event, timeout=5.0).startswith(('recording', 'stopped'))
    times = {b: [t for bb, t in node.presses if bb == b] for b in (0, 7)}
    for button, stamps in times.items():
        assert len(stamps) == 2
        assert stamps[1] - stamps[0] >= 0.25 + 0.1 - 1e-3, button
    # Different buttons are not held back by each other.
    assert times[0][0] - times[7][0] < 0.25
