# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 robot_learning maintainers
"""Behaviour of behaviour cloning: the BC trainer, its augmentations and BCPolicy (no rclpy)."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest
from robot_learning.algos.bc import BCConfig, BCPolicy, BCTrainer, history_indices, random_shift
from robot_learning.algos.bc.modeling_bc import _two_hot, decode, head_loss
from robot_learning.algos.bc.training_bc import _permute_words
from robot_learning.common.checkpoint import load_checkpoint, save_checkpoint
from robot_learning.common.features import ActionConfig, ObservationConfig, RawObservation
from robot_learning.data.bagdataset import FRAME_KEYS, TRANSITION_KEYS
from robot_learning.errors import CheckpointError, ConfigError, MessageError
import torch

torch.set_num_threads(1)

OBS = ObservationConfig(num_sectors=8)
ACT = ActionConfig()
W, H = 16, 12
SMALL = {
    'image_width': W,
    'image_height': H,
    'conv_channels': (8, 8),
    'conv_strides': (2, 2),
    'image_features': 32,
    'text_dim': 16,
    'lowdim_hidden': (32,),
    'hidden': (64,),
    'dropout': 0.0,
    'lr': 3e-3,
    'history': (0, 1),
    'lowdim_noise': 0.0,
}


def make_data(episodes=12, steps=6, seed=0):
    """Build toy episodes: the instructed pillar's blob sits left or right in the image.

    The blob is in the detections too; the action turns toward it (w = +-0.8).
    """
    rng = np.random.default_rng(seed)
    instructions = [f'go to the {c} pillar' for c in OBS.colors]
    rgb = {'red': (220, 20, 20), 'green': (20, 200, 20), 'blue': (20, 40, 220)}
    # The synthetic frames carry no 'stamp' (no bag behind them).
    F = {k: [] for k in FRAME_KEYS if k != 'stamp'}
    T = {k: [] for k in TRANSITION_KEYS}
    for ep in range(episodes):
        goal = ep % 3
        sides = rng.permutation([-1, 1, 0])  # per colour: left, right, absent
        if sides[goal] == 0:
            sides[[goal, np.flatnonzero(sides != 0)[0]]] = sides[
                [np.flatnonzero(sides != 0)[0], goal]
            ]
        prev = None
        for t in range(steps + 1):
            img = np.full((H, W, 3), 90, np.uint8)
            det = np.full((3, 2), np.nan, np.float32)
            for c, side in enumerate(sides):
                if side:
                    col = 2 if side > 0 else W - 5
                    img[4:9, col: col + 3] = rgb[OBS.colors[c]]
                    det[c] = (2.0, 1.0 * side)
            idx = len(F['episode'])
            F['image'].append(img)
            F['sectors'].append(rng.uniform(0.5, 3.5, OBS.num_sectors).astype(np.float32))
            F['detections'].append(det)
            F['velocity'].append(np.zeros(2, np.float32))
            F['observation'].append(np.zeros(OBS.dim, np.float32))
            F['instruction'].append(goal)
            F['episode'].append(ep)
            F['prev'].append(idx if prev is None else prev)
            if prev is not None:
                T['obs'].append(prev)
                T['next_obs'].append(idx)
                T['action'].append(np.array([0.5, 0.8 * sides[goal]], np.float32))
                T['reward'].append(0.0)
                T['terminated'].append(t == steps)
                T['truncated'].append(False)
                T['intervention'].append(False)
                T['episode'].append(ep)
            prev = idx
    frames = {k: np.asarray(v) for k, v in F.items()}
    frames['image'] = frames['image'].astype(np.uint8)
    frames['prev'] = frames['prev'].astype(np.int64)
    trans = {k: np.asarray(v) for k, v in T.items()}
    trans['action'] = trans['action'].astype(np.float32)
    return SimpleNamespace(frames=frames, transitions=trans, instructions=instructions)


def train(data, cfg, updates):
    tr = BCTrainer(data, cfg, OBS, ACT, np.arange(len(data.transitions['obs'])))
    rng = np.random.default_rng(0)
    for _ in range(updates):
        tr.update(tr.sample(np.arange(len(tr.actions)), 32, rng))
    return tr


def raw_of(data, f, image=None):
    """Return the observation of frame ``f`` as the policy node builds it (``image`` if given)."""
    fr = data.frames
    return RawObservation(
        0,
        fr['sectors'][f],
        fr['detections'][f],
        tuple(fr['velocity'][f]),
        data.instructions[fr['instruction'][f]],
        image,
    )


def test_history_indices_follow_prev_and_stop_at_the_episode_start():
    prev = np.array([0, 0, 1, 2, 4, 4])  # episodes [0..3], [4..5]
    h = history_indices(prev, (0, 1, 3))
    assert h.tolist() == [[0, 0, 0], [1, 0, 0], [2, 1, 0], [3, 2, 0], [4, 4, 4], [5, 4, 4]]


def test_random_shift_is_an_integer_translation_with_replicated_edges():
    img = torch.arange(2 * 1 * 6 * 7, dtype=torch.float32).view(2, 1, 6, 7)
    assert torch.equal(random_shift(img, 0), img)
    out = random_shift(img, 2, torch.Generator().manual_seed(1))
    padded = torch.nn.functional.pad(img, (2, 2, 2, 2), mode='replicate')
    for b in range(2):
        crops = [padded[b, :, y: y + 6, x: x + 7] for y in range(5) for x in range(5)]
        assert any(torch.equal(out[b], c) for c in crops)


def test_two_hot_target_has_the_action_as_mean_and_decodes_back():
    cfg = BCConfig(bins=21)
    a = torch.tensor([[-1.0, 0.33], [0.97, 1.0]])
    target = _two_hot(a, 21)
    centers = torch.linspace(-1, 1, 21)
    assert torch.allclose(target.sum(-1), torch.ones(2, 2))
    assert torch.allclose((target * centers).sum(-1), a, atol=1e-6)
    logits = torch.log(target.clamp_min(1e-9)).view(2, -1)
    assert torch.allclose(decode(logits, cfg), a, atol=1e-4)


def test_discrete_head_keeps_one_mode_where_mse_averages_them():
    """Same observation, expert turns left or right half the time each."""
    cfg_d, cfg_m = BCConfig(head='discrete'), BCConfig(head='mse')
    action = torch.tensor([[0.0, 1.0], [0.0, -1.0]]).repeat(16, 1)
    out_d = torch.zeros(1, 2 * cfg_d.bins, requires_grad=True)
    out_m = torch.zeros(1, 2, requires_grad=True)
    opt = torch.optim.Adam([out_d, out_m], lr=0.1)
    for _ in range(300):
        opt.zero_grad()
        (
            head_loss(out_d.expand(32, -1), action, cfg_d)
            + head_loss(out_m.expand(32, -1), action, cfg_m)
        ).backward()
        opt.step()
    assert abs(float(decode(out_m.detach(), cfg_m)[0, 1])) < 0.1  # "go straight"
    assert abs(float(decode(out_d.detach(), cfg_d)[0, 1])) > 0.9  # commits to a turn
    samples = torch.stack(
        [decode(out_d.detach(), cfg_d, deterministic=False)[0, 1] for _ in range(40)]
    )
    assert (samples > 0.9).any() and (samples < -0.9).any()  # both modes are sampled


def test_camera_policy_learns_the_instructed_side_and_matches_the_trainer():
    data = make_data()
    cfg = BCConfig(**SMALL)
    tr = train(data, cfg, 250)
    pol = tr.policy()
    assert pol.needs_image and pol.image_size == (W, H)
    fr, trans = data.frames, data.transitions
    errs = []
    for ep in range(len(set(fr['episode'].tolist()))):
        pol.reset()
        rows = np.flatnonzero(trans['episode'] == ep)
        for r in rows:
            f = trans['obs'][r]
            a = pol.act(raw_of(data, f, fr['image'][f]))
            assert a.dtype == np.float32 and a.shape == (2,) and np.all(np.abs(a) <= 1)
            errs.append(abs(a[1] - trans['action'][r, 1]))
        # Episode-start history repeats the first frame, like frames['prev'].
        with torch.no_grad():
            tr.net.eval()
            batch = tr.gather(rows)
            image, lowdim, text, _ = tr._tensors(batch, augment=False)
            ref = decode(tr.net(image, lowdim, text), cfg).numpy()
        pol.reset()
        ours = np.stack(
            [pol.act(raw_of(data, trans['obs'][r], fr['image'][trans['obs'][r]])) for r in rows]
        )
        assert np.allclose(ours, ref, atol=1e-5)
    assert np.mean(np.array(errs) < 0.3) > 0.9, np.mean(errs)


def test_checkpoint_round_trip_acts_identically(tmp_path):
    data = make_data(episodes=3, steps=3)
    tr = train(data, BCConfig(**SMALL), 5)
    path = tr.save(tmp_path / 'bc', {'epoch': 1})
    tensors, meta = load_checkpoint(path)
    assert meta['algorithm'] == 'bc' and meta['epoch'] == 1
    assert meta['vocabulary']['tokens'][:2] == ['<pad>', '<unk>']
    assert meta['image_size'] == [W, H] and meta['obs_dim'] == OBS.dim
    assert 'norm.mean' in tensors and 'norm.std' in tensors
    a, b = BCPolicy.from_checkpoint(path), tr.policy()
    f = data.transitions['obs'][1]
    for _ in range(3):  # history fills up identically
        assert np.array_equal(
            a.act(raw_of(data, f, data.frames['image'][f])),
            b.act(raw_of(data, f, data.frames['image'][f])),
        )
    unseen = raw_of(data, f, data.frames['image'][f])._replace(
        instruction='go to the purple pillar'
    )
    assert a.act(unseen).shape == (2,)  # <unk>, still acts


def test_lowdim_variant_needs_no_image_and_colour_permutation_is_consistent():
    data = make_data()
    data.frames.pop('image')
    cfg = BCConfig(
        **{
            **SMALL,
            'use_image': False,
            'use_detections': True,
            'use_sectors': False,
            'use_velocity': False,
            'history': (0,),
            'mirror': False,
        }
    )
    tr = train(data, cfg, 600)
    assert len(tr.perms) == 6
    # Permuted batches: the detection block of the colour the text names is the original
    # instructed colour's block.
    batch = tr.gather(np.arange(24))
    _, lowdim, text, _ = tr._tensors(batch, augment=True)
    raw = lowdim * tr._std_t + tr._mean_t
    ids = {tr.vocab.tokens.index(c): k for k, c in enumerate(OBS.colors)}
    for row in range(24):
        named = next(ids[int(t)] for t in text[row] if int(t) in ids)
        orig = int(batch.instruction[row])
        assert torch.allclose(
            raw[row].view(3, 4)[named],
            torch.from_numpy(batch.lowdim[row].reshape(3, 4)[orig]),
            atol=1e-4,
        )
    pol = tr.policy()
    assert not pol.needs_image
    trans = data.transitions
    right = [
        np.sign(pol.act(raw_of(data, trans['obs'][r]))[1]) == np.sign(trans['action'][r, 1])
        for r in range(len(trans['obs']))
    ]
    assert np.mean(right) > 0.9


def test_permute_words_relabels_only_colour_words():
    assert (
        _permute_words('Go to the RED pillar', ('red', 'green', 'blue'), (2, 0, 1))
        == 'go to the blue pillar'
    )


def test_errors_are_one_line_and_name_the_fix(tmp_path):
    data = make_data(episodes=3, steps=3)
    with pytest.raises(ConfigError, match='image_width/height'):
        BCTrainer(data, BCConfig(**{**SMALL, 'image_width': 32}), OBS, ACT, np.arange(3))
    no_img = SimpleNamespace(
        frames={k: v for k, v in data.frames.items() if k != 'image'},
        transitions=data.transitions,
        instructions=data.instructions,
    )
    with pytest.raises(ConfigError, match='lack'):
        BCTrainer(no_img, BCConfig(**SMALL), OBS, ACT, np.arange(3))
    for bad in ({'history': (1, 2)}, {'head': 'gauss'}, {'conv_strides': (2,)}):
        with pytest.raises(ConfigError):
            BCConfig(**{**SMALL, **bad})
    tr = train(data, BCConfig(**SMALL), 1)
    pol = tr.policy()
    f = data.transitions['obs'][0]
    with pytest.raises(MessageError, match='width=16 height=12') as err:
        pol.act(raw_of(data, f, np.zeros((64, 64, 3), np.uint8)))
    assert '\n' not in str(err.value)
    with pytest.raises(MessageError, match='camera'):
        pol.act(raw_of(data, f))
    path = tr.save(tmp_path / 'bc', {})
    tensors, meta = load_checkpoint(path)
    save_checkpoint(tmp_path / 'sac', tensors, {**meta, 'algorithm': 'sac'})
    with pytest.raises(CheckpointError, match="needs 'bc'"):
        BCPolicy.from_checkpoint(tmp_path / 'sac')
    tensors = {k: (v[:1] if k.endswith('img_fc.weight') else v) for k, v in tensors.items()}
    save_checkpoint(tmp_path / 'cut', tensors, meta)
    with pytest.raises(CheckpointError, match='do not fit') as err:
        BCPolicy.from_checkpoint(tmp_path / 'cut')
    assert '\n' not in str(err.value)


def test_mirror_map_reflects_features_like_a_mirrored_world():
    """Reflecting the raw streams gives the features of the trainer's mirror index/sign.

    Reflected are scan angles, yaw rate and lateral positions; the mirror index/sign is
    applied to the original features.
    """
    from robot_learning.algos.bc import frame_features
    from robot_learning.algos.bc.training_bc import _mirror_map

    cfg = BCConfig(**{**SMALL, 'use_detections': True, 'history': (0, 2)})
    rng = np.random.default_rng(3)
    sectors = rng.uniform(0.2, 3.5, (1, OBS.num_sectors)).astype(np.float32)
    vel = np.array([[0.3, 0.7]], np.float32)
    det = np.array([[[1.0, 0.5], [np.nan, np.nan], [2.0, -1.5]]], np.float32)
    feat = frame_features(sectors, vel, det, OBS, cfg)[0]
    mirrored = frame_features(sectors[:, ::-1], vel * [1, -1], det * [1, -1], OBS, cfg)[0]
    idx, sign = _mirror_map(OBS, cfg)
    row = torch.from_numpy(np.concatenate([feat, feat]))
    out = (row[idx] * sign).numpy()
    assert np.allclose(out, np.concatenate([mirrored, mirrored]), atol=1e-6)
    assert np.allclose((row[idx] * sign)[idx] * sign, row)  # an involution


def test_image_colour_permutation_renames_the_pillar_the_text_names():
    """Swapping image channels and colour words together keeps the instructed blob.

    With RGB-primary pillars the instruction keeps pointing at the same blob.
    """
    data = make_data()
    cfg = BCConfig(**{**SMALL, 'mirror': False, 'drq_pad': 0, 'image_color_permute': True})
    tr = BCTrainer(data, cfg, OBS, ACT, np.arange(len(data.transitions['obs'])))
    rows = np.arange(40)
    batch = tr.gather(rows)
    image, _, text, action = tr._tensors(batch, augment=True)
    word_channel = {tr.vocab.tokens.index(c): k for k, c in enumerate(('red', 'green', 'blue'))}
    changed = 0
    for i in range(len(rows)):
        named = next(word_channel[int(t)] for t in text[i] if int(t) in word_channel)
        col = 3 if float(action[i, 1]) > 0 else W - 4  # the instructed blob's centre column
        pixel = image[i, 0:3, 6, col]
        assert int(pixel.argmax()) == named
        changed += named != int(batch.instruction[i])
    assert changed > 0  # some rows were relabelled
    assert len(BCTrainer(data, BCConfig(**SMALL), OBS, ACT, np.arange(3)).perms) == 1
    with pytest.raises(ConfigError, match='image_color_permute'):
        BCTrainer(
            data,
            cfg,
            ObservationConfig(num_sectors=8, colors=('red', 'green', 'white')),
            ACT,
            np.arange(3),
        )
