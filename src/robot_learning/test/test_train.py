# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 robot_learning maintainers
"""``robot-learning train`` / ``eval --offline`` on small synthetic bags (no ROS).

Smoke runs of every algorithm for a few dozen steps, the episode selection used for
DAgger-style aggregation, one-line errors, and two DistributedDataParallel ranks under
torchrun staying in sync.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
import subprocess
import sys
from types import SimpleNamespace

import numpy as np
import pytest
from robot_learning import cli
from robot_learning.common.checkpoint import load_checkpoint
from robot_learning.common.features import RawObservation
from robot_learning.policy import load_policy
from robot_learning.train import apply_overrides, select_transitions
from test_bagdataset import write_episode


@pytest.fixture(scope='module')
def bags(tmp_path_factory) -> Path:
    """6 successful demos, 1 failure (colour words differ), in one session directory."""
    root = tmp_path_factory.mktemp('bags') / 'demos'
    for i in range(6):
        write_episode(
            root / f'episode_{i:04d}',
            n=12,
            seed=i,
            instruction=f'go to the {["red", "green", "blue"][i % 3]} pillar',
        )
    write_episode(root / 'episode_0006', n=12, seed=9, outcome='failure')
    return root


def train(tmp_path, bags, *extra) -> tuple[int, Path]:
    out = tmp_path / 'run'
    rc = cli.main(
        [
            'train',
            '--bags',
            str(bags),
            '--out',
            str(out),
            '--no-progress',
            '--cache-dir',
            str(tmp_path.parent / 'cache'),
            '--eval-every',
            '10',
            *extra,
        ]
    )
    return rc, out


def test_bc_lowdim_trains_and_the_checkpoint_acts(tmp_path, bags):
    rc, out = train(
        tmp_path, bags, '--algo', 'bc', '--inputs', 'lowdim', '--steps', '60', '--batch-size', '32'
    )
    assert rc == 0
    m = json.loads((out / 'metrics.json').read_text())
    assert m['steps'] == 60 and m['episodes'] == 7
    hist = m['history']
    assert [h['step'] for h in hist] == [10, 20, 30, 40, 50, 60]
    assert hist[-1]['loss'] < hist[0]['loss']  # it learns the (fixed) data
    assert m['best_val_loss'] == min(h['val_loss'] for h in hist)
    assert (out / 'loss_curve.png').stat().st_size > 0
    assert any((out / 'tb').iterdir())
    policy = load_policy(out / 'checkpoints' / 'best')
    assert not policy.needs_image
    raw = RawObservation(
        0,
        np.full(24, 1.0, np.float32),
        np.zeros((3, 2), np.float32),
        (0.1, 0.0),
        'go to the red pillar',
    )
    a = policy.act(raw)
    assert a.shape == (2,) and np.all(np.abs(a) <= 1.0)


def test_bc_camera_smoke_and_offline_eval(tmp_path, bags):
    rc, out = train(
        tmp_path,
        bags,
        '--algo',
        'bc',
        '--steps',
        '20',
        '--batch-size',
        '8',
        '--set',
        'image_width=16',
        '--set',
        'image_height=12',
        '--set',
        'history=[0,1]',
        '--set',
        'conv_channels=[8,8]',
        '--set',
        'conv_strides=[2,2]',
    )
    assert rc == 0
    policy = load_policy(out / 'checkpoints' / 'best')
    assert policy.needs_image and tuple(policy.image_size) == (16, 12)
    ev = tmp_path / 'eval'
    assert (
        cli.main(
            [
                'eval',
                '--checkpoint',
                str(out / 'checkpoints' / 'best'),
                '--offline',
                '--bags',
                str(bags),
                '--out',
                str(ev),
            ]
        )
        == 0
    )
    m = json.loads((ev / 'metrics.json').read_text())
    assert m['episodes'] == 6 and m['transitions'] == 6 * 12  # the failure is left out
    assert set(m['mae']) == {'linear_m_s', 'angular_rad_s'} and m['mae']['angular_rad_s'] >= 0
    assert (ev / 'action_error.png').exists()


@pytest.mark.parametrize('algo', ['iql', 'sac'])
def test_offline_rl_smoke(tmp_path, bags, algo):
    rc, out = train(
        tmp_path, bags, '--algo', algo, '--steps', '20', '--batch-size', '32', '--outcomes', 'all'
    )
    assert rc == 0
    tensors, meta = load_checkpoint(out / 'checkpoints' / 'last')
    assert meta['algorithm'] == algo
    if algo == 'sac':  # a full SAC state the online learner can continue from (init_from)
        assert any(k.startswith('sac.') for k in tensors)
    policy = load_policy(out / 'checkpoints' / 'best')
    assert policy.act_vector(np.zeros(policy.obs_cfg.dim, np.float32)).shape == (2,)


def test_empty_selection_exits_nonzero_with_one_line(tmp_path, bags, capsys):
    rc, _ = train(tmp_path, bags, '--outcomes', 'timeout', '--steps', '5')
    err = capsys.readouterr().err.strip().splitlines()
    assert rc == 2
    assert len([line for line in err if line.startswith('robot-learning train:')]) == 1
    assert 'no training transitions' in err[-1] and "'timeout'" in err[-1]


def test_missing_bag_path_exits_nonzero_with_one_line(tmp_path, capsys):
    rc = cli.main(
        [
            'train',
            '--bags',
            str(tmp_path / 'nope'),
            '--out',
            str(tmp_path / 'r'),
            '--no-progress',
            '--cache-dir',
            str(tmp_path / 'c'),
        ]
    )
    err = capsys.readouterr().err.strip().splitlines()
    assert rc == 2 and len(err) == 1 and 'nope' in err[0]


def test_bad_override_names_the_fields(tmp_path, bags, capsys):
    rc, _ = train(tmp_path, bags, '--set', 'learning_rate=1')
    err = capsys.readouterr().err.strip().splitlines()
    assert rc == 2 and 'learning_rate' in err[-1] and 'lr' in err[-1]


def test_apply_overrides_parses_yaml_values():
    from robot_learning.algos.bc import BCConfig

    cfg = apply_overrides(BCConfig(), ['lr=1e-3', 'history=[0, 3]', 'film=false'])
    assert (cfg.lr, cfg.history, cfg.film) == (1e-3, (0, 3), False)


def test_interventions_add_only_human_transitions_and_never_validate():
    """Demos split by episode; deployment episodes give only their takeover steps."""
    eps = [SimpleNamespace(path=f'/d/demos/episode_{i}', outcome='success') for i in range(4)]
    eps += [SimpleNamespace(path='/d/demos/episode_9', outcome='failure')]
    eps += [SimpleNamespace(path=f'/d/deploy/episode_{i}', outcome='failure') for i in range(2)]
    ep_of = np.repeat(np.arange(len(eps)), 5)
    human = np.zeros(len(ep_of), bool)
    human[ep_of >= 5] = np.tile([True, True, False, False, False], 2)
    human[0] = True  # a flag inside a demo changes nothing
    data = SimpleNamespace(episodes=eps, transitions={'episode': ep_of, 'intervention': human})
    train_view, val_view = select_transitions(
        data, ['/d/demos'], ['/d/deploy'], ('success',), 0.25, 0
    )
    train, val = train_view.transition_indices, val_view.transition_indices
    train_eps = train_view.episode_ids
    assert set(ep_of[val]).isdisjoint(ep_of[train][ep_of[train] < 5])  # by episode, never by frame
    assert len(set(ep_of[val])) == 1 and 4 not in ep_of[train] and 4 not in ep_of[val]
    from_deploy = train[ep_of[train] >= 5]
    assert human[from_deploy].all() and len(from_deploy) == 4
    assert set(train_eps) >= {5, 6}


def test_two_ddp_ranks_stay_in_sync(tmp_path, bags):
    """Two DDP ranks (torchrun --nproc_per_node=2, gloo on CPU) end with the same weights.

    Each rank trains on its own episodes.
    """
    out = tmp_path / 'ddp'
    env = {**os.environ, 'OMP_NUM_THREADS': '1'}
    proc = subprocess.run(
        [
            sys.executable,
            '-m',
            'torch.distributed.run',
            '--standalone',
            '--nproc_per_node=2',
            '-m',
            'robot_learning.train',
            '--algo',
            'bc',
            '--inputs',
            'lowdim',
            '--bags',
            str(bags),
            '--out',
            str(out),
            '--steps',
            '12',
            '--eval-every',
            '6',
            '--batch-size',
            '16',
            '--no-progress',
            '--threads',
            '1',
            '--cache-dir',
            str(tmp_path / 'cache'),
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert proc.returncode == 0, proc.stderr[-8000:]
    ddp = json.loads((out / 'metrics.json').read_text())['ddp']
    assert ddp['world_size'] == 2 and ddp['backend'] == 'gloo'
    assert ddp['in_sync'] and len(ddp['param_checksums']) == 2
    # Sanity: the replicas trained (a run on one rank with other data ends elsewhere).
    assert ddp['param_checksums'][0] != 0.0


def test_bc_fine_tunes_from_a_previous_round(tmp_path, bags):
    """--init-from (DAgger's next round): starts where the checkpoint ended."""
    rc, first = train(
        tmp_path / 'a', bags, '--inputs', 'lowdim', '--steps', '60', '--batch-size', '32'
    )
    assert rc == 0
    rc, again = train(
        tmp_path / 'b',
        bags,
        '--inputs',
        'lowdim',
        '--steps',
        '10',
        '--batch-size',
        '32',
        '--init-from',
        str(first / 'checkpoints' / 'last'),
    )
    assert rc == 0
    start = json.loads((first / 'metrics.json').read_text())['history']
    resumed = json.loads((again / 'metrics.json').read_text())['history']
    assert resumed[0]['loss'] < start[0]['loss']
    rc, _ = train(
        tmp_path / 'c',
        bags,
        '--algo',
        'iql',
        '--steps',
        '5',
        '--outcomes',
        'all',
        '--init-from',
        str(first / 'checkpoints' / 'last'),
    )
    assert rc == 2  # an IQL trainer refuses a BC checkpoint in one line
