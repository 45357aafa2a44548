# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 robot_learning maintainers
"""Behaviour of robot_learning.common.language (no rclpy, no text-model packages needed)."""

from __future__ import annotations

import json

import numpy as np
import pytest
from robot_learning.common.language import PAD, PretrainedTextEncoder, UNK, Vocabulary
from robot_learning.errors import ConfigError


def test_vocabulary_reserves_pad_and_unk_and_pads_ids():
    vocab = Vocabulary.from_texts(['Go to the RED pillar!', 'go to the green pillar'])
    assert vocab.tokens[:2] == [PAD, UNK]
    ids = vocab.encode('go to the red pillar', 8)
    assert ids.dtype == np.int64 and ids.shape == (8,)
    assert (ids[:5] > 1).all() and (ids[5:] == 0).all()
    # Same words, other case and punctuation: same ids.
    assert np.array_equal(ids, vocab.encode('Go, to the Red pillar.', 8))


def test_unknown_words_map_to_unk_and_long_text_is_truncated():
    vocab = Vocabulary.from_texts(['go to the red pillar'])
    ids = vocab.encode('go to the purple pillar', 3)
    assert ids.shape == (3,)
    assert list(vocab.encode('purple zebra', 4)) == [1, 1, 0, 0]


def test_vocabulary_ids_do_not_depend_on_instruction_order():
    a = Vocabulary.from_texts(['go to the red pillar', 'go to the blue pillar'])
    b = Vocabulary.from_texts(['go to the blue pillar', 'go to the red pillar'])
    assert a.tokens == b.tokens


def test_vocabulary_round_trips_through_json():
    vocab = Vocabulary.from_texts(['go to the red pillar', 'stop'])
    back = Vocabulary.from_dict(json.loads(json.dumps(vocab.to_dict())))
    assert back.tokens == vocab.tokens
    assert np.array_equal(back.encode('stop at red', 5), vocab.encode('stop at red', 5))


@pytest.mark.parametrize('tokens', [['a', 'b'], [PAD, UNK, 'x', 'x']])
def test_malformed_vocabulary_is_refused(tokens):
    with pytest.raises(ConfigError):
        Vocabulary(tokens)
    with pytest.raises(ConfigError):
        Vocabulary.from_dict({'words': tokens})


def test_pretrained_encoder_refuses_a_path_that_is_not_a_model(tmp_path):
    with pytest.raises(ConfigError, match='not a model directory'):
        PretrainedTextEncoder(tmp_path / 'missing')
    with pytest.raises(ConfigError, match='not a model directory'):
        PretrainedTextEncoder(tmp_path)


def test_pretrained_encoder_without_packages_says_what_to_install(tmp_path, monkeypatch):
    (tmp_path / 'config.json').write_text('{}')
    import builtins

    real_import = builtins.__import__

    def no_text_packages(name, *args, **kwargs):
        if name.split('.')[0] in ('sentence_transformers', 'transformers'):
            raise ImportError(name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, '__import__', no_text_packages)
    with pytest.raises(ConfigError, match='sentence_transformers or transformers') as err:
        PretrainedTextEncoder(tmp_path)
    assert '\n' not in str(err.value)
