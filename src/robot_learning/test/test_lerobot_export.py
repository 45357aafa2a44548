# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 robot_learning maintainers
"""``robot-learning export --format lerobot``: LeRobot's own LeRobotDataset loads the result.

The bags are small synthetic episodes (test_bagdataset.write_episode); the loader is
lerobot 0.4.4's ``LeRobotDataset`` from the local directory (requirements-lerobot.txt,
installed by ``make test``), decoding the video with torchcodec.
"""

from __future__ import annotations

import importlib.machinery
import json
import subprocess
import sys
import types

import numpy as np
import pytest
from robot_learning.common.features import ActionConfig
from robot_learning.data import lerobot_export
from robot_learning.data.bagdataset import BagDataset, DatasetConfig
from robot_learning.data.lerobot_export import export_lerobot, feature_stats, LeRobotExportConfig
from robot_learning.errors import ConfigError
from test_bagdataset import OBS, write_episode

ACT = ActionConfig()
INSTRUCTIONS = ('go to the red pillar', 'go to the blue pillar', 'go to the red pillar')


def _bags(root, skip=()):
    out = []
    for i, instruction in enumerate(INSTRUCTIONS):
        outcome = 'failure' if i == 1 else 'success'
        out.append(write_episode(root / f'episode_{i:04d}', n=6 + i, seed=i, outcome=outcome,
                                 instruction=instruction, skip=skip))
    return out


def _dcfg(tmp_path, **kw):
    return DatasetConfig(cache_dir=str(tmp_path / 'cache'), outcomes=(), **kw)


def _export(tmp_path, **kw):
    return export_lerobot([tmp_path / 'bags'], tmp_path / 'lerobot', _dcfg(tmp_path),
                          LeRobotExportConfig(**kw), OBS, ACT, progress=False)


def _lerobot_dataset_class(monkeypatch, tmp_path):
    """LeRobotDataset, hub-free; skips when lerobot or torchcodec is not installed."""
    pytest.importorskip('torchcodec', reason='torchcodec (requirements-lerobot.txt) missing')
    monkeypatch.setenv('HF_HUB_OFFLINE', '1')
    monkeypatch.setenv('HF_LEROBOT_HOME', str(tmp_path / 'hf_lerobot'))
    monkeypatch.setenv('HF_DATASETS_CACHE', str(tmp_path / 'hf_datasets'))
    try:
        import torchvision  # noqa: F401
    except Exception:  # noqa: BLE001 -- PyPI's CUDA torchvision fails to load on CPU torch
        # lerobot imports torchvision.transforms for image-file datasets (ToTensor); a
        # video dataset decodes through torchcodec and never calls it.
        for name in [n for n in sys.modules if n.split('.')[0] == 'torchvision']:
            monkeypatch.delitem(sys.modules, name)
        tv = types.ModuleType('torchvision')
        tr = types.ModuleType('torchvision.transforms')
        for mod in (tv, tr):
            mod.__spec__ = importlib.machinery.ModuleSpec(mod.__name__, None)

        class ToTensor:  # noqa: D101 -- the stand-in is never called for video features
            def __call__(self, img):
                raise RuntimeError('torchvision stand-in: image-file datasets need torchvision')

        tr.ToTensor = ToTensor
        tv.transforms = tr
        monkeypatch.setitem(sys.modules, 'torchvision', tv)
        monkeypatch.setitem(sys.modules, 'torchvision.transforms', tr)
    mod = pytest.importorskip('lerobot.datasets.lerobot_dataset',
                              reason='lerobot (requirements-lerobot.txt) missing')
    return mod.LeRobotDataset


def test_lerobot_dataset_loads_the_export_with_the_bags_frames_and_actions(
    tmp_path, monkeypatch
):
    written = _bags(tmp_path / 'bags')
    summary = _export(tmp_path, crf=0)
    assert summary.episodes == 3 and summary.fps == 10 and summary.image_size == (16, 12)
    assert summary.frames == sum(w['n'] for w in written)
    # What the exporter read, at the video's size: the reference to compare with.
    ref = BagDataset.build([tmp_path / 'bags'], _dcfg(tmp_path, image_size=(16, 12)), OBS, ACT,
                           progress=False)
    LeRobotDataset = _lerobot_dataset_class(monkeypatch, tmp_path)
    ds = LeRobotDataset('local/robot_learning_export', root=tmp_path / 'lerobot',
                        video_backend='torchcodec')
    assert len(ds) == summary.frames and ds.num_episodes == 3 and ds.fps == 10
    assert ds.meta.video_keys == ['observation.images.front']
    assert sorted(ds.meta.tasks.index) == sorted(set(INSTRUCTIONS))
    row = 0
    for e, (ep, w) in enumerate(zip(ref.episodes, written)):
        t_idx = np.arange(*ep.transitions)
        for k, t in enumerate(t_idx):
            item = ds[row]
            assert item['episode_index'].item() == e and item['frame_index'].item() == k
            assert item['task'] == INSTRUCTIONS[e]
            np.testing.assert_allclose(item['action'].numpy(), w['actions'][k], atol=1e-5)
            np.testing.assert_allclose(item['observation.state'].numpy(), w['velocity'][k],
                                       atol=1e-5)
            assert item['next.reward'].item() == pytest.approx(w['rewards'][k], abs=1e-6)
            assert item['complementary_info.is_intervention'].item() == w['interventions'][k]
            assert item['next.done'].item() == (k == len(t_idx) - 1)
            frame = item['observation.images.front'].numpy().transpose(1, 2, 0) * 255.0
            bag = np.asarray(ref.frames['image'][ref.transitions['obs'][t]], np.float64)
            # Frame k of the bag (grey level 10 k), not a neighbour: yuv420p rounds by ~1.
            assert np.abs(frame - bag).max() <= 3.0, (e, k)
            row += 1
    stats = ds.meta.stats
    assert stats['action']['mean'].shape == (2,)
    assert stats['observation.images.front']['mean'].shape == (3, 1, 1)


def test_export_layout_and_stats_without_lerobot(tmp_path):
    written = _bags(tmp_path / 'bags')
    _export(tmp_path, fps=5, image_size=(8, 6))
    root = tmp_path / 'lerobot'
    info = json.loads((root / 'meta' / 'info.json').read_text())
    assert info['codebase_version'] == 'v3.0' and info['fps'] == 5
    assert info['total_episodes'] == 3 and info['total_tasks'] == 2
    assert info['features']['observation.images.front']['shape'] == [6, 8, 3]
    assert info['features']['observation.environment_state']['shape'] == [OBS.num_sectors]
    assert (root / 'videos/observation.images.front/chunk-000/file-000.mp4').stat().st_size > 0
    import pyarrow.parquet as pq

    data = pq.read_table(root / 'data/chunk-000/file-000.parquet').to_pydict()
    assert data['index'] == list(range(sum(w['n'] for w in written)))
    assert data['timestamp'][:3] == pytest.approx([0.0, 0.2, 0.4])
    episodes = pq.read_table(root / lerobot_export.EPISODES_PATH).to_pydict()
    assert episodes['length'] == [w['n'] for w in written]
    assert episodes['videos/observation.images.front/from_timestamp'] == pytest.approx(
        [0.0, 6 / 5, 13 / 5])
    assert episodes['outcome'] == ['success', 'failure', 'success']
    stats = json.loads((root / 'meta' / 'stats.json').read_text())
    all_actions = np.concatenate([w['actions'] for w in written])
    np.testing.assert_allclose(stats['action']['mean'], all_actions.mean(0), atol=1e-5)
    np.testing.assert_allclose(stats['action']['std'], all_actions.std(0), atol=1e-5)
    assert stats['action']['count'] == [len(all_actions)]


def test_feature_stats_shapes_and_values():
    x = np.arange(12, dtype=np.float32).reshape(6, 2)
    s = feature_stats(x)
    assert s['min'].tolist() == [0, 1] and s['max'].tolist() == [10, 11]
    assert s['q50'].tolist() == [5, 6] and s['count'].tolist() == [6]
    img = np.zeros((2, 8, 8, 3), np.uint8)
    img[..., 2] = 255
    s = feature_stats(img, image=True)
    assert s['mean'].shape == (3, 1, 1) and s['mean'].ravel().tolist() == [0, 0, 1]


def test_bags_without_a_camera_are_refused_and_nothing_is_written(tmp_path):
    _bags(tmp_path / 'bags', skip=('/camera/image_raw',))
    with pytest.raises(ConfigError, match='no camera image on /camera/image_raw'):
        _export(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ['bags']


def test_a_failed_export_leaves_nothing_and_a_full_out_is_refused(tmp_path, monkeypatch):
    _bags(tmp_path / 'bags')

    def boom(self, rgb):
        raise OSError('disk full')

    monkeypatch.setattr(lerobot_export._VideoFile, 'write', boom)
    with pytest.raises(OSError, match='disk full'):
        _export(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ['bags', 'cache']
    (tmp_path / 'lerobot').mkdir()
    (tmp_path / 'lerobot' / 'mine.txt').write_text('keep')
    with pytest.raises(ConfigError, match='not an empty directory'):
        _export(tmp_path)
    assert (tmp_path / 'lerobot' / 'mine.txt').read_text() == 'keep'


@pytest.mark.parametrize('kw', [{'image_size': (15, 12)}, {'codec': 'gif'}, {'crf': 99}])
def test_bad_export_options_are_refused(kw):
    with pytest.raises(ConfigError):
        LeRobotExportConfig(**kw)


def test_cli_export_without_a_camera_exits_2_with_one_line(tmp_path):
    _bags(tmp_path / 'bags', skip=('/camera/image_raw',))
    r = subprocess.run(
        [sys.executable, '-m', 'robot_learning.cli', 'export', '--format', 'lerobot',
         '--bags', str(tmp_path / 'bags'), '--out', str(tmp_path / 'out'),
         '--cache-dir', str(tmp_path / 'cache'), '--no-progress'],
        capture_output=True, text=True, timeout=120,
    )
    lines = [line for line in r.stderr.splitlines() if line.strip()]
    assert r.returncode == 2 and len(lines) == 1, r.stderr
    assert 'needs the camera as video' in lines[0]
    assert not (tmp_path / 'out').exists()
