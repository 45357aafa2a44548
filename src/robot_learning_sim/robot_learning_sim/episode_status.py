# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 robot_learning maintainers
"""Moved to :mod:`robot_learning_nodes.episode_status` (shared with ``task_node``).

This path stays importable: the simulator package depends on the nodes package.
"""

from robot_learning_nodes.episode_status import (  # noqa: F401 - re-exported
    CLOCK_QOS,
    EPISODE_KEYS,
    EPISODE_QOS,
    EpisodeStatus,
    stamp_key,
    stamp_str,
)
