# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 robot_learning maintainers
"""Instruction text -> token ids (a word vocabulary) or a fixed sentence embedding.

Two ways for a policy to read an instruction:

* :class:`Vocabulary`: words of the training instructions (``features.tokenize``) mapped
  to int ids; the network learns its own token embeddings. Saved in the checkpoint
  sidecar (``to_dict``), so the policy node tokenizes exactly as training did. Unknown
  words at deploy time map to ``<unk>``.
* :class:`PretrainedTextEncoder`: a sentence encoder loaded from a LOCAL model directory
  (``sentence_transformers`` if importable, else ``transformers`` AutoTokenizer/AutoModel
  with mean pooling). Nothing is downloaded (``local_files_only=True``). Neither package
  is a requirement of this project; a missing package raises :class:`ConfigError`.

Nothing here imports rclpy.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from robot_learning.common.features import tokenize
from robot_learning.errors import ConfigError

__all__ = ['PAD', 'UNK', 'PretrainedTextEncoder', 'Vocabulary']

#: Padding token, id 0.
PAD = '<pad>'
#: Unknown-word token, id 1.
UNK = '<unk>'


class Vocabulary:
    """Word -> id map with ``<pad>`` = 0 and ``<unk>`` = 1.

    Args:
        tokens: the full token list, starting with ``<pad>``, ``<unk>``.

    Raises:
        ConfigError: the list does not start with ``<pad>``, ``<unk>`` or has duplicates.
    """

    def __init__(self, tokens: Sequence[str]):
        tokens = [str(t) for t in tokens]
        if tokens[:2] != [PAD, UNK]:
            raise ConfigError(f'vocabulary must start with {PAD!r}, {UNK!r}, got {tokens[:2]}')
        if len(set(tokens)) != len(tokens):
            raise ConfigError('vocabulary has duplicate tokens')
        self.tokens = tokens
        self._index = {t: i for i, t in enumerate(tokens)}

    @classmethod
    def from_texts(cls, texts: Iterable[str]) -> Vocabulary:
        """Build the vocabulary of every word in ``texts``.

        Sorted, so that the ids do not depend on the order the instructions were seen in.
        """
        words = sorted({w for text in texts for w in tokenize(text)} - {PAD, UNK})
        return cls([PAD, UNK] + words)

    def __len__(self) -> int:
        return len(self.tokens)

    def encode(self, text: str, max_len: int) -> np.ndarray:
        """Return the token ids of ``text``: int64 (max_len,).

        Padded with 0, truncated to max_len; unknown words -> 1 (``<unk>``).
        """
        ids = [self._index.get(w, 1) for w in tokenize(text)][:max_len]
        out = np.zeros(max_len, np.int64)
        out[: len(ids)] = ids
        return out

    def encode_many(self, texts: Sequence[str], max_len: int) -> np.ndarray:
        """int64 (len(texts), max_len)."""
        return (
            np.stack([self.encode(t, max_len) for t in texts])
            if len(texts)
            else np.zeros((0, max_len), np.int64)
        )

    def to_dict(self) -> dict:
        """JSON-able form for the checkpoint sidecar."""
        return {'tokens': list(self.tokens)}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Vocabulary:
        """Inverse of :meth:`to_dict`.

        Raises:
            ConfigError: ``tokens`` missing or malformed.
        """
        if not isinstance(d, Mapping) or not isinstance(d.get('tokens'), list):
            raise ConfigError('vocabulary dict needs a list under "tokens"')
        return cls(d['tokens'])


class PretrainedTextEncoder:
    """Sentence embeddings from a local model directory (no download).

    Uses ``sentence_transformers.SentenceTransformer(path)`` when that package is
    importable, else ``transformers`` ``AutoTokenizer``/``AutoModel`` with
    ``local_files_only=True`` and attention-masked mean pooling of the last hidden state
    (the pooling of Reimers & Gurevych 2019, "Sentence-BERT", sec. 3).

    Args:
        path: directory holding the model (``config.json`` and weights).

    Raises:
        ConfigError: neither package installed, or ``path`` is not a model directory.
    """

    def __init__(self, path: str | Path):
        root = Path(path)
        if not root.is_dir() or not (
            (root / 'config.json').is_file() or (root / 'modules.json').is_file()
        ):
            raise ConfigError(
                f'text encoder path {root} is not a model directory '
                '(needs config.json): point text_encoder_path at a local model'
            )
        self.path = str(root)
        self._st = self._tok = self._model = None
        try:
            from sentence_transformers import SentenceTransformer
            import sentence_transformers  # noqa: F401

            self._st = SentenceTransformer(self.path, device='cpu', local_files_only=True)
            return
        except ImportError:
            pass
        try:
            from transformers import AutoModel, AutoTokenizer
        except ImportError:
            raise ConfigError(
                'a pretrained text encoder needs sentence_transformers or '
                'transformers: pip install one, or leave text_encoder_path empty'
            ) from None
        try:
            self._tok = AutoTokenizer.from_pretrained(self.path, local_files_only=True)
            self._model = AutoModel.from_pretrained(self.path, local_files_only=True).eval()
        except (OSError, ValueError) as exc:
            raise ConfigError(
                f'cannot load text encoder from {root}: ' f'{" ".join(str(exc).split())[:200]}'
            ) from None

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """float32 (len(texts), D) sentence embeddings."""
        if self._st is not None:
            return np.asarray(self._st.encode(list(texts), convert_to_numpy=True), np.float32)
        import torch

        with torch.no_grad():
            enc = self._tok(list(texts), padding=True, truncation=True, return_tensors='pt')
            hidden = self._model(**enc).last_hidden_state
            mask = enc['attention_mask'].unsqueeze(-1).to(hidden.dtype)
            pooled = (hidden * mask).sum(1) / mask.sum(1).clamp_min(1.0)
        return pooled.float().numpy()
