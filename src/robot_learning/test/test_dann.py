# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 robot_learning maintainers
"""Domain-adversarial adaptation (DANN) of the BC image encoder, at toy size."""

from __future__ import annotations

import json
import math
import subprocess
import sys

import pytest
from robot_learning import cli
from robot_learning.algos.bc.dann import dann_lambda, reverse_gradient
from robot_learning.policy import load_policy
from test_bagdataset import write_episode
import torch

SIZE = ['--set', 'image_width=16', '--set', 'image_height=12']


@pytest.fixture(scope='module')
def bags(tmp_path_factory):
    root = tmp_path_factory.mktemp('dann')
    for i in range(3):
        write_episode(root / 'source' / f'episode_{i:04d}', n=8, seed=i)
        write_episode(root / 'target' / f'episode_{i:04d}', n=8, seed=10 + i,
                      instruction='go to the green pillar')
    write_episode(root / 'nocam' / 'episode_0000', n=6, skip=('/camera/image_raw',))
    return root


def test_gradient_reversal_is_the_identity_forward_and_flips_the_gradient():
    x = torch.randn(4, 3, requires_grad=True)
    y = reverse_gradient(x, 0.5)
    assert torch.equal(y, x)
    y.sum().backward()
    assert torch.allclose(x.grad, torch.full_like(x, -0.5))


def test_lambda_follows_the_papers_schedule():
    assert dann_lambda(0, 100, 0.3) == 0.0
    assert dann_lambda(100, 100, 0.3) == pytest.approx(0.3 * (2 / (1 + math.exp(-10)) - 1))
    assert dann_lambda(500, 100, 0.3) == dann_lambda(100, 100, 0.3)
    ramp = [dann_lambda(k, 100, 1.0) for k in range(0, 101, 10)]
    assert all(b > a for a, b in zip(ramp, ramp[1:]))


def test_train_with_target_bags_adapts_and_deploys_a_plain_bc_policy(tmp_path, bags):
    out = tmp_path / 'dann'
    rc = cli.main(['train', '--bags', str(bags / 'source'), '--target-bags',
                   str(bags / 'target'), '--out', str(out), '--no-progress', '--outcomes',
                   'all', '--cache-dir', str(tmp_path / 'cache'), '--steps', '30',
                   '--batch-size', '8', '--eval-every', '10', *SIZE,
                   '--set', 'dann_ramp_steps=10'])
    assert rc == 0
    metrics = json.loads((out / 'metrics.json').read_text())
    assert metrics['config']['dann_weight'] == 0.1  # set by --target-bags
    last = metrics['history'][-1]
    assert 0.0 <= last['domain_acc'] <= 1.0 and last['dann_lambda'] > 0.09
    assert last['loss'] == pytest.approx(last['bc_loss'] + last['domain_loss'], rel=1e-4)
    policy = load_policy(out / 'checkpoints' / 'last')
    assert policy.needs_image and policy.metadata['algorithm'] == 'bc'
    assert not any('classifier' in k for k in policy.net.state_dict())


@pytest.mark.parametrize('extra, what', [
    (['--algo', 'iql', '--target-bags', 'T'], 'is for --algo bc'),
    (['--set', 'dann_weight=0.2'], 'add --target-bags'),
    (['--target-bags', 'NOCAM'], 'image_raw (image): missing'),
])
def test_dann_without_what_it_needs_is_one_line_and_writes_nothing(tmp_path, bags, extra,
                                                                   what):
    extra = [str(bags / 'target') if e == 'T' else str(bags / 'nocam') if e == 'NOCAM' else e
             for e in extra]
    r = subprocess.run(
        [sys.executable, '-m', 'robot_learning.cli', 'train', '--bags', str(bags / 'source'),
         '--out', str(tmp_path / 'out'), '--outcomes', 'all', '--no-progress',
         '--cache-dir', str(tmp_path / 'cache'), *([] if 'iql' in extra else SIZE), *extra],
        capture_output=True, text=True, timeout=120,
    )
    errors = [line for line in r.stderr.splitlines() if line.startswith('robot-learning')]
    assert r.returncode == 2 and len(errors) == 1 and what in errors[0], r.stderr
    assert not (tmp_path / 'out').exists()
