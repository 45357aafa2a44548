# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 robot_learning maintainers
"""ament_flake8 and ament_pep257 over the repository's test/, bench/ and launch/.

Those directories belong to no package's linter run (launch/ is installed by this package,
test/ and bench/ by none), so this package checks them with the same settings as its own.
"""

from pathlib import Path

from ament_flake8.main import main_with_errors
from ament_pep257.main import main as pep257_main
import pytest

REPO = Path(__file__).resolve().parents[3]
DIRS = [name for name in ('test', 'bench', 'launch') if (REPO / name).is_dir()]
# Google-style docstrings: see test_pep257.py.
GOOGLE_STYLE = ['--add-ignore', 'D213', 'D406', 'D407', 'D413']

pytestmark = pytest.mark.skipif(not DIRS, reason='not in the robot_learning repository')


@pytest.mark.flake8
@pytest.mark.linter
def test_flake8_toplevel(monkeypatch):
    monkeypatch.chdir(REPO)
    rc, errors = main_with_errors(argv=DIRS)
    assert rc == 0, f'Found {len(errors)} code style errors / warnings:\n' + '\n'.join(errors)


@pytest.mark.linter
@pytest.mark.pep257
def test_pep257_toplevel(monkeypatch):
    monkeypatch.chdir(REPO)
    rc = pep257_main(argv=[*DIRS, *GOOGLE_STYLE])
    assert rc == 0, 'Found code style errors / warnings'
