# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 robot_learning maintainers
"""The success classifier: labels, splits, threshold, checkpoint, inference errors (no rclpy)."""

from __future__ import annotations

import json
from types import SimpleNamespace

import numpy as np
import pytest
from robot_learning import cli
from robot_learning.algos.reward_classifier import (
    choose_threshold,
    confusion,
    evaluation_rows,
    frame_labels,
    load_classifier,
    RewardClassifierConfig,
    RewardClassifierTrainer,
    split_test,
)
from robot_learning.common.checkpoint import load_checkpoint
from robot_learning.common.features import ActionConfig, ObservationConfig
from robot_learning.errors import CheckpointError, ConfigError, MessageError
from robot_learning.policy import load_policy
from test_bagdataset import write_episode
import torch

torch.set_num_threads(1)

OBS = ObservationConfig(num_sectors=8)
W, H = 16, 12
SMALL = {
    'image_width': W,
    'image_height': H,
    'conv_channels': (8, 8),
    'conv_strides': (2, 2),
    'image_features': 16,
    'text_dim': 8,
    'sector_hidden': 8,
    'hidden': (16,),
    'positive_frames': 2,
    'ambiguous_frames': 1,
    'dropout': 0.0,
    'drq_pad': 2,
    'lr': 3e-3,
}
RGB = {'red': (220, 20, 20), 'green': (20, 200, 20), 'blue': (20, 40, 220)}


def ep(start, stop, outcome):
    return SimpleNamespace(frames=(start, stop), outcome=outcome)


def make_data(episodes=9, steps=8):
    """Toy episodes: the instructed pillar's colour grows in the image until it fills it.

    Episode k goes to colour k % 3; every third episode but the first is a failure that
    ends at another colour's pillar.
    """
    instructions = [f'go to the {c} pillar' for c in OBS.colors]
    F = {k: [] for k in ('image', 'sectors', 'instruction', 'episode')}
    T = {k: [] for k in ('obs', 'episode')}
    infos = []
    for e in range(episodes):
        goal = e % 3
        failure = e % 3 == 2 and e > 2
        seen = (goal + 1) % 3 if failure else goal
        start = len(F['episode'])
        for t in range(steps + 1):
            img = np.full((H, W, 3), 90, np.uint8)
            half = 1 + (W // 2 - 1) * t // steps
            img[:, W // 2 - half: W // 2 + half] = RGB[OBS.colors[seen]]
            F['image'].append(img)
            F['sectors'].append(np.full(OBS.num_sectors, 3.0 - 2.5 * t / steps, np.float32))
            F['instruction'].append(goal)
            F['episode'].append(e)
            if t:
                T['obs'].append(len(F['episode']) - 2)
                T['episode'].append(e)
        infos.append(ep(start, len(F['episode']), 'failure' if failure else 'success'))
    frames = {k: np.asarray(v) for k, v in F.items()}
    trans = {k: np.asarray(v, np.int64) for k, v in T.items()}
    return SimpleNamespace(
        frames=frames, transitions=trans, instructions=instructions, episodes=infos
    )


def test_labels_come_from_the_episode_outcomes():
    episodes = [
        ep(0, 10, 'success'),
        ep(10, 14, 'failure'),
        ep(14, 17, 'discarded'),
        ep(17, 21, 'success'),
    ]
    lab = frame_labels(episodes, 21, positive_frames=3, ambiguous_frames=2)
    assert lab[:10].tolist() == [0, 0, 0, 0, 0, -1, -1, 1, 1, 1]
    assert lab[10:14].tolist() == [0] * 4 and lab[14:17].tolist() == [-1] * 3
    assert lab[17:].tolist() == [-1, 1, 1, 1]  # a short success: no negative left


def test_test_split_is_by_episode_and_keeps_validation_episodes():
    val, test = split_test(np.arange(10, 20), 0.5, seed=3)
    assert len(val) == 5 and len(test) == 5 and not set(val) & set(test)
    assert sorted([*val, *test]) == list(range(10, 20))
    assert split_test(np.arange(10, 20), 0.5, seed=3)[1].tolist() == test.tolist()
    assert split_test([4], 0.5, 0)[1].size == 0 and split_test([4, 5], 0.9, 0)[0].size == 1


def test_threshold_keeps_the_most_recall_at_the_target_precision():
    probs = np.array([0.95, 0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.1])
    labels = np.array([1, 1, 1, 0, 1, 0, 1, 0])
    sel = choose_threshold(probs, labels, 0.8)
    # >= 0.6 gives 4 tp / 1 fp = 0.8; >= 0.4 gives 5/7 < 0.8: midpoint of 0.6 and 0.5.
    assert sel['threshold'] == pytest.approx(0.55) and sel['target_met']
    assert sel['precision'] == pytest.approx(0.8) and sel['recall'] == pytest.approx(0.8)
    assert choose_threshold(probs, labels, 0.99)['threshold'] == pytest.approx(0.75)
    # Separable scores: the threshold lies in the gap, not at the lowest passing score.
    gap = choose_threshold(np.array([0.9, 0.8, 0.3, 0.1]), np.array([1, 1, 0, 0]), 0.5)
    assert gap['threshold'] == pytest.approx(0.55) and gap['recall'] == 1.0
    unmet = choose_threshold(np.array([0.9, 0.8]), np.array([0, 1]), 0.99)
    assert not unmet['target_met'] and 0 < unmet['threshold'] < 1
    c = confusion(probs, labels, 0.55)
    assert (c['tp'], c['fp'], c['tn'], c['fn']) == (4, 1, 2, 1)


def test_evaluation_adds_instruction_swap_negatives():
    lab = np.array([0, -1, 1, 1, 0, 0], np.int8)
    episode = np.array([0, 0, 0, 0, 1, 1])
    instr = np.array([2, 2, 2, 2, 0, 0])
    frame, ins, y, swap = evaluation_rows(lab, episode, instr, [0], 3)
    assert frame.tolist() == [0, 2, 3, 2, 3, 2, 3] and y.tolist() == [0, 1, 1, 0, 0, 0, 0]
    assert ins.tolist() == [2, 2, 2, 0, 0, 1, 1] and swap.tolist() == [False] * 3 + [True] * 4


def test_config_checks_its_fields():
    with pytest.raises(ConfigError, match='target_precision'):
        RewardClassifierConfig(target_precision=1.0)
    with pytest.raises(ConfigError, match='positive_frames'):
        RewardClassifierConfig(positive_frames=0)
    with pytest.raises(ConfigError, match='no input'):
        RewardClassifierConfig(use_image=False, use_sectors=False)


@pytest.fixture(scope='module')
def trained(tmp_path_factory):
    data = make_data()
    cfg = RewardClassifierConfig(**SMALL)
    ep_of = data.transitions['episode']
    train_idx = np.flatnonzero(ep_of < 6)
    tr = RewardClassifierTrainer(data, cfg, OBS, ActionConfig(), train_idx)
    tr.set_validation(np.flatnonzero(ep_of >= 6))
    assert tr.val_eps.tolist() + tr.test_eps.tolist() and not set(tr.test_eps) & set(tr.val_eps)
    rng = np.random.default_rng(0)
    for _ in range(150):
        tr.update(tr.sample(train_idx, 32, rng))
    path = tr.save(tmp_path_factory.mktemp('clf') / 'ckpt')
    return data, tr, path


def test_batches_are_balanced_and_never_touch_test_episodes(trained):
    data, tr, _ = trained
    batch = tr.sample(np.arange(len(data.transitions['obs'])), 40, np.random.default_rng(1))
    assert not np.isin(data.frames['episode'][batch.frame], tr.test_eps).any()
    assert batch.label.sum() == 15  # (40 - 10 swaps) / 2
    swaps = batch.instruction[-10:] != data.frames['instruction'][batch.frame[-10:]]
    assert swaps.all() and (batch.label[-10:] == 0).all()


def test_checkpoint_round_trip_and_predictions(trained):
    data, tr, path = trained
    clf = load_classifier(path)
    meta = load_checkpoint(path)[1]
    assert meta['algorithm'] == 'reward_classifier' and meta['image_size'] == [W, H]
    assert (clf.image_width, clf.image_height, clf.num_sectors) == (W, H, 8)
    assert clf.instructions == tuple(data.instructions) and clf.uses_image
    assert 0 < clf.threshold < 1 and clf.threshold == meta['threshold']
    fr = data.frames
    last, first = data.episodes[0].frames[1] - 1, data.episodes[0].frames[0]
    text = data.instructions[fr['instruction'][last]]
    p_last = clf.predict(fr['image'][last], fr['sectors'][last], text)
    assert p_last == pytest.approx(
        tr.classifier().predict(fr['image'][last], fr['sectors'][last], text), abs=1e-6
    )
    assert p_last > clf.threshold > clf.predict(fr['image'][first], fr['sectors'][first], text)
    other = data.instructions[(fr['instruction'][last] + 1) % 3]
    assert not clf.is_success(fr['image'][last], fr['sectors'][last], other)


def test_mismatched_inputs_raise_message_error(trained):
    data, _, path = trained
    clf = load_classifier(path)
    img, sec = data.frames['image'][0], data.frames['sectors'][0]
    text = data.instructions[0]
    with pytest.raises(MessageError, match=r'uint8 \(12, 16, 3\).*width=16 height=12'):
        clf.predict(np.zeros((48, 64, 3), np.uint8), sec, text)
    with pytest.raises(MessageError, match='uint8'):
        clf.predict(img.astype(np.float32), sec, text)
    with pytest.raises(MessageError, match=r'\(8,\) sectors.*num_sectors=8'):
        clf.predict(img, np.ones(24, np.float32), text)
    with pytest.raises(MessageError, match="'go to the pink pillar' is not in"):
        clf.predict(img, sec, 'go to the pink pillar')
    with pytest.raises(MessageError, match='needs a camera image'):
        clf.predict(None, sec, text)


def test_bad_checkpoints_and_load_policy_refuse_in_one_line(tmp_path, trained):
    _, _, path = trained
    with pytest.raises(CheckpointError) as err:
        load_policy(path)
    assert 'a reward classifier, not a policy' in str(err.value)
    assert '\n' not in str(err.value)
    with pytest.raises(CheckpointError):
        load_classifier(tmp_path / 'missing')


@pytest.fixture(scope='module')
def bags(tmp_path_factory):
    root = tmp_path_factory.mktemp('bags') / 'demos'
    for i in range(6):
        write_episode(
            root / f'episode_{i:04d}',
            n=10,
            seed=i,
            instruction=f'go to the {["red", "green", "blue"][i % 3]} pillar',
        )
    write_episode(root / 'episode_0006', n=10, seed=9, outcome='failure')
    return root


def test_train_cli_writes_a_classifier_run(tmp_path, bags):
    out = tmp_path / 'run'
    sets = [
        'image_width=16',
        'image_height=12',
        'conv_channels=[8]',
        'conv_strides=[2]',
        'image_features=8',
        'hidden=[8]',
        'positive_frames=2',
        'ambiguous_frames=2',
    ]
    argv = [
        'train',
        '--algo',
        'reward_classifier',
        '--bags',
        str(bags),
        '--out',
        str(out),
        '--no-progress',
        '--cache-dir',
        str(tmp_path / 'cache'),
        '--outcomes',
        'all',
        '--val-fraction',
        '0.5',
        '--steps',
        '6',
        '--eval-every',
        '3',
        '--batch-size',
        '8',
    ]
    for s in sets:
        argv += ['--set', s]
    assert cli.main(argv) == 0
    m = json.loads((out / 'metrics.json').read_text())
    c = m['classifier']
    assert m['algorithm'] == 'reward_classifier' and 0 < c['threshold'] < 1
    assert c['validation']['episodes'] + c['test']['episodes'] == 4  # round(0.5 * 7)
    for split in ('validation', 'test'):
        assert {'tp', 'fp', 'tn', 'fn', 'precision', 'recall'} <= set(c[split])
    assert c['predict_ms'] > 0
    for png in ('classifier_confusion.png', 'classifier_curves.png', 'loss_curve.png'):
        assert (out / png).stat().st_size > 0
    assert any((out / 'tb').iterdir())
    clf = load_classifier(out / 'checkpoints' / 'best')
    assert clf.threshold == c['threshold'] and len(clf.instructions) == 3
