# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 robot_learning maintainers
"""Action-chunking transformer configuration (no torch), apart from the model.

:class:`ACTConfig` is a :class:`~robot_learning.algos.bc.BCConfig` (the same inputs,
augmentations and optimiser) with the transformer and the chunk.
"""

from __future__ import annotations

from dataclasses import dataclass

from robot_learning.algos.bc.configuration_bc import BCConfig
from robot_learning.errors import ConfigError

__all__ = ['ACTConfig']


@dataclass
class ACTConfig(BCConfig):
    """Action-chunking transformer on the BC inputs: camera history, LiDAR, instruction.

    ACT: Zhao, Kumar, Levine, Finn, "Learning Fine-Grained Bimanual Manipulation with
    Low-Cost Hardware", RSS 2023.

    Attributes (besides :class:`BCConfig`'s; ``head``, ``bins`` and ``hidden`` are unused):
        chunk: actions predicted per observation, k (ACT sec. 3.3; 100 at 50 Hz there,
            i.e. 2 s; 10 here at 10 Hz, 1 s).
        ensemble_m: temporal ensembling weight ``w_i = exp(-m i)``, i = 0 the oldest
            prediction of the current step (ACT sec. 3.3); a negative value executes
            each chunk open-loop instead (k steps, then a new chunk).
        d_model, heads, enc_layers, dec_layers, ff_dim: the transformer (ACT: 512, 8,
            4, 7, 3200; smaller here for a 2-core CPU).
        transformer_dropout: dropout inside the transformer.
        head, lr: ``mse`` (a tanh output per action, trained with ACT's L1 over the
            chunk) and ACT's learning rate 1e-4.

    No CVAE: ACT's ablation (sec. 6) finds it matters for human demonstrations and
    makes little difference on scripted ones, which is what the built-in expert records.
    """

    chunk: int = 10
    ensemble_m: float = 0.1
    d_model: int = 128
    heads: int = 4
    enc_layers: int = 2
    dec_layers: int = 2
    ff_dim: int = 256
    transformer_dropout: float = 0.1
    head: str = 'mse'
    lr: float = 1e-4

    def __post_init__(self):
        super().__post_init__()
        if self.chunk < 1 or self.d_model < 8 or self.heads < 1 or self.d_model % self.heads:
            raise ConfigError(
                f'ACT chunk must be >= 1 and d_model ({self.d_model}) a multiple of heads '
                f'({self.heads}), >= 8'
            )
        if self.enc_layers < 0 or self.dec_layers < 1 or self.ff_dim < 1:
            raise ConfigError('ACT needs enc_layers >= 0, dec_layers >= 1 and ff_dim >= 1')
        if not 0 <= self.transformer_dropout < 1:
            raise ConfigError('ACT transformer_dropout must be in [0, 1)')
        if self.dann_weight > 0:
            raise ConfigError('DANN (dann_weight) is for --algo bc: set dann_weight=0')
        if self.encoder_init:
            # ACT's tokens are the conv map's cells; the pretrained img_fc has no place.
            raise ConfigError(
                'encoder_init is for --algo bc (its img_fc has no place in ACT): drop it'
            )
