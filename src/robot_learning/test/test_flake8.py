# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 robot_learning maintainers
"""ament_flake8 over this package, as `ros2 pkg create` sets it up."""

from pathlib import Path

from ament_flake8.main import main_with_errors
import pytest


@pytest.mark.flake8
@pytest.mark.linter
def test_flake8(monkeypatch):
    # ament_flake8 checks the working directory: colcon test runs in the package directory,
    # `pytest src/<package>/test` from the repository root would check the whole tree.
    monkeypatch.chdir(Path(__file__).resolve().parents[1])
    rc, errors = main_with_errors(argv=[])
    assert rc == 0, f'Found {len(errors)} code style errors / warnings:\n' + '\n'.join(errors)
