# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 robot_learning maintainers
"""Success-classifier training: labels, threshold, :class:`RewardClassifierTrainer`.

Labels per frame (:func:`frame_labels`): the last ``positive_frames`` frames of a
successful episode are positives, the ``ambiguous_frames`` before them are left out,
every other frame of a success / failure / timeout episode is a negative; frames of
other episodes (discarded, crashed) are left out. Instruction-swap negatives pair a
positive frame with another instruction of the vocabulary.

Splits are by episode: ``robot-learning train`` splits train / validation
(``--val-fraction``), then :meth:`RewardClassifierTrainer.set_validation` holds out
``test_fraction`` of the validation episodes as a test split that nothing samples. The
threshold is chosen on the validation episodes (:func:`choose_threshold`) every time a
checkpoint is written, and stored in its sidecar; :meth:`RewardClassifierTrainer.report`
scores the best checkpoint on validation and test episodes for ``metrics.json`` and the
plots. Nothing here imports rclpy.
"""

from __future__ import annotations

from pathlib import Path
from typing import NamedTuple, Sequence

import numpy as np
from robot_learning.common.checkpoint import load_checkpoint, load_prefixed, save_checkpoint
from robot_learning.common.features import dataset_images
from robot_learning.errors import CheckpointError, ConfigError
import torch
import torch.nn.functional as F

from .configuration_reward_classifier import ALGORITHM, NET_PREFIX, RewardClassifierConfig
from .evaluation_reward_classifier import (
    choose_threshold,
    confusion,
    plot_confusion,
    plot_curves,
    time_predict,
)
from .modeling_reward_classifier import (
    image_batch,
    load_classifier,
    normalize_sectors,
    RewardClassifier,
    RewardClassifierNet,
)

__all__ = [
    'ClassifierBatch',
    'RewardClassifierTrainer',
    'choose_threshold',
    'confusion',
    'evaluation_rows',
    'frame_labels',
    'split_test',
]

#: Outcomes whose frames before the positives are negatives.
NEGATIVE_OUTCOMES = ('success', 'failure', 'timeout')


def frame_labels(episodes: Sequence, n_frames: int, positive_frames: int, ambiguous_frames: int):
    """Return the label of every frame, int8 (n_frames,): 1 success, 0 failure, -1 unused.

    Args:
        episodes: :class:`~robot_learning.data.bagconfig.EpisodeInfo` records (``frames``
            a (start, stop) range, ``outcome``).
        n_frames: frames in the dataset.
        positive_frames: last frames of a success that are positives.
        ambiguous_frames: frames before those that are left out (-1).
    """
    labels = np.full(n_frames, -1, np.int8)
    for ep in episodes:
        start, stop = (int(x) for x in ep.frames)
        if ep.outcome not in NEGATIVE_OUTCOMES or stop <= start:
            continue
        labels[start:stop] = 0
        if ep.outcome == 'success':
            first_pos = max(start, stop - positive_frames)
            labels[max(start, first_pos - ambiguous_frames): first_pos] = -1
            labels[first_pos:stop] = 1
    return labels


def split_test(episode_ids, test_fraction: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Split validation episodes into (validation, test), seeded, by episode.

    ``round(test_fraction * n)`` episodes go to test, at most n - 1 (the threshold needs
    validation episodes), none when n < 2.
    """
    ids = np.unique(np.asarray(episode_ids, np.int64))
    n_test = min(round(test_fraction * ids.size), ids.size - 1) if ids.size >= 2 else 0
    perm = np.random.default_rng(seed + 7919).permutation(ids)
    return np.sort(perm[n_test:]), np.sort(perm[:n_test])


def evaluation_rows(labels, frame_episode, frame_instruction, episode_ids, n_instructions: int):
    """Return the evaluation rows of some episodes: (frame, instruction, label, is_swap).

    Every labelled frame with its own instruction, plus every positive frame with each
    other instruction of the vocabulary, labelled 0 (``is_swap`` True).
    """
    mask = (labels >= 0) & np.isin(frame_episode, episode_ids)
    frames = np.flatnonzero(mask)
    instr = np.asarray(frame_instruction, np.int64)[frames]
    lab = labels[frames].astype(np.int64)
    pos, pos_instr = frames[lab == 1], instr[lab == 1]
    swap_f = [pos] * (n_instructions - 1)
    swap_i = [(pos_instr + k) % n_instructions for k in range(1, n_instructions)]
    return (
        np.concatenate([frames, *swap_f]).astype(np.int64),
        np.concatenate([instr, *swap_i]).astype(np.int64),
        np.concatenate([lab, np.zeros(pos.size * (n_instructions - 1), np.int64)]),
        np.concatenate(
            [np.zeros(frames.size, bool), np.ones(pos.size * (n_instructions - 1), bool)]
        ),
    )


class ClassifierBatch(NamedTuple):
    """Rows of a batch: frame indices, instruction indices, labels (numpy)."""

    frame: np.ndarray  # int64 (B,) dataset frame indices
    instruction: np.ndarray  # int64 (B,) vocabulary indices (swapped for swap negatives)
    label: np.ndarray  # float32 (B,) 1 success, 0 failure


class RewardClassifierTrainer:
    """Success classifier on a bag dataset (a :class:`robot_learning.types.Trainer`).

    Args:
        data: dataset with ``frames``, ``transitions``, ``episodes``, ``instructions``.
        cfg: classifier config. obs_cfg: the observation spec (``num_sectors``,
            ``range_max``). act_cfg: unused (the trainer contract passes it).
        train_indices: int64 transition indices; their episodes are the training split.
        device: torch device.

    Raises:
        ConfigError: images missing or of another size, or no positive training frame.
    """

    def __init__(
        self,
        data,
        cfg: RewardClassifierConfig,
        obs_cfg,
        act_cfg,
        train_indices,
        device: str = 'cpu',
    ):
        self.cfg, self.obs_cfg = cfg, obs_cfg
        self.device = torch.device(device)
        frames = data.frames
        if cfg.use_image:
            dataset_images(
                frames, cfg.image_width, cfg.image_height,
                'dataset frames lack images: the classifier config uses the camera',
                'the classifier',
            )
        self.frames = frames
        self._episodes = list(data.episodes)
        self.instructions = list(data.instructions)
        self.n_instr = max(len(self.instructions), 1)
        self.frame_episode = np.asarray(frames['episode'], np.int64)
        self.frame_instr = np.asarray(frames['instruction'], np.int64)
        self.labels = frame_labels(
            data.episodes, len(self.frame_episode), cfg.positive_frames, cfg.ambiguous_frames
        )
        self.trans_episode = np.asarray(data.transitions['episode'], np.int64)
        self.num_sectors = int(obs_cfg.num_sectors) if cfg.use_sectors else 0
        self.train_eps = np.unique(self.trans_episode[np.asarray(train_indices, np.int64)])
        if not ((self.labels == 1) & np.isin(self.frame_episode, self.train_eps)).any():
            raise ConfigError(
                'no positive frame in the training episodes: the classifier needs '
                'successful episodes (check --outcomes)'
            )
        self.val_eps = np.zeros(0, np.int64)
        self.test_eps = np.zeros(0, np.int64)
        self._pool_cache: dict = {}
        self._val_scores: dict = {}
        torch.manual_seed(cfg.seed)
        self.net = RewardClassifierNet(cfg, int(obs_cfg.num_sectors), self.n_instr).to(self.device)
        self.opt = torch.optim.AdamW(
            self.net.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay
        )
        self._gen = torch.Generator().manual_seed(cfg.seed)
        self.updates = 0

    # --- splits and sampling -------------------------------------------------------

    def set_validation(self, val_indices: np.ndarray) -> None:
        """Take the validation transitions; hold out ``test_fraction`` of their episodes.

        Called by ``robot-learning train`` before it samples validation batches; test
        episodes are never sampled afterwards.
        """
        eps = np.unique(self.trans_episode[np.asarray(val_indices, np.int64)])
        self.val_eps, self.test_eps = split_test(eps, self.cfg.test_fraction, self.cfg.seed)
        self._pool_cache.clear()

    def _pools(self, indices: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        key = (id(indices), len(indices))
        hit = self._pool_cache.get(key)
        if hit is not None and hit[0] is indices:
            return hit[1]
        eps = np.setdiff1d(
            np.unique(self.trans_episode[np.asarray(indices, np.int64)]), self.test_eps
        )
        inside = np.isin(self.frame_episode, eps)
        pools = (
            np.flatnonzero(inside & (self.labels == 1)),
            np.flatnonzero(inside & (self.labels == 0)),
        )
        self._pool_cache[key] = (indices, pools)
        return pools

    def sample(
        self, indices: np.ndarray, batch_size: int, rng: np.random.Generator
    ) -> ClassifierBatch:
        """Draw a balanced batch from the episodes of transition ``indices`` (not test ones).

        ``swap_fraction`` instruction-swap negatives, then ``positive_fraction`` of the rest
        positives and the remainder negatives (all with replacement).

        Raises:
            ConfigError: those episodes hold no labelled frame.
        """
        pos, neg = self._pools(indices)
        if pos.size == 0 and neg.size == 0:
            raise ConfigError('no labelled frame in the sampled episodes')
        n_swap = round(self.cfg.swap_fraction * batch_size) if self.n_instr > 1 and pos.size else 0
        n_pos = (
            round(self.cfg.positive_fraction * (batch_size - n_swap))
            if neg.size
            else batch_size - n_swap
        )
        n_pos = n_pos if pos.size else 0
        n_neg = batch_size - n_swap - n_pos
        p = pos[rng.integers(0, pos.size, n_pos)] if n_pos else np.zeros(0, np.int64)
        n = neg[rng.integers(0, neg.size, n_neg)] if n_neg else np.zeros(0, np.int64)
        s = pos[rng.integers(0, pos.size, n_swap)] if n_swap else np.zeros(0, np.int64)
        swap_instr = (self.frame_instr[s] + rng.integers(1, self.n_instr, n_swap)) % self.n_instr
        frame = np.concatenate([p, n, s])
        instr = np.concatenate([self.frame_instr[p], self.frame_instr[n], swap_instr])
        label = np.r_[np.ones(n_pos), np.zeros(n_neg + n_swap)].astype(np.float32)
        return ClassifierBatch(frame, instr.astype(np.int64), label)

    # --- learning --------------------------------------------------------------------

    def _inputs(self, frame: np.ndarray, augment: bool):
        order = np.argsort(frame, kind='stable')  # memory-mapped reads in file order
        inv = np.argsort(order)
        image = None
        if self.cfg.use_image:
            image = image_batch(np.asarray(self.frames['image'][frame[order]])[inv])
            if augment and self.cfg.drq_pad > 0:
                image = _random_shift(image, self.cfg.drq_pad, self._gen)
        sectors = None
        if self.num_sectors:
            s = normalize_sectors(
                np.asarray(self.frames['sectors'][frame[order]])[inv], self.obs_cfg.range_max
            )
            sectors = torch.from_numpy(s)
        if augment and self.cfg.mirror:
            flip = torch.rand(len(frame), generator=self._gen) < 0.5
            if image is not None:
                image = torch.where(flip.view(-1, 1, 1, 1), image.flip(-1), image)
            if sectors is not None:
                sectors = torch.where(flip.view(-1, 1), sectors.flip(-1), sectors)
        return (
            None if image is None else image.to(self.device),
            None if sectors is None else sectors.to(self.device),
        )

    def _logits(self, batch: ClassifierBatch, augment: bool) -> torch.Tensor:
        image, sectors = self._inputs(batch.frame, augment)
        instr = torch.from_numpy(np.asarray(batch.instruction, np.int64)).to(self.device)
        return self.net(image, sectors, instr)

    def update(self, batch: ClassifierBatch) -> dict[str, float]:
        """One AdamW step on the binary cross-entropy; returns loss, grad_norm, accuracy."""
        self.net.train()
        label = torch.from_numpy(batch.label).to(self.device)
        logits = self._logits(batch, augment=True)
        loss = F.binary_cross_entropy_with_logits(logits, label)
        self.opt.zero_grad(set_to_none=True)
        loss.backward()
        clip = self.cfg.grad_clip if self.cfg.grad_clip > 0 else float('inf')
        gn = torch.nn.utils.clip_grad_norm_(self.net.parameters(), clip)
        self.opt.step()
        self.updates += 1
        acc = ((logits.detach() > 0).float() == label).float().mean()
        return {'loss': loss.item(), 'grad_norm': float(gn), 'accuracy': float(acc)}

    @torch.no_grad()
    def evaluate(self, batch: ClassifierBatch) -> dict[str, float]:
        """Score a batch without augmentation: ``val_loss`` (BCE) and ``val_accuracy``."""
        self.net.eval()
        label = torch.from_numpy(batch.label).to(self.device)
        logits = self._logits(batch, augment=False)
        acc = ((logits > 0).float() == label).float().mean()
        return {
            'val_loss': float(F.binary_cross_entropy_with_logits(logits, label)),
            'val_accuracy': float(acc),
        }

    @torch.no_grad()
    def scores(self, episode_ids, chunk: int = 512) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """P(success) of the evaluation rows of ``episode_ids`` (:func:`evaluation_rows`).

        Returns:
            (probs float32, labels int64, is_swap bool), one entry per row.
        """
        self.net.eval()
        frame, instr, lab, swap = evaluation_rows(
            self.labels, self.frame_episode, self.frame_instr, episode_ids, self.n_instr
        )
        out = [
            torch.sigmoid(
                self._logits(
                    ClassifierBatch(
                        frame[i: i + chunk], instr[i: i + chunk], lab[i: i + chunk]
                    ),
                    False,
                )
            )
            .cpu()
            .numpy()
            for i in range(0, frame.size, chunk)
        ]
        probs = np.concatenate(out) if out else np.zeros(0, np.float32)
        return probs.astype(np.float32), lab, swap

    # --- checkpoints -----------------------------------------------------------------

    def threshold(self) -> dict:
        """Choose the decision threshold on the validation episodes (0.5 without any)."""
        if self.val_eps.size == 0:
            return {'threshold': 0.5, 'source': 'default: no validation episodes'}
        probs, lab, _ = self.scores(self.val_eps)
        sel = choose_threshold(probs, lab, self.cfg.target_precision)
        return {**sel, 'source': f'{self.val_eps.size} validation episodes, {lab.size} rows'}

    def metadata(self) -> dict:
        """Sidecar fields (see :meth:`save`), with a freshly chosen threshold."""
        cfg = self.cfg
        sel = self.threshold()
        return {
            'algorithm': ALGORITHM,
            'classifier_config': cfg.to_dict(),
            'image_size': [cfg.image_width, cfg.image_height] if cfg.use_image else None,
            'num_sectors': int(self.obs_cfg.num_sectors),
            'range_max': float(self.obs_cfg.range_max),
            'instructions': list(self.instructions),
            'threshold': sel['threshold'],
            'threshold_selection': {**sel, 'target_precision': cfg.target_precision},
            'observation': self.obs_cfg.to_dict(),
            'labels': f'last {cfg.positive_frames} frames of a success = 1, the '
            f'{cfg.ambiguous_frames} before left out, other frames = 0',
            'episodes': {
                'train': self.train_eps.tolist(),
                'validation': self.val_eps.tolist(),
                'test': self.test_eps.tolist(),
            },
            'updates': self.updates,
        }

    def state_tensors(self) -> dict[str, torch.Tensor]:
        """Return the network weights under ``clf.``."""
        return {NET_PREFIX + k: v for k, v in self.net.state_dict().items()}

    def save(self, path: Path, extra_metadata: dict | None = None) -> Path:
        """Write a checkpoint (safetensors + sidecar) that :func:`load_classifier` reads."""
        meta = self.metadata()
        meta.update(extra_metadata or {})
        return save_checkpoint(path, self.state_tensors(), meta)

    def load(self, path) -> None:
        """Start from a classifier checkpoint (``--init-from``).

        Raises:
            CheckpointError: another algorithm, vocabulary or model shape.
        """
        tensors, meta = load_checkpoint(path)
        if meta.get('algorithm') != ALGORITHM:
            raise CheckpointError(
                f'{path}: --init-from needs a {ALGORITHM} checkpoint, '
                f"got {meta.get('algorithm')!r}"
            )
        if list(meta.get('instructions', [])) != self.instructions:
            raise CheckpointError(
                f"{path}: its instructions {meta.get('instructions')} differ from "
                f"these bags' {self.instructions}"
            )
        load_prefixed(
            self.net, tensors, NET_PREFIX, f'{path}: weights do not fit this classifier config'
        )

    def classifier(self) -> RewardClassifier:
        """Return a :class:`RewardClassifier` of the current weights (copied)."""
        tensors = {k: v.detach().cpu().clone() for k, v in self.state_tensors().items()}
        return RewardClassifier.from_tensors(tensors, self.metadata())

    @torch.no_grad()
    def _ambiguous_rate(self, episode_ids, threshold: float) -> float:
        """Share of the left-out frames just before success that score >= threshold.

        Not part of precision/recall (those frames have no label); it says how early
        before the sim's own success the classifier already fires.
        """
        ambiguous = np.zeros(len(self.labels), bool)
        for e in episode_ids:
            ep = self._episodes[int(e)]
            if ep.outcome != 'success':
                continue
            start, stop = (int(x) for x in ep.frames)
            first_pos = max(start, stop - self.cfg.positive_frames)
            ambiguous[max(start, first_pos - self.cfg.ambiguous_frames): first_pos] = True
        frame = np.flatnonzero(ambiguous)
        if frame.size == 0:
            return 0.0
        self.net.eval()
        probs = torch.sigmoid(
            self._logits(ClassifierBatch(frame, self.frame_instr[frame], frame * 0.0), False)
        )
        return float((probs >= threshold).float().mean())

    # --- the run's report ------------------------------------------------------------

    def report(self, out: Path, history: list) -> dict:
        """Score ``out/checkpoints/best`` on validation and test episodes; write the plots.

        Writes ``classifier_confusion.png``, ``classifier_curves.png`` (loss, PR curve)
        and TensorBoard scalars ``classifier/*``; measures the CPU time of one
        :meth:`RewardClassifier.predict` call.

        Returns:
            The fields ``robot-learning train`` adds to ``metrics.json``.
        """
        out = Path(out)
        best = out / 'checkpoints' / 'best'
        if not (best / 'checkpoint.json').exists():
            best = out / 'checkpoints' / 'last'
        clf = load_classifier(best)
        self.load(best)  # score the weights that are deployed, not the last step's
        thr = clf.threshold
        result: dict = {
            'inputs': 'camera' if self.cfg.use_image else 'lidar',
            'threshold': thr,
            'threshold_selection': clf.metadata.get('threshold_selection'),
        }
        curves = {}
        for name, eps in (('validation', self.val_eps), ('test', self.test_eps)):
            if eps.size == 0:
                continue
            probs, lab, swap = self.scores(eps)
            row = confusion(probs, lab, thr)
            row['episodes'] = int(eps.size)
            row['swap_rows'] = int(swap.sum())
            row['swap_false_positives'] = int(((probs >= thr) & swap).sum())
            row['ambiguous_positive_rate'] = self._ambiguous_rate(eps, thr)
            result[name] = row
            curves[name] = (probs, lab)
        result['predict_ms'] = time_predict(clf)
        plot_confusion(result, out / 'classifier_confusion.png')
        plot_curves(history, curves, thr, out / 'classifier_curves.png')
        from torch.utils.tensorboard import SummaryWriter

        with SummaryWriter(str(out / 'tb')) as writer:
            step = self.updates
            for name in ('validation', 'test'):
                for key in ('precision', 'recall'):
                    if name in result:
                        writer.add_scalar(f'classifier/{name}_{key}', result[name][key], step)
            writer.add_scalar('classifier/threshold', thr, step)
        return {'classifier': result}


def _random_shift(img: torch.Tensor, pad: int, gen: torch.Generator) -> torch.Tensor:
    """Shift each image by a random integer offset in [-pad, pad] (replicate padding).

    DrQ's augmentation (Kostrikov, Yarats, Fergus 2021, "Image Augmentation Is All You
    Need", sec. 3.1). img: float (B, C, H, W) -> the same shape.
    """
    b, c, h, w = img.shape
    padded = F.pad(img, (pad, pad, pad, pad), mode='replicate')
    dy = torch.randint(0, 2 * pad + 1, (b,), generator=gen)
    dx = torch.randint(0, 2 * pad + 1, (b,), generator=gen)
    rows = (dy[:, None] + torch.arange(h)[None]).view(b, 1, h, 1).expand(b, c, h, w)
    cols = (dx[:, None] + torch.arange(w)[None]).view(b, 1, 1, w).expand(b, c, h, w)
    idx = (rows * (w + 2 * pad) + cols).reshape(b, c, -1)
    return padded.flatten(2).gather(2, idx).view(b, c, h, w)
