# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 robot_learning maintainers
"""The bag dataset: rosbag2 episode bags -> time-synchronized frames and transitions (ROS-free).

One bag directory (MCAP or sqlite3, read with rosbags: its rosbag2 ``Reader``, or
``AnyReader`` for bags whose message definitions differ from ROS 2 Jazzy's) is one
episode. Its messages are replayed in log-time order through the same
:class:`~robot_learning.data.transitions.TransitionPipeline` the online SAC learner feeds
with live topics (design.md: one transition assembler), in ``raw`` mode so every
observation is stored once as a *frame* and transitions refer to frames by index.

Two ways to cut a bag into steps (:class:`DatasetConfig` ``rate_hz``):

* ``rate_hz == 0`` (our bags): the ``/episode`` step statuses say exactly which
  observation stamps a transition joins, with its reward and termination
  (docs/interfaces.md).
* ``rate_hz > 0`` (any bag whose topics a user names): the bag is resampled on a
  clock of ``rate_hz`` ticks; each tick holds the latest message of each sensor not
  older than ``tolerance_s`` and the action in force; reward 0 unless an episode topic
  gives it; the last transition is terminated when the outcome is success/failure.
  The synthetic ticks go through the same pipeline.

Decoded arrays are cached as ``.npy`` files, one entry per bag (so a new bag decodes
only itself) plus one consolidated, contiguous set per selection, opened with
``np.load(mmap_mode='r')``: a second build never opens a bag.

Bad input never stops a build: a broken bag or topic is named in one line (``log``
and :attr:`BagDataset.skipped`) and only what is broken is left out.

The parts: :mod:`~robot_learning.data.bagconfig` (:class:`DatasetConfig`),
:mod:`~robot_learning.data.bagfiles` (finding bags, reading their metadata),
:mod:`~robot_learning.data.bagdecode` (one bag -> arrays); this module holds the cache,
:class:`BagDataset` and :class:`DatasetView` (select, split, shard, union).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
import hashlib
import json
import os
from pathlib import Path
import shutil
import sys
from typing import Any
import uuid

import numpy as np
from robot_learning.common.features import ActionConfig, ObservationConfig
from robot_learning.data.bagconfig import DatasetConfig, DatasetTopics, EpisodeInfo
from robot_learning.data.bagdecode import decode_bag
from robot_learning.data.bagfiles import find_bag_dirs, read_custom_data
from robot_learning.errors import BagError, ConfigError, one_line

__all__ = [
    'CACHE_VERSION',
    'BagDataset',
    'DatasetConfig',
    'DatasetTopics',
    'DatasetView',
    'EpisodeInfo',
    'FRAME_KEYS',
    'TRANSITION_KEYS',
    'find_bag_dirs',
]

#: Bumped whenever the decoded arrays of a bag would change: old cache entries are ignored.
CACHE_VERSION = 1

#: Keys of :attr:`BagDataset.frames` (``image`` only with images).
FRAME_KEYS = (
    'image',
    'sectors',
    'detections',
    'velocity',
    'observation',
    'instruction',
    'episode',
    'prev',
    'stamp',
)
#: Keys of :attr:`BagDataset.transitions`.
TRANSITION_KEYS = (
    'obs',
    'next_obs',
    'action',
    'reward',
    'terminated',
    'truncated',
    'intervention',
    'episode',
)


# --------------------------------------------------------------------------- cache


def _hash(obj: Any) -> str:
    return hashlib.sha256(json.dumps(obj, sort_keys=True, default=str).encode()).hexdigest()[:24]


def _bag_key(
    path: Path, cfg: DatasetConfig, obs_cfg: ObservationConfig, act_cfg: ActionConfig
) -> str:
    files = []
    for f in sorted(path.iterdir()):
        if f.is_file():
            s = f.stat()
            files.append((f.name, s.st_size, s.st_mtime_ns))
    d = cfg.to_dict()
    for k in ('outcomes', 'cache_dir'):  # do not change what one bag decodes to
        d.pop(k)
    return _hash(
        {
            'v': CACHE_VERSION,
            'path': str(path.resolve()),
            'files': files,
            'cfg': d,
            'obs': obs_cfg.to_dict(),
            'act': act_cfg.to_dict(),
        }
    )


def _atomic_dir(final: Path, fill: Callable[[Path], None]) -> None:
    """Fill a fresh temporary directory, then rename it to ``final``.

    Readers never see a half-written entry; a concurrent writer of the same entry loses
    harmlessly.
    """
    final.parent.mkdir(parents=True, exist_ok=True)
    tmp = final.parent / f'.tmp-{final.name}-{os.getpid()}-{uuid.uuid4().hex[:8]}'
    tmp.mkdir()
    try:
        fill(tmp)
        try:
            os.rename(tmp, final)
        except OSError:
            if not (final / 'meta.json').exists():
                raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _read_meta(entry: Path) -> dict | None:
    try:
        return json.loads((entry / 'meta.json').read_text('utf8'))
    except (OSError, ValueError):
        return None


def _decode_to_cache(
    path: str, entry: str, cfg: DatasetConfig, obs_cfg: ObservationConfig, act_cfg: ActionConfig
) -> dict:
    """Decode one bag into cache entry ``entry``; returns the meta.

    Failures are cached too: a broken bag is not opened again until its files change.
    Runs in worker processes.
    """
    path, entry_p = Path(path), Path(entry)
    try:
        arrays, meta = decode_bag(path, cfg, obs_cfg, act_cfg)
        meta['error'] = ''
        meta['n_frames'] = int(arrays['stamp'].shape[0])
        meta['n_transitions'] = int(arrays['t_obs'].shape[0])
        meta['interventions'] = int(arrays['t_intervention'].sum())
    except BagError as exc:
        arrays, meta = {}, {'error': one_line(exc)}
    except Exception as exc:  # noqa: BLE001 -- any decoder surprise skips one bag only
        arrays, meta = {}, {
            'error': f'bag {path}: {type(exc).__name__}: {one_line(exc)}; bag skipped'
        }
    meta['path'] = str(path)

    def fill(tmp: Path) -> None:
        for k, a in arrays.items():
            np.save(tmp / f'{k}.npy', a)
        (tmp / 'meta.json').write_text(json.dumps(meta), 'utf8')

    try:
        _atomic_dir(entry_p, fill)
    except OSError as exc:
        meta.setdefault('problems', []).append(
            f'bag {path}: cache entry not written: {one_line(exc)}'
        )
    return meta


def _load_arrays(d: Path, keys) -> dict[str, np.ndarray]:
    return {k: np.load(d / f'{k}.npy', mmap_mode='r') for k in keys if (d / f'{k}.npy').exists()}


# --------------------------------------------------------------------------- dataset


class BagDataset:
    """Frames and transitions of many episode bags, as contiguous (memory-mapped) arrays.

    Attributes:
        frames: N frames (observations), concatenated over episodes:
            ``image`` uint8 (N, H, W, 3) RGB (only when ``image_size != (0, 0)``);
            ``sectors`` float32 (N, S) m (LiDAR min range per sector, clipped to
            ``obs_cfg.range_max``); ``detections`` float32 (N, C, 2) m, robot frame,
            NaN absent; ``velocity`` float32 (N, 2) (v m/s, w rad/s);
            ``observation`` float32 (N, obs_cfg.dim) (features.encode_observation with
            the episode instruction); ``instruction`` int32 (N,) into
            :attr:`instructions`; ``episode`` int32 (N,); ``prev`` int64 (N,) previous
            frame of the same episode (itself for the first); ``stamp`` int64 (N,) µs.
        transitions: M transitions: ``obs``/``next_obs`` int64 (M,) frame indices;
            ``action`` float32 (M, 2) in [-1, 1] (ActionConfig.from_twist); ``reward``
            float32; ``terminated``, ``truncated``, ``intervention`` bool; ``episode``
            int32.
        instructions: distinct episode instructions (sorted).
        episodes: :class:`EpisodeInfo` per episode, in ``episode`` id order.
        skipped: one line per skipped bag or dropped part of one.
    """

    def __init__(self, frames, transitions, instructions, episodes, skipped, cfg, root=None):
        self.frames: dict[str, np.ndarray] = frames
        self.transitions: dict[str, np.ndarray] = transitions
        self.instructions: list[str] = instructions
        self.episodes: list[EpisodeInfo] = episodes
        self.skipped: list[str] = skipped
        self.cfg: DatasetConfig = cfg
        self.root = root  # consolidated cache directory

    def __len__(self) -> int:
        return int(self.transitions['obs'].shape[0])

    @classmethod
    def build(
        cls,
        paths: Sequence[str | Path],
        cfg: DatasetConfig,
        obs_cfg: ObservationConfig,
        act_cfg: ActionConfig,
        progress: bool = True,
        log: Callable[[str], None] = print,
        workers: int = 0,
    ) -> BagDataset:
        """Decode (or load from the cache) every bag at or below ``paths``.

        Args:
            paths: bag directories, sessions of them, or trees.
            cfg: topics, sampling, image size, outcomes, cache directory.
            obs_cfg: observation layout (sectors, colours, vocabulary).
            act_cfg: Twist -> action in [-1, 1].
            progress: tqdm bar over bags on stderr.
            log: receives one line per skipped bag / problem.
            workers: decoding processes; 0 -> up to 8 (one per CPU) when 8 or more bags
                need decoding on 4 or more CPUs, else 1 (this process).

        Raises:
            BagError: a path does not exist or holds no bag, or no usable episode with a
                wanted outcome remains (the message says why).
        """
        from tqdm import tqdm

        bag_dirs = find_bag_dirs(paths)
        cache = Path(
            cfg.cache_dir or Path.home() / '.cache' / 'robot_learning' / 'datasets'
        ).expanduser()
        skipped: list[str] = []
        other_outcome: dict[str, int] = {}
        metas: dict[int, dict] = {}
        keys: dict[int, str] = {}
        todo: list[int] = []
        for i, d in enumerate(bag_dirs):
            try:
                keys[i] = _bag_key(d, cfg, obs_cfg, act_cfg)
            except OSError as exc:
                metas[i] = {
                    'error': f'bag {d}: cannot list its files: {one_line(exc)}; bag skipped'
                }
                continue
            meta = _read_meta(cache / 'episodes' / keys[i])
            if meta is not None:
                metas[i] = meta
                continue
            if cfg.outcomes and (d / 'metadata.yaml').exists():
                try:  # do not decode bags the selection drops anyway
                    outcome = read_custom_data(d).get('outcome', 'unknown')
                    if outcome not in cfg.outcomes:
                        metas[i] = {'outcome': outcome, 'error': '', 'undecoded': True}
                        continue
                except BagError:
                    pass  # decode_bag names the problem
            todo.append(i)
        cpus = os.cpu_count() or 1
        # Spawned workers pay ~1 s of imports each: worth it for many bags on many cores.
        n_workers = (
            workers if workers > 0 else (min(8, cpus) if len(todo) >= 8 and cpus >= 4 else 1)
        )
        bar = tqdm(
            total=len(bag_dirs),
            desc='bags',
            unit='bag',
            disable=not progress,
            file=sys.stderr,
            initial=len(bag_dirs) - len(todo),
        )

        def args(i):
            return (str(bag_dirs[i]), str(cache / 'episodes' / keys[i]), cfg, obs_cfg, act_cfg)

        if n_workers > 1 and len(todo) > 1:
            from concurrent.futures import as_completed, ProcessPoolExecutor
            from concurrent.futures.process import BrokenProcessPool
            import multiprocessing as mp

            try:
                # spawn, not fork: the caller may hold threads (torch, rclpy executors).
                with ProcessPoolExecutor(n_workers, mp_context=mp.get_context('spawn')) as ex:
                    futs = {ex.submit(_decode_to_cache, *args(i)): i for i in todo}
                    for f in as_completed(futs):
                        metas[futs[f]] = f.result()
                        bar.update()
            except (BrokenProcessPool, OSError) as exc:
                log(
                    f'parallel decoding failed ({one_line(exc) or type(exc).__name__}): decoding '
                    f'the remaining bags in this process'
                )
        for i in todo:
            if i not in metas:
                metas[i] = _decode_to_cache(*args(i))
                bar.update()
        bar.close()

        chosen: list[int] = []
        for i, d in enumerate(bag_dirs):
            meta = metas[i]
            if meta.get('error'):
                skipped.append(meta['error'])
                log(meta['error'])
                continue
            if cfg.outcomes and meta['outcome'] not in cfg.outcomes:
                other_outcome[meta['outcome']] = other_outcome.get(meta['outcome'], 0) + 1
                continue
            for line in meta.get('problems', []):
                skipped.append(line)
                log(line)
            chosen.append(i)
        if not chosen:
            where = ', '.join(map(str, paths))
            others = ', '.join(f'{n} {o}' for o, n in sorted(other_outcome.items()))
            why = f'; other outcomes: {others}' if others else ''
            lines = '; '.join(skipped[:3]) + (' ...' if len(skipped) > 3 else '')
            raise BagError(
                f'no usable episode with outcome in {list(cfg.outcomes) or "any"} under '
                f'{where} ({len(skipped)} skipped{": " + lines if lines else ""}{why})'
            )
        return cls._consolidate(
            cache,
            [bag_dirs[i] for i in chosen],
            [keys[i] for i in chosen],
            [metas[i] for i in chosen],
            skipped,
            cfg,
        )

    @classmethod
    def _consolidate(cls, cache: Path, dirs, keys, metas, skipped, cfg) -> BagDataset:
        instructions = sorted({m['instruction'] for m in metas})
        set_dir = cache / 'sets' / _hash({'v': CACHE_VERSION, 'episodes': keys})
        nf = np.cumsum([0] + [m['n_frames'] for m in metas])
        nt = np.cumsum([0] + [m['n_transitions'] for m in metas])
        if _read_meta(set_dir) is None:

            def fill(tmp: Path) -> None:
                instr = np.array([instructions.index(m['instruction']) for m in metas], np.int32)
                derived = {  # arrays made from the episode's own, given (episode id, array)
                    'instruction': ('stamp', lambda e, a: np.full(len(a), instr[e], np.int32)),
                    'episode': ('stamp', lambda e, a: np.full(len(a), e, np.int32)),
                    'prev': ('prev', lambda e, a: a + nf[e]),
                    't_obs': ('t_obs', lambda e, a: a + nf[e]),
                    't_next_obs': ('t_next_obs', lambda e, a: a + nf[e]),
                    't_episode': ('t_obs', lambda e, a: np.full(len(a), e, np.int32)),
                }
                names = [(k, nf[-1]) for k in FRAME_KEYS] + [
                    (f't_{k}', nt[-1]) for k in TRANSITION_KEYS
                ]
                for name, total in names:
                    src, fn = derived.get(name, (name, lambda e, a: a))
                    if not (cache / 'episodes' / keys[0] / f'{src}.npy').exists():
                        continue  # no images
                    out = None
                    pos = 0
                    # Array by array, one episode file mapped at a time: thousands of
                    # episodes must not hold thousands of maps open.
                    for e, k in enumerate(keys):
                        a = fn(e, np.load(cache / 'episodes' / k / f'{src}.npy', mmap_mode='r'))
                        if out is None:
                            out = np.lib.format.open_memmap(
                                tmp / f'{name}.npy',
                                mode='w+',
                                dtype=a.dtype,
                                shape=(int(total),) + a.shape[1:],
                            )
                        out[pos:pos + len(a)] = a
                        pos += len(a)
                        del a
                    out.flush()
                    del out
                (tmp / 'meta.json').write_text(
                    json.dumps({'instructions': instructions, 'keys': keys}), 'utf8'
                )

            _atomic_dir(set_dir, fill)
        frames = _load_arrays(set_dir, FRAME_KEYS)
        transitions = {k: np.load(set_dir / f't_{k}.npy', mmap_mode='r') for k in TRANSITION_KEYS}
        episodes = [
            EpisodeInfo(
                str(d),
                m['instruction'],
                m['outcome'],
                (int(nf[e]), int(nf[e + 1])),
                (int(nt[e]), int(nt[e + 1])),
                int(m['interventions']),
                m['format'],
                dict(m.get('custom', {})),
            )
            for e, (d, m) in enumerate(zip(dirs, metas))
        ]
        return cls(frames, transitions, instructions, episodes, skipped, cfg, set_dir)

    # ------------------------------------------------------------------ views
    def view(self, episode_ids=None) -> DatasetView:
        """Return the episodes ``episode_ids`` (all when None) with all their transitions."""
        ids = (
            np.arange(len(self.episodes))
            if episode_ids is None
            else np.asarray(episode_ids, np.int64)
        )
        return DatasetView(self, ids)

    def select(self, outcomes=None, interventions_only: bool = False) -> DatasetView:
        """See :meth:`DatasetView.select`."""
        return self.view().select(outcomes, interventions_only)

    def split(self, val_fraction: float, seed: int) -> tuple[DatasetView, DatasetView]:
        """See :meth:`DatasetView.split`."""
        return self.view().split(val_fraction, seed)


class DatasetView:
    """A subset of the episodes of a :class:`BagDataset` over the same arrays.

    Attributes:
        dataset: the dataset.
        episode_ids: int64 sorted episode ids.
        transition_indices: int64 indices into ``dataset.transitions`` (the view's
            transitions, in dataset order).
    """

    def __init__(self, dataset: BagDataset, episode_ids, transition_indices=None):
        self.dataset = dataset
        self.episode_ids = np.unique(np.asarray(episode_ids, np.int64))
        n = len(dataset.episodes)
        if self.episode_ids.size and (self.episode_ids[0] < 0 or self.episode_ids[-1] >= n):
            raise ConfigError(f'episode ids must be in [0, {n}), got {self.episode_ids.tolist()}')
        if transition_indices is None:
            ranges = [
                np.arange(*dataset.episodes[e].transitions, dtype=np.int64)
                for e in self.episode_ids
            ]
            transition_indices = np.concatenate(ranges) if ranges else np.zeros(0, np.int64)
        self.transition_indices = np.asarray(transition_indices, np.int64)

    def __len__(self) -> int:
        return int(self.transition_indices.size)

    @property
    def frames(self) -> dict[str, np.ndarray]:
        return self.dataset.frames

    @property
    def transitions(self) -> dict[str, np.ndarray]:
        return self.dataset.transitions

    @property
    def instructions(self) -> list[str]:
        return self.dataset.instructions

    def _subset(self, episode_ids) -> DatasetView:
        keep = np.isin(
            np.asarray(self.dataset.transitions['episode'])[self.transition_indices], episode_ids
        )
        return DatasetView(self.dataset, episode_ids, self.transition_indices[keep])

    def select(self, outcomes=None, interventions_only: bool = False) -> DatasetView:
        """Select the episodes whose outcome is in ``outcomes`` (None: any).

        With ``interventions_only``, only the transitions a human drove (and their
        episodes).
        """
        eps = self.dataset.episodes
        ids = [
            e for e in self.episode_ids if outcomes is None or eps[e].outcome in tuple(outcomes)
        ]
        view = self._subset(ids)
        if interventions_only:
            t = view.transition_indices
            t = t[np.asarray(self.dataset.transitions['intervention'], bool)[t]]
            ids = np.unique(np.asarray(self.dataset.transitions['episode'])[t])
            view = DatasetView(self.dataset, ids, t)
        return view

    def split(self, val_fraction: float, seed: int) -> tuple[DatasetView, DatasetView]:
        """Split into (train, val) by episode, never by frame.

        A seeded permutation of the episodes; ``round(val_fraction * n)`` of them (at
        least 1 when ``val_fraction > 0`` and n >= 2, at most n - 1) go to val.

        Raises:
            ConfigError: ``val_fraction`` outside [0, 1).
        """
        if not 0.0 <= val_fraction < 1.0:
            raise ConfigError(f'val_fraction {val_fraction} must be in [0, 1)')
        ids = self.episode_ids
        n = ids.size
        n_val = 0
        if val_fraction > 0 and n >= 2:
            n_val = min(max(round(val_fraction * n), 1), n - 1)
        perm = np.random.default_rng(seed).permutation(ids)
        return self._subset(np.sort(perm[n_val:])), self._subset(np.sort(perm[:n_val]))

    def union(self, other: DatasetView) -> DatasetView:
        """Return the episodes and transitions of this view and ``other`` (same dataset).

        ``train`` adds an intervention bag's human-driven transitions
        (:meth:`select` ``interventions_only``) to the training split this way.

        Raises:
            ConfigError: ``other`` is a view of another dataset.
        """
        if other.dataset is not self.dataset:
            raise ConfigError('cannot join views of two different datasets')
        return DatasetView(
            self.dataset,
            np.union1d(self.episode_ids, other.episode_ids),
            np.union1d(self.transition_indices, other.transition_indices),
        )

    def shard(self, rank: int, world_size: int) -> DatasetView:
        """Return the episodes of rank ``rank`` of ``world_size`` (DDP).

        Disjoint shards covering the view, balanced greedily by transition count (longest
        episode to the lightest rank).

        Raises:
            ConfigError: bad rank/world size, or fewer episodes than ranks.
        """
        if world_size < 1 or not 0 <= rank < world_size:
            raise ConfigError(f'shard rank {rank} of world size {world_size} is invalid')
        if self.episode_ids.size < world_size:
            raise ConfigError(
                f'{self.episode_ids.size} episode(s) cannot be sharded over {world_size} '
                f'ranks: record more episodes or use fewer ranks'
            )
        ep = np.asarray(self.dataset.transitions['episode'])[self.transition_indices]
        counts = np.bincount(ep, minlength=len(self.dataset.episodes))[self.episode_ids]
        load = np.zeros(world_size, np.int64)
        mine = []
        for j in np.lexsort((self.episode_ids, -counts)):
            r = int(np.argmin(load))
            load[r] += counts[j]
            if r == rank:
                mine.append(self.episode_ids[j])
        return self._subset(np.sort(np.asarray(mine, np.int64)))
