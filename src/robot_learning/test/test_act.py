# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 robot_learning maintainers
"""Action-chunking transformer: chunk targets, temporal ensembling, training at toy size."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest
from robot_learning import cli
from robot_learning.algos.act import ACTConfig
from robot_learning.algos.act.modeling_act import ACTPolicy, ACTTrainer, ensemble_weights
from robot_learning.common.features import ActionConfig, RawObservation
from robot_learning.data.bagdataset import BagDataset, DatasetConfig
from robot_learning.errors import ConfigError
from robot_learning.policy import load_policy
from test_bagdataset import OBS, write_episode
import torch

SIZE = ['--set', 'image_width=16', '--set', 'image_height=12']


@pytest.fixture(scope='module')
def bags(tmp_path_factory):
    root = tmp_path_factory.mktemp('bags') / 'demos'
    for i in range(3):
        write_episode(root / f'episode_{i:04d}', n=8, seed=i,
                      instruction=f'go to the {["red", "green"][i % 2]} pillar')
    return root


def _data(tmp_path, bags, obs_cfg=OBS):
    dcfg = DatasetConfig(cache_dir=str(tmp_path / 'cache'), image_size=(16, 12), outcomes=())
    return BagDataset.build([bags], dcfg, obs_cfg, ActionConfig(), progress=False)


def test_ensemble_weights_favour_the_oldest_prediction_and_sum_to_one():
    w = ensemble_weights(4, 0.5)
    assert w.sum() == pytest.approx(1.0) and np.all(np.diff(w) < 0)
    assert w[0] / w[1] == pytest.approx(np.exp(0.5))
    assert np.allclose(ensemble_weights(3, 0.0), 1 / 3)


def test_chunk_targets_are_the_next_actions_masked_past_the_episode_end(tmp_path, bags):
    data = _data(tmp_path, bags)
    cfg = ACTConfig(image_width=16, image_height=12, chunk=4, d_model=16, heads=2,
                    ff_dim=16)
    tr = ACTTrainer(data, cfg, OBS, ActionConfig(), np.arange(len(data)))
    episode = np.asarray(data.transitions['episode'])
    last = int(np.flatnonzero(episode == episode[0])[-1])  # the first episode's last step
    rows = np.array([0, last - 1])
    action, mask = tr.actions_of(rows)
    acts = np.asarray(data.transitions['action'], np.float32)
    assert np.array_equal(action[0], acts[0:4].reshape(-1))
    assert mask[0].tolist() == [1, 1, 1, 1] and mask[1].tolist() == [1, 1, 0, 0]
    # Past the end the target repeats the last action, and the mask drops it from the loss.
    assert np.array_equal(action[1].reshape(4, 2)[2:], acts[[last, last]])
    batch = tr.gather(rows)
    out = torch.zeros(2, 8, requires_grad=True)
    loss = tr.loss(out, torch.from_numpy(batch.action), batch)
    loss.backward()
    assert torch.all(out.grad.view(2, 4, 2)[1, 2:] == 0) and torch.any(out.grad[0] != 0)


def _policy_with_chunks(chunks, m):
    """Build an ACT policy whose network returns the given chunks (pre-tanh) one per step."""
    policy = ACTPolicy.__new__(ACTPolicy)
    policy.cfg = ACTConfig(chunk=chunks.shape[1], ensemble_m=m)
    policy._chunks = __import__('collections').deque(maxlen=chunks.shape[1])
    policy._t = 0
    it = iter(np.arctanh(chunks))
    policy._head = lambda obs: torch.from_numpy(next(it).reshape(1, -1))
    return policy


def test_temporal_ensembling_averages_every_chunk_that_covers_the_step():
    rng = np.random.default_rng(0)
    chunks = rng.uniform(-0.9, 0.9, (5, 3, 2))  # 5 steps, chunk 3
    policy = _policy_with_chunks(chunks, 0.3)
    got = [policy.act(None) for _ in range(5)]
    for t in range(5):
        preds = [chunks[s, t - s] for s in range(max(0, t - 2), t + 1)]  # oldest first
        w = ensemble_weights(len(preds), 0.3)
        assert np.allclose(got[t], (w[:, None] * np.array(preds)).sum(0), atol=1e-5)
    # Open loop (m < 0): each chunk runs its 3 steps, then the next one is taken.
    policy = _policy_with_chunks(chunks, -1.0)
    got = [policy.act(None) for _ in range(5)]
    want = [chunks[0, 0], chunks[0, 1], chunks[0, 2], chunks[3, 0], chunks[3, 1]]
    assert np.allclose(got, want, atol=1e-5)


def test_train_act_writes_a_policy_the_policy_node_loads(tmp_path, bags):
    out = tmp_path / 'act'
    rc = cli.main(['train', '--algo', 'act', '--bags', str(bags), '--out', str(out),
                   '--no-progress', '--cache-dir', str(tmp_path / 'cache'), '--outcomes', 'all',
                   '--steps', '40', '--batch-size', '16', '--eval-every', '20', *SIZE,
                   '--set', 'chunk=4', '--set', 'd_model=32', '--set', 'lr=1e-3'])
    assert rc == 0
    metrics = json.loads((out / 'metrics.json').read_text())
    hist = metrics['history']
    assert metrics['algorithm'] == 'act' and hist[-1]['loss'] < hist[0]['loss']
    policy = load_policy(out / 'checkpoints' / 'best')
    assert isinstance(policy, ACTPolicy) and policy.needs_image
    data = _data(tmp_path, bags, policy.obs_cfg)
    fr = data.frames
    for f in range(3):
        obs = RawObservation(0, fr['sectors'][f], fr['detections'][f], tuple(fr['velocity'][f]),
                             data.instructions[fr['instruction'][f]], fr['image'][f])
        a = policy.act(obs)
        assert a.dtype == np.float32 and a.shape == (2,) and np.all(np.abs(a) <= 1)
    assert len(policy._chunks) == 3
    # MC dropout in the transformer: this step's action of each sampled chunk.
    a, sigma = policy.act_with_uncertainty(obs, 4)
    assert a.shape == (2,) and sigma > 0 and len(policy._chunks) == 4
    policy.reset()
    assert not policy._chunks and policy._t == 0


def test_bad_act_config_says_what_to_fix(tmp_path, bags):
    with pytest.raises(ConfigError, match='multiple of heads'):
        ACTConfig(d_model=30, heads=4)
    with pytest.raises(ConfigError, match='chunk'):
        ACTConfig(chunk=0)
    with pytest.raises(ConfigError, match='encoder_init is for --algo bc'):
        ACTConfig(encoder_init='runs/enc/checkpoints/last')
    r = subprocess.run(
        [sys.executable, '-m', 'robot_learning.cli', 'train', '--algo', 'act', '--bags',
         str(bags), '--out', str(tmp_path / 'bad'), '--no-progress', '--set', 'heads=3'],
        capture_output=True, text=True, timeout=120,
    )
    lines = [line for line in r.stderr.splitlines() if line.strip()]
    assert r.returncode == 2 and len(lines) == 1 and 'heads' in lines[0], r.stderr
    assert not (tmp_path / 'bad').exists()
