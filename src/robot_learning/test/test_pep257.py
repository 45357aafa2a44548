# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 robot_learning maintainers
"""ament_pep257 over this package, as `ros2 pkg create` sets it up."""

from pathlib import Path

from ament_pep257.main import main
import pytest

# Our docstrings are Google style (Args:/Returns:/Raises: sections, summary on the first
# line). ament's convention checks every pydocstyle rule it does not list, among them the
# numpy-style section rules, which contradict Google style: D406/D407 want a section name
# without a colon, underlined with dashes; D413 a blank line after the last section; D213 the
# summary on the second line (ament already ignores D212, its opposite). Every other rule holds.
GOOGLE_STYLE = ['--add-ignore', 'D213', 'D406', 'D407', 'D413']


@pytest.mark.linter
@pytest.mark.pep257
def test_pep257(monkeypatch):
    monkeypatch.chdir(Path(__file__).resolve().parents[1])
    rc = main(argv=['.', 'test', *GOOGLE_STYLE])
    assert rc == 0, 'Found code style errors / warnings'
