# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 robot_learning maintainers
"""bench/sac_vs_sb3.py's report for any environment id (no SB3, no ROS, nothing is run)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

BENCH = Path(__file__).resolve().parents[3] / 'bench' / 'sac_vs_sb3.py'


def _bench():
    spec = importlib.util.spec_from_file_location('sac_vs_sb3_under_test', BENCH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_report_for_an_id_without_threshold(tmp_path, capsys):
    bench = _bench()
    assert 'Hopper-v5' not in bench.THRESHOLDS
    argv = ['--smoke', '--envs', 'Hopper-v5', 'Pendulum-v1', '--seeds', '0', '1',
            '--steps', '3000', '--out', str(tmp_path)]
    assert bench.main(argv) == 0
    text = capsys.readouterr().out
    assert '## Hopper-v5' in text and '| steps to - |' in text
    assert 'steps to -200.0' in text  # a known id keeps its threshold
    for impl in bench.IMPLS:
        assert f'| {impl} |' in text
    assert 'updates/s / SB3' in text and 'seed 1:' in text


def test_report_with_missing_rows_and_steps():
    bench = _bench()
    args = type('Args', (), {'steps': 2000, 'eval_every': 1000, 'eval_episodes': 1,
                             'seeds': [0], 'threads': 2})()
    run = {'seed': 0, 'wall_s': 10.0, 'updates_per_s': 100.0, 'curve': {'1000': -5.0}}
    text = bench.report({'Walker2d-v5': {'ours-sync': [run]}}, args, Path('.'))
    assert '| ours-sync |' in text and 'nan' in text  # no eval at 2000: shown, no crash


def test_free_cores_leaves_one_for_the_actor():
    bench = _bench()
    assert bench.free_cores(2) == 1 and bench.free_cores(16) == 15
    assert bench.free_cores(1) == 1  # never zero threads
    assert bench.free_cores() >= 1
