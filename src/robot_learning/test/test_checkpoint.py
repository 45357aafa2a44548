# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 robot_learning maintainers
"""Behaviour of robot_learning.common.checkpoint (no rclpy, no pickle)."""

from __future__ import annotations

import json
import pickle

import numpy as np
import pytest
import robot_learning.common.checkpoint as ckpt
from robot_learning.common.checkpoint import (
    bytes_to_weights,
    check_spec,
    FORMAT_VERSION,
    load_checkpoint,
    save_checkpoint,
    weights_to_bytes,
)
from robot_learning.errors import CheckpointError
import torch


def _tensors() -> dict[str, torch.Tensor]:
    gen = torch.Generator().manual_seed(0)
    return {
        'actor.net.0.weight': torch.randn(64, 10, generator=gen),
        'actor.net.0.bias': torch.randn(64, generator=gen),
        'double': torch.randn(3, 3, generator=gen, dtype=torch.float64),
        'bf16': torch.randn(5, generator=gen).to(torch.bfloat16),
        'step': torch.tensor(12345, dtype=torch.int64),
        'rng': torch.randint(0, 255, (17,), generator=gen, dtype=torch.uint8),
        'transposed': torch.randn(4, 6, generator=gen).T,  # non-contiguous
    }


METADATA = {
    'algorithm': 'sac',
    'observation': {'dim': 44, 'keys': ['scan', 'odom']},
    'action': {'dim': 2, 'low': [-0.5, -1.0], 'high': [0.5, 1.0]},
    'normalization': {'mean': [0.0, 1.5], 'std': [1.0, 2.0]},
    'instruction_vocabulary': ['go', 'to', 'the', 'red', 'pillar'],
}


def _one_line(info) -> str:
    message = str(info.value)
    assert message and '\n' not in message
    return message


def test_round_trip_bit_identical(tmp_path):
    tensors = _tensors()
    path = save_checkpoint(tmp_path / 'run' / 'ckpt', tensors, METADATA)
    assert path == tmp_path / 'run' / 'ckpt'
    assert sorted(p.name for p in path.iterdir()) == ['checkpoint.json', 'model.safetensors']
    loaded, metadata = load_checkpoint(path)
    assert loaded.keys() == tensors.keys()
    for key, value in tensors.items():
        assert loaded[key].dtype == value.dtype and torch.equal(loaded[key], value), key
    for key, value in METADATA.items():
        assert metadata[key] == value
    assert metadata['format_version'] == FORMAT_VERSION
    assert metadata['torch_version'] == torch.__version__
    assert 'T' in metadata['created']
    # the sidecar is plain JSON that any tool reads
    assert json.loads((path / 'checkpoint.json').read_text())['algorithm'] == 'sac'


def test_numpy_metadata_and_shared_tensors(tmp_path):
    base = torch.arange(10.0)
    tensors = {'a': base, 'view': base[2:5]}  # share storage: safetensors refuses that as is
    metadata = {'mean': np.array([1.0, 2.0], np.float32), 'n': np.int64(3)}
    _, loaded_meta = load_checkpoint(save_checkpoint(tmp_path / 'c', tensors, metadata))
    loaded, _ = load_checkpoint(tmp_path / 'c')
    assert torch.equal(loaded['view'], base[2:5])
    assert loaded_meta['mean'] == [1.0, 2.0] and loaded_meta['n'] == 3


def test_overwrite_replaces_whole_checkpoint(tmp_path):
    path = tmp_path / 'ckpt'
    save_checkpoint(path, {'x': torch.zeros(2)}, {'version': 1})
    save_checkpoint(path, {'y': torch.ones(3)}, {'version': 2})
    tensors, metadata = load_checkpoint(path)
    assert list(tensors) == ['y'] and metadata['version'] == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == ['ckpt']  # no temp dirs left


def test_failed_save_leaves_nothing_behind(tmp_path, monkeypatch):
    def boom(*args, **kwargs):
        raise OSError('disk full')

    monkeypatch.setattr(ckpt, '_st_save_file', boom)
    with pytest.raises(CheckpointError, match='disk full') as info:
        save_checkpoint(tmp_path / 'ckpt', _tensors(), METADATA)
    _one_line(info)
    assert list(tmp_path.iterdir()) == []


def test_failed_overwrite_keeps_previous_checkpoint(tmp_path, monkeypatch):
    path = save_checkpoint(tmp_path / 'ckpt', {'x': torch.zeros(2)}, {'version': 1})

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(ckpt, '_st_save_file', interrupted)
    with pytest.raises(KeyboardInterrupt):
        save_checkpoint(path, {'x': torch.ones(2)}, {'version': 2})
    tensors, metadata = load_checkpoint(path)
    assert torch.equal(tensors['x'], torch.zeros(2)) and metadata['version'] == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ['ckpt']


def test_bad_metadata_or_tensors(tmp_path):
    with pytest.raises(CheckpointError, match='JSON') as info:
        save_checkpoint(tmp_path / 'c', {'x': torch.zeros(1)}, {'bad': object()})
    _one_line(info)
    with pytest.raises(CheckpointError, match='not a torch.Tensor'):
        save_checkpoint(tmp_path / 'c', {'x': np.zeros(1)}, {})
    assert list(tmp_path.iterdir()) == []


def test_missing_and_corrupt_checkpoints(tmp_path):
    with pytest.raises(CheckpointError, match='does not exist') as info:
        load_checkpoint(tmp_path / 'nope')
    _one_line(info)

    (tmp_path / 'file').write_text('x')
    with pytest.raises(CheckpointError, match='not a directory'):
        load_checkpoint(tmp_path / 'file')

    path = save_checkpoint(tmp_path / 'ckpt', _tensors(), METADATA)
    weights = (path / 'model.safetensors').read_bytes()
    sidecar = (path / 'checkpoint.json').read_text()

    (path / 'model.safetensors').unlink()
    with pytest.raises(CheckpointError, match='no model.safetensors') as info:
        load_checkpoint(path)
    _one_line(info)

    (path / 'model.safetensors').write_bytes(weights[: len(weights) // 2])
    with pytest.raises(CheckpointError, match='corrupt or truncated') as info:
        load_checkpoint(path)
    _one_line(info)

    (path / 'model.safetensors').write_bytes(b'\x00' * 3)
    with pytest.raises(CheckpointError, match='corrupt or truncated'):
        load_checkpoint(path)

    (path / 'model.safetensors').write_bytes(weights)
    (path / 'checkpoint.json').write_text(sidecar[:-20])
    with pytest.raises(CheckpointError, match='not valid JSON') as info:
        load_checkpoint(path)
    _one_line(info)

    (path / 'checkpoint.json').write_text('[1, 2]')
    with pytest.raises(CheckpointError, match='not an object'):
        load_checkpoint(path)

    (path / 'checkpoint.json').write_text(json.dumps({'format_version': FORMAT_VERSION + 1}))
    with pytest.raises(CheckpointError, match='upgrade robot_learning'):
        load_checkpoint(path)

    (path / 'checkpoint.json').unlink()
    with pytest.raises(CheckpointError, match='no checkpoint.json'):
        load_checkpoint(path)


def test_loading_never_unpickles(tmp_path, monkeypatch):
    path = save_checkpoint(tmp_path / 'ckpt', _tensors(), METADATA)
    blob = weights_to_bytes({'w': torch.ones(2)}, {'version': 1})

    def forbidden(*args, **kwargs):
        raise AssertionError('unpickling is forbidden')

    monkeypatch.setattr(torch, 'load', forbidden)
    monkeypatch.setattr(pickle, 'load', forbidden)
    monkeypatch.setattr(pickle, 'loads', forbidden)
    load_checkpoint(path)
    bytes_to_weights(blob)


def test_check_spec_messages():
    metadata = {'obs_dim': 40, 'action_dim': 2, 'observation': {'keys': ['scan', 'odom']}}
    check_spec(metadata, {'obs_dim': 40, 'action_dim': 2, 'observation.keys': ('scan', 'odom')})
    with pytest.raises(CheckpointError) as info:
        check_spec(metadata, {'action_dim': 2, 'obs_dim': 44})
    assert _one_line(info) == (
        'checkpoint obs_dim is 40, this policy needs 44: train a new checkpoint or fix '
        'observation parameters'
    )
    with pytest.raises(CheckpointError) as info:
        check_spec(metadata, {'action_dim': 3, 'obs_dim': 44})  # first mismatch is reported
    assert _one_line(info).startswith('checkpoint action_dim is 2, this policy needs 3: ')
    assert 'action parameters' in str(info.value)
    with pytest.raises(CheckpointError, match='checkpoint has no instruction_vocabulary'):
        check_spec(metadata, {'instruction_vocabulary': ['go']})
    with pytest.raises(CheckpointError, match=r'observation.keys is \["scan", "odom"\]'):
        check_spec(metadata, {'observation.keys': ['scan']})


def test_weights_bytes_round_trip():
    tensors = _tensors()
    meta = {'version': 7, 'obs_dim': 44, 'action': {'dim': 2}}
    blob = weights_to_bytes(tensors, meta)
    assert isinstance(blob, bytes)
    loaded, metadata = bytes_to_weights(bytearray(blob))  # UInt8MultiArray data may be a bytearray
    assert metadata == meta and isinstance(metadata['version'], int)
    for key, value in tensors.items():
        assert torch.equal(loaded[key], value), key
    # plain safetensors readers see the version too
    from safetensors.torch import load

    assert torch.equal(load(blob)['step'], tensors['step'])
    header = json.loads(blob[8: 8 + int.from_bytes(blob[:8], 'little')])
    assert header['__metadata__']['version'] == '7'


def test_weights_bytes_errors():
    with pytest.raises(CheckpointError, match='integer version'):
        weights_to_bytes({'w': torch.ones(1)}, {'obs_dim': 3})
    with pytest.raises(CheckpointError, match='integer version'):
        weights_to_bytes({'w': torch.ones(1)}, {'version': '3'})
    blob = weights_to_bytes({'w': torch.ones(100)}, {'version': 1})
    for bad in (b'', b'1234', blob[:20], blob[:-10], b'\xff' * 64):
        with pytest.raises(CheckpointError) as info:
            bytes_to_weights(bad)
        _one_line(info)
    from safetensors.torch import save

    with pytest.raises(CheckpointError, match='no .robot_learning. metadata'):
        bytes_to_weights(save({'w': torch.ones(1)}))
