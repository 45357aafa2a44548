# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 robot_learning maintainers
"""Old module names that keep working after the regrouping of issue 9, with a deprecation line.

``import robot_learning.sac`` (the flat layout up to issue 8) finds
``robot_learning.algos.sac`` and warns once with the new name. The table is
the whole map from old to new; a module that moves again changes its row here.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.util
import sys
import warnings

MOVED: dict[str, str] = {
    'robot_learning.bagdataset': 'robot_learning.data.bagdataset',
    'robot_learning.bagrepair': 'robot_learning.data.bagrepair',
    'robot_learning.bagwriter': 'robot_learning.data.bagwriter',
    'robot_learning.buffers': 'robot_learning.data.buffers',
    'robot_learning.dataset': 'robot_learning.data.dataset',
    'robot_learning.ingest': 'robot_learning.data.ingest',
    'robot_learning.transitions': 'robot_learning.data.transitions',
    'robot_learning.checkpoint': 'robot_learning.common.checkpoint',
    'robot_learning.curves': 'robot_learning.common.curves',
    'robot_learning.features': 'robot_learning.common.features',
    'robot_learning.language': 'robot_learning.common.language',
    'robot_learning.networks': 'robot_learning.common.networks',
    'robot_learning.bc': 'robot_learning.algos.bc',
    'robot_learning.sac': 'robot_learning.algos.sac',
    'robot_learning.offline_rl': 'robot_learning.algos.offline_rl',
}


class _Loader(importlib.abc.Loader):
    def __init__(self, new: str) -> None:
        self._new = new

    def create_module(self, spec):
        # The old name becomes the new module object itself, so attributes, patches and
        # isinstance checks see one module, not a copy.
        return importlib.import_module(self._new)

    def exec_module(self, module) -> None:
        pass


class MovedFinder(importlib.abc.MetaPathFinder):
    """Resolve an old module name of :data:`MOVED` to its new module, with a warning."""

    def __init__(self, moved: dict[str, str]) -> None:
        self._moved = moved

    def find_spec(self, fullname, path=None, target=None):
        new = self._moved.get(fullname)
        if new is None:
            return None
        warnings.warn(
            f'{fullname} moved to {new}; the old name will go in a later release',
            DeprecationWarning,
            stacklevel=3,
        )
        return importlib.util.spec_from_loader(fullname, _Loader(new))


def install(moved: dict[str, str]) -> None:
    """Put a :class:`MovedFinder` for ``moved`` (old -> new dotted names) on ``sys.meta_path``."""
    if not any(isinstance(f, MovedFinder) and f._moved is moved for f in sys.meta_path):
        sys.meta_path.append(MovedFinder(moved))
