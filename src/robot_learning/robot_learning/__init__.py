# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 robot_learning maintainers
"""robot_learning: the ROS-free core (data, algorithms, checkpoints, the ``robot-learning`` CLI).

Layout (docs/architecture.md has the picture): ``data/`` bags, datasets, transitions and
buffers; ``common/`` features, networks, checkpoints; ``algos/<name>/`` one package per
learning algorithm; top level the user-facing API (``policy``, ``train``, ``evaluation``,
``safety``, ``types``, ``registry``, ``cli``) and the error tree (``errors``).
"""

from robot_learning._moved import install as _install
from robot_learning._moved import MOVED as _MOVED

_install(_MOVED)
