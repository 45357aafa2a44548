# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 robot_learning maintainers
"""Contrastive encoder pretraining (SimCLR / TCN) and BC from it, on small synthetic bags."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest
from robot_learning import cli
from robot_learning.algos.bc import BCConfig, BCTrainer
from robot_learning.algos.contrastive import ContrastiveConfig
from robot_learning.algos.contrastive.modeling_contrastive import ContrastiveTrainer, nt_xent
from robot_learning.common.checkpoint import load_checkpoint
from robot_learning.common.features import ActionConfig
from robot_learning.data.bagdataset import BagDataset, DatasetConfig
from robot_learning.errors import CheckpointError, ConfigError
from robot_learning.policy import load_policy
from test_bagdataset import OBS, write_episode
import torch

SIZE = ['--set', 'image_width=16', '--set', 'image_height=12']


@pytest.fixture(scope='module')
def bags(tmp_path_factory):
    root = tmp_path_factory.mktemp('bags') / 'demos'
    for i in range(4):
        write_episode(root / f'episode_{i:04d}', n=10, seed=i,
                      instruction=f'go to the {["red", "green"][i % 2]} pillar')
    return root


def _train(tmp_path, bags, name, *extra):
    out = tmp_path / name
    rc = cli.main(['train', '--bags', str(bags), '--out', str(out), '--no-progress',
                   '--cache-dir', str(tmp_path / 'cache'), '--eval-every', '20',
                   '--outcomes', 'all', *extra])
    return rc, out


def _data(tmp_path, bags):
    dcfg = DatasetConfig(cache_dir=str(tmp_path / 'cache'), image_size=(16, 12), outcomes=())
    return BagDataset.build([bags], dcfg, OBS, ActionConfig(), progress=False)


def test_nt_xent_ranks_the_positive_first():
    z = torch.randn(16, 8, generator=torch.Generator().manual_seed(0))
    loss_same, acc_same = nt_xent(z, z + 0.01, 0.2)
    other = torch.randn(16, 8, generator=torch.Generator().manual_seed(1))
    loss_rand, acc_rand = nt_xent(z, other, 0.2)
    assert acc_same == 1.0 and loss_same < loss_rand
    assert acc_rand < 0.5


def test_pretraining_learns_pairs_and_bc_starts_from_its_encoder(tmp_path, bags):
    rc, enc = _train(tmp_path, bags, 'enc', '--algo', 'contrastive', '--steps', '60',
                     '--batch-size', '16', *SIZE, '--set', 'color_jitter=0')
    assert rc == 0
    hist = json.loads((enc / 'metrics.json').read_text())['history']
    # The toy frames are 11 grey levels (step k of every episode looks alike), so pairs
    # are ambiguous; the loss still falls well below its start (log 31 = 3.43).
    assert hist[-1]['loss'] < hist[0]['loss'] - 0.3
    assert hist[-1]['acc'] > 1 / 31
    tensors, meta = load_checkpoint(enc / 'checkpoints' / 'last')
    assert meta['algorithm'] == 'contrastive' and meta['encoder']['image_width'] == 16
    assert tensors and all(k.startswith('encoder.') for k in tensors)
    assert not any('head' in k for k in tensors)
    # BC built on it starts from exactly those conv weights.
    data = _data(tmp_path, bags)
    cfg = BCConfig(image_width=16, image_height=12,
                   encoder_init=str(enc / 'checkpoints' / 'last'))
    bc = BCTrainer(data, cfg, OBS, ActionConfig(), np.arange(len(data)))
    assert torch.equal(bc.net.convs[0].weight, tensors['encoder.convs.0.weight'])
    assert torch.equal(bc.net.img_fc.bias, tensors['encoder.img_fc.bias'])
    rc, run = _train(tmp_path, bags, 'bc', '--algo', 'bc', '--steps', '10', '--batch-size',
                     '8', *SIZE, '--set', f'encoder_init={enc / "checkpoints" / "last"}')
    assert rc == 0 and load_policy(run / 'checkpoints' / 'last').needs_image
    with pytest.raises(CheckpointError, match='not a policy'):
        load_policy(enc / 'checkpoints' / 'last', expected={'obs_dim': 50})
    with pytest.raises(CheckpointError, match='image_features 256, this config 128'):
        BCTrainer(data, BCConfig(image_width=16, image_height=12, image_features=128,
                                 encoder_init=cfg.encoder_init),
                  OBS, ActionConfig(), np.arange(len(data)))
    with pytest.raises(CheckpointError, match="needs a contrastive checkpoint.*got 'bc'"):
        BCTrainer(data, BCConfig(image_width=16, image_height=12,
                                 encoder_init=str(run / 'checkpoints' / 'last')),
                  OBS, ActionConfig(), np.arange(len(data)))


def test_tcn_positives_are_near_frames_of_the_same_episode(tmp_path, bags):
    data = _data(tmp_path, bags)
    cfg = ContrastiveConfig(method='tcn', positive_window=2, image_width=16, image_height=12)
    tr = ContrastiveTrainer(data, cfg, OBS, ActionConfig(), np.arange(len(data)))
    episode = np.asarray(data.frames['episode'])
    rng = np.random.default_rng(0)
    rows = np.arange(len(data))[rng.integers(0, len(data), 64)]
    f1 = tr.obs_idx[rows]
    rng = np.random.default_rng(0)
    batch = tr.sample(np.arange(len(data)), 64, rng)
    # The synthetic frames are grey level 10 k at step k: the level tells the frame.
    k1 = batch.view1[:, 0, 0, 0, 0].astype(int) // 10
    k2 = batch.view2[:, 0, 0, 0, 0].astype(int) // 10
    assert np.all(np.abs(k1 - k2) <= 2) and np.any(k1 != k2)
    assert set(episode[f1]) <= set(episode)


def test_bad_contrastive_inputs_say_what_is_missing(tmp_path):
    with pytest.raises(ConfigError, match='method'):
        ContrastiveConfig(method='byol')
    with pytest.raises(ConfigError, match='use_image'):
        ContrastiveConfig(use_image=False)
    with pytest.raises(ConfigError, match='encoder_init'):
        BCConfig.lowdim(encoder_init='x')
    root = tmp_path / 'nocam'
    write_episode(root / 'episode_0000', n=6, skip=('/camera/image_raw',))
    cfg = tmp_path / 'noimage.yaml'
    cfg.write_text('image_size: [0, 0]\ntopics:\n  image: ""\n')
    for extra in ([], ['--dataset-config', str(cfg)]):
        r = subprocess.run(
            [sys.executable, '-m', 'robot_learning.cli', 'train', '--algo', 'contrastive',
             '--bags', str(root), '--out', str(tmp_path / 'out'), '--outcomes', 'all',
             '--cache-dir', str(tmp_path / 'cache'), '--no-progress', *extra],
            capture_output=True, text=True, timeout=120,
        )
        lines = [line for line in r.stderr.splitlines() if line.strip()]
        # One error line (after the per-bag skip line the dataset logs), naming the image.
        errors = [line for line in lines if line.startswith('robot-learning train:')]
        assert r.returncode == 2 and len(errors) == 1 and lines[-1] == errors[0], r.stderr
        assert 'image' in errors[0]
        assert not (tmp_path / 'out').exists()
