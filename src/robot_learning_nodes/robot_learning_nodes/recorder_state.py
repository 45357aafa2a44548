# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 robot_learning maintainers
"""``recorder/state`` of ``demo_recorder``: its episode state, latched, on every change.

One std_msgs/String, so a person (``ros2 topic echo recorder/state``), the operator node
and the demo see what the last episode service did:

- ``idle``: no episode yet in this session;
- ``recording episode_0007``, then ``recording episode_0007: success`` once labelled;
- ``stopping episode_0007`` the moment a stop request is taken (the episode takes no
  more messages), then ``stopped episode_0007: failure`` once its bag is closed (outcome
  ``unknown`` when unlabelled; a label set after the stop changes it);
- ``discarded episode_0007``.
"""

from __future__ import annotations

from rclpy.node import Node
from std_msgs.msg import String

from .qos import STATE_QOS
from .recorder_episodes import EpisodeBook


def state_text(book: EpisodeBook, discarded: str | None = None) -> str:
    """Return the state line of ``book`` (see the module docstring).

    Args:
        book: the recorder's episodes.
        discarded: directory name of the episode just discarded, if the last call did.
    """
    if book.active is not None:
        ep = book.active
        label = '' if ep.outcome == 'unknown' else f': {ep.outcome}'
        return f'recording {ep.path.name}{label}'
    if discarded:
        return f'discarded {discarded}'
    if book.last is not None:
        return f"stopped {book.last.path.name}: {book.last.custom.get('outcome', 'unknown')}"
    return 'idle'


class RecorderState:
    """Publishes ``recorder/state`` (:data:`~.qos.STATE_QOS`) when the state line changes.

    Args:
        node: the recorder.
        book: its episodes.
    """

    def __init__(self, node: Node, book: EpisodeBook):
        self._book = book
        self._pub = node.create_publisher(String, 'recorder/state', STATE_QOS)
        self.text = ''
        self.update()

    def stopping(self) -> None:
        """Publish ``stopping <episode>`` (a stop request taken; the bag closes next)."""
        if self._book.active is not None:
            self.text = f'stopping {self._book.active.path.name}'
            self._pub.publish(String(data=self.text))

    def update(self, discarded: str | None = None) -> str:
        """Publish the state if it changed (after every episode service); returns it."""
        text = state_text(self._book, discarded)
        if text != self.text:
            self.text = text
            self._pub.publish(String(data=text))
        return text
