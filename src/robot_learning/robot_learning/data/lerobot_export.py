# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 robot_learning maintainers
"""Episode bags -> a LeRobot dataset (format v3.0) on disk, for the LeRobot policies.

``robot-learning export --format lerobot --bags DIR... --out DIR`` decodes the bags with
:class:`~robot_learning.data.bagdataset.BagDataset` (the same frames and transitions
``robot-learning train`` learns from) and writes the layout LeRobot's
``LeRobotDataset(repo_id, root=DIR)`` loads without the hub:

.. code-block:: text

    DIR/meta/info.json                       codebase_version v3.0, fps, features, paths
    DIR/meta/stats.json                      min/max/mean/std/count/q01..q99 per feature
    DIR/meta/tasks.parquet                   index = task (the instruction), task_index
    DIR/meta/episodes/chunk-000/file-000.parquet   one row per episode (ranges, stats)
    DIR/data/chunk-000/file-000.parquet      one row per step
    DIR/videos/observation.images.<camera>/chunk-000/file-000.mp4  episodes back to back

One row per transition of an episode (the observation it starts from and the action
taken; the episode's last observation has no action and is left out, as LeRobot's
recorder does). Features:

* ``observation.images.<camera>``: video, uint8 RGB (H, W, 3) (``dtype: video``);
* ``observation.state``: float32 (2,), body velocity (v m/s, w rad/s) from odometry;
* ``observation.environment_state``: float32 (S,), LiDAR minimum range per sector (m);
* ``action``: float32 (2,), the commanded Twist (linear.x m/s, angular.z rad/s);
* ``next.reward`` float32, ``next.done`` bool (terminated or truncated), and
  ``complementary_info.is_intervention`` bool (a human drove this step), the names
  LeRobot's HIL-SERL replay buffer reads;
* ``timestamp`` = ``frame_index / fps`` (s), ``frame_index``, ``episode_index``,
  ``index``, ``task_index``.

Each episode lies in one data file and one video file; a file is closed for the next
one at ``data_file_mb`` / ``video_file_mb`` (LeRobot's 100 MB and 200 MB), and 1000
files make a chunk. Video is H.264 (``libx264``, ``yuv420p``, GOP 2 so that any frame
decodes quickly, as LeRobot encodes) or AV1 (``libsvtav1``, LeRobot's default), through
PyAV; tables through pyarrow.

Everything is written to a hidden sibling of ``out`` and renamed into place at the end:
an export that fails leaves nothing behind.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
import json
import os
from pathlib import Path
import shutil
from typing import Callable, Sequence
import uuid

import numpy as np
from robot_learning.common.features import ActionConfig, ObservationConfig
from robot_learning.data.bagconfig import DatasetConfig
from robot_learning.errors import BagError, ConfigError

#: The LeRobot dataset format written (``meta/info.json`` ``codebase_version``).
CODEBASE_VERSION = 'v3.0'
#: LeRobot's path templates (lerobot.datasets.utils, format v3.0).
DATA_PATH = 'data/chunk-{chunk_index:03d}/file-{file_index:03d}.parquet'
VIDEO_PATH = 'videos/{video_key}/chunk-{chunk_index:03d}/file-{file_index:03d}.mp4'
EPISODES_PATH = 'meta/episodes/chunk-000/file-000.parquet'
#: The quantiles of ``stats.json`` (LeRobot's DEFAULT_QUANTILES).
QUANTILES = (0.01, 0.10, 0.50, 0.90, 0.99)
CODECS = ('libx264', 'libsvtav1')


@dataclass
class LeRobotExportConfig:
    """How bags become a LeRobot dataset.

    Attributes:
        fps: frames per second of the dataset (int, LeRobot needs one rate); 0 = the
            median step interval of the bags, rounded.
        image_size: (width, height) in pixels; (0, 0) = the camera's own size (first
            image of the first bag).
        camera: the video key's last part (``observation.images.<camera>``).
        codec: ``libx264`` (H.264, plays everywhere) or ``libsvtav1`` (LeRobot's default).
        crf: constant rate factor of the encoder (0 = lossless for H.264; LeRobot uses
            30 with AV1). Lower is closer to the bag's pixels and larger.
        robot_type: ``meta/info.json`` ``robot_type``.
        data_file_mb, video_file_mb: size (MB) at which a data / video file is closed
            and the next episode starts a new one (LeRobot: 100 and 200).
        chunk_size: files per ``chunk-NNN`` directory (LeRobot: 1000).
    """

    fps: int = 0
    image_size: tuple = (0, 0)
    camera: str = 'front'
    codec: str = 'libx264'
    crf: int = 18
    robot_type: str = 'diff_drive'
    data_file_mb: float = 100.0
    video_file_mb: float = 200.0
    chunk_size: int = 1000

    def __post_init__(self):
        try:
            w, h = (int(v) for v in self.image_size)
        except (TypeError, ValueError):
            raise ConfigError(
                f'export image_size {self.image_size!r} must be [width, height]'
            ) from None
        if w < 0 or h < 0 or (w == 0) != (h == 0) or w % 2 or h % 2:
            raise ConfigError(
                f'export image size {w}x{h}: both even and positive (yuv420p video), '
                f'or 0 0 for the camera size'
            )
        self.image_size = (w, h)
        if self.codec not in CODECS:
            raise ConfigError(f'export codec {self.codec!r}: one of {", ".join(CODECS)}')
        if not 0 <= int(self.crf) <= 63 or not 0 <= int(self.fps) <= 1000:
            raise ConfigError(f'export crf {self.crf} must be in [0, 63] and fps in [0, 1000]')
        if not self.camera or '/' in self.camera or self.chunk_size < 1:
            raise ConfigError(
                f'export camera {self.camera!r} must be a non-empty name without "/" '
                f'and chunk_size >= 1'
            )
        if not (self.data_file_mb > 0 and self.video_file_mb > 0):
            raise ConfigError('export data_file_mb and video_file_mb must be > 0')


@dataclass
class ExportSummary:
    """What :func:`export_lerobot` wrote."""

    out: Path
    episodes: int
    frames: int
    tasks: list[str]
    fps: int
    image_size: tuple
    skipped: list[str] = field(default_factory=list)

    def line(self) -> str:
        """One line for the terminal."""
        w, h = self.image_size
        return (
            f'{self.out}: LeRobot {CODEBASE_VERSION} dataset, {self.episodes} episodes, '
            f'{self.frames} frames at {self.fps} fps, {w}x{h} video, '
            f'{len(self.tasks)} task(s)'
            + (f', {len(self.skipped)} bag problem(s) skipped' if self.skipped else '')
        )


# --------------------------------------------------------------------------- stats


def feature_stats(x: np.ndarray, image: bool = False) -> dict[str, np.ndarray]:
    """Statistics of one feature over frames, as LeRobot's ``stats.json`` holds them.

    Args:
        x: (N, D) float values, or (N, H, W, 3) uint8 images when ``image``.
        image: per-channel statistics of pixels scaled to [0, 1], shaped (3, 1, 1), as
            LeRobot's ``compute_episode_stats`` gives for camera features; like it, on
            a subsample (every 4th row and column; ``count`` is still the frames).

    Returns:
        ``min``, ``max``, ``mean``, ``std`` (shape (D,) or (3, 1, 1)), ``count`` (1,)
        and ``q01``/``q10``/``q50``/``q90``/``q99`` (exact quantiles, where LeRobot
        approximates them with histograms).
    """
    n = int(x.shape[0])
    if image:
        flat = x[:, ::4, ::4].reshape(-1, 3).astype(np.float64) / 255.0
        shape = (3, 1, 1)
    else:
        flat = np.asarray(x, np.float64).reshape(n, -1)
        shape = (flat.shape[1],)
    out = {
        'min': flat.min(0),
        'max': flat.max(0),
        'mean': flat.mean(0),
        'std': flat.std(0),
    }
    for q in QUANTILES:
        out[f'q{int(round(q * 100)):02d}'] = np.quantile(flat, q, axis=0)
    out = {k: v.reshape(shape) for k, v in out.items()}
    out['count'] = np.array([n], np.int64)
    return out


def _merge_stats(parts: list[dict[str, np.ndarray]]) -> dict[str, np.ndarray]:
    """Pool per-episode stats (counts weight the means and variances; quantiles too)."""
    counts = np.array([float(p['count'][0]) for p in parts])
    w = counts / counts.sum()
    mean = sum(wi * p['mean'] for wi, p in zip(w, parts))
    var = sum(wi * (p['std'] ** 2 + (p['mean'] - mean) ** 2) for wi, p in zip(w, parts))
    out = {
        'min': np.minimum.reduce([p['min'] for p in parts]),
        'max': np.maximum.reduce([p['max'] for p in parts]),
        'mean': mean,
        'std': np.sqrt(var),
        'count': np.array([int(counts.sum())], np.int64),
    }
    for k in parts[0]:
        if k.startswith('q'):  # LeRobot's aggregate_stats weights quantiles the same way
            out[k] = sum(wi * p[k] for wi, p in zip(w, parts))
    return out


# --------------------------------------------------------------------------- writing


class _VideoFile:
    """One mp4 of back-to-back episodes; pts counts frames of 1/fps s."""

    def __init__(self, path: Path, fps: int, size: tuple, codec: str, crf: int):
        import av

        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.container = av.open(str(path), 'w')
        self.stream = self.container.add_stream(
            codec, rate=fps, options={'crf': str(int(crf)), 'g': '2'}
        )
        self.stream.width, self.stream.height = size
        self.stream.pix_fmt = 'yuv420p'
        self.frames = 0

    def write(self, rgb: np.ndarray) -> None:
        import av

        frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(rgb), format='rgb24')
        frame.pts = self.frames
        for packet in self.stream.encode(frame):
            self.container.mux(packet)
        self.frames += 1

    def mb(self) -> float:
        return self.path.stat().st_size / 2**20 if self.path.exists() else 0.0

    def close(self) -> None:
        for packet in self.stream.encode():
            self.container.mux(packet)
        self.container.close()


def _next_file(chunk: int, file: int, chunk_size: int) -> tuple[int, int]:
    return (chunk + 1, 0) if file == chunk_size - 1 else (chunk, file + 1)


def _fixed_list(values: np.ndarray):
    import pyarrow as pa

    values = np.ascontiguousarray(values, np.float32)
    return pa.FixedSizeListArray.from_arrays(pa.array(values.reshape(-1)), values.shape[1])


def _step_fps(stamps_per_episode: list[np.ndarray]) -> int:
    dts = np.concatenate([np.diff(s) for s in stamps_per_episode if s.size > 1])
    dts = dts[dts > 0]
    if dts.size == 0:
        raise BagError('every episode has a single step: cannot tell the frame rate; pass --fps')
    return max(1, int(round(1e6 / float(np.median(dts)))))


def export_lerobot(
    paths: Sequence[str | Path],
    out: str | Path,
    dataset_cfg: DatasetConfig,
    cfg: LeRobotExportConfig,
    obs_cfg: ObservationConfig | None = None,
    act_cfg: ActionConfig | None = None,
    progress: bool = True,
    log: Callable[[str], None] = print,
) -> ExportSummary:
    """Write the episodes of the bags under ``paths`` as a LeRobot v3.0 dataset in ``out``.

    Args:
        paths: bag directories, sessions of them or trees (as ``robot-learning train``).
        out: the dataset directory; it must not exist or be empty.
        dataset_cfg: topics and outcomes (``image_size`` is replaced by ``cfg``'s).
        cfg: frame rate, image size, codec.
        obs_cfg, act_cfg: observation layout and the action <-> Twist map.
        progress: tqdm bar over episodes on stderr.
        log: receives one line per skipped bag.

    Raises:
        ConfigError: ``out`` holds files, or no bag has a camera image on the image topic
            (the message names the topic).
        BagError: no bag or no usable episode under ``paths``.
        MissingPackage-style ModuleNotFoundError: pyarrow or av is not installed.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq
    from robot_learning.data.bagdataset import BagDataset
    from robot_learning.data.bagdecode import first_image_size
    from robot_learning.data.bagfiles import find_bag_dirs
    from tqdm import tqdm

    obs_cfg = obs_cfg or ObservationConfig()
    act_cfg = act_cfg or ActionConfig()
    out = Path(out)
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise ConfigError(f'--out {out} exists and is not an empty directory: choose a new one')
    topic = dataset_cfg.topics.image
    bags = find_bag_dirs(list(paths))
    size = cfg.image_size
    if topic and size == (0, 0):
        size = next((s for s in (first_image_size(b, topic) for b in bags) if s), (0, 0))
        size = (size[0] - size[0] % 2, size[1] - size[1] % 2)  # yuv420p: even sides
    elif topic and not any(first_image_size(b, topic) for b in bags):
        size = (0, 0)
    if not topic or size == (0, 0):
        names = ' '.join(str(p) for p in paths)
        where = f'no camera image on {topic} in any bag' if topic else 'no image topic named'
        raise ConfigError(
            f'{names}: {where}; a LeRobot dataset needs the camera as video: name the '
            f'image topic in --dataset-config (topics: image)'
        )
    data = BagDataset.build(
        list(paths), replace(dataset_cfg, image_size=size), obs_cfg, act_cfg,
        progress=progress, log=log,
    )
    fr, tr = data.frames, data.transitions
    episodes = data.episodes
    fps = int(cfg.fps) or _step_fps(
        [np.asarray(fr['stamp'][slice(*e.frames)]) for e in episodes]
    )
    tasks = sorted({e.instruction for e in episodes})
    task_index = {t: i for i, t in enumerate(tasks)}
    video_key = f'observation.images.{cfg.camera}'
    w, h = size

    tmp = out.parent / f'.{out.name}.partial-{uuid.uuid4().hex[:8]}'
    tmp.mkdir(parents=True)
    try:
        ep_rows: list[dict] = []
        ep_stats: list[dict[str, dict]] = []
        data_loc = [0, 0]
        video_loc = [0, 0]
        writer = None
        data_mb = 0.0
        video = _VideoFile(
            tmp / VIDEO_PATH.format(video_key=video_key, chunk_index=0, file_index=0),
            fps, size, cfg.codec, cfg.crf,
        )
        index = 0
        for ep_i, ep in enumerate(tqdm(episodes, desc='export', unit='ep', disable=not progress)):
            t_idx = np.arange(*ep.transitions)
            obs = np.asarray(tr['obs'][t_idx])
            n = int(t_idx.size)
            twist = np.array([act_cfg.to_twist(a) for a in np.asarray(tr['action'][t_idx])],
                             np.float32).reshape(n, 2)
            done = np.asarray(tr['terminated'][t_idx]) | np.asarray(tr['truncated'][t_idx])
            done[-1] = True  # the episode ends here whatever the bag's last status said
            columns = {
                'observation.state': np.asarray(fr['velocity'][obs], np.float32),
                'observation.environment_state': np.asarray(fr['sectors'][obs], np.float32),
                'action': twist,
            }
            images = np.asarray(fr['image'][obs])
            frame_index = np.arange(n, dtype=np.int64)
            table = pa.table({
                **{k: _fixed_list(v) for k, v in columns.items()},
                'next.reward': pa.array(np.asarray(tr['reward'][t_idx], np.float32)),
                'next.done': pa.array(done.astype(bool)),
                'complementary_info.is_intervention': pa.array(
                    np.asarray(tr['intervention'][t_idx], bool)
                ),
                'timestamp': pa.array((frame_index / fps).astype(np.float32)),
                'frame_index': pa.array(frame_index),
                'episode_index': pa.array(np.full(n, ep_i, np.int64)),
                'index': pa.array(np.arange(index, index + n, dtype=np.int64)),
                'task_index': pa.array(np.full(n, task_index[ep.instruction], np.int64)),
            })
            # An episode never straddles two files (LeRobot reads one file per episode).
            if writer is not None and data_mb + table.nbytes / 2**20 > cfg.data_file_mb:
                writer.close()
                writer, data_mb = None, 0.0
                data_loc = list(_next_file(*data_loc, cfg.chunk_size))
            if writer is None:
                path = tmp / DATA_PATH.format(chunk_index=data_loc[0], file_index=data_loc[1])
                path.parent.mkdir(parents=True, exist_ok=True)
                writer = pq.ParquetWriter(path, table.schema, compression='snappy')
            writer.write_table(table)
            data_mb += table.nbytes / 2**20
            if video.frames and video.mb() > cfg.video_file_mb:
                video.close()
                video_loc = list(_next_file(*video_loc, cfg.chunk_size))
                video = _VideoFile(
                    tmp / VIDEO_PATH.format(
                        video_key=video_key, chunk_index=video_loc[0], file_index=video_loc[1]
                    ),
                    fps, size, cfg.codec, cfg.crf,
                )
            from_ts = video.frames / fps
            for img in images:
                video.write(img)
            stats = {k: feature_stats(v) for k, v in columns.items()}
            stats['next.reward'] = feature_stats(np.asarray(tr['reward'][t_idx])[:, None])
            stats[video_key] = feature_stats(images, image=True)
            for k, v in (('timestamp', frame_index / fps), ('frame_index', frame_index),
                         ('episode_index', np.full(n, ep_i)),
                         ('index', np.arange(index, index + n)),
                         ('task_index', np.full(n, task_index[ep.instruction]))):
                stats[k] = feature_stats(np.asarray(v)[:, None])
            ep_stats.append(stats)
            ep_rows.append({
                'episode_index': ep_i,
                'tasks': [ep.instruction],
                'length': n,
                'data/chunk_index': data_loc[0],
                'data/file_index': data_loc[1],
                'dataset_from_index': index,
                'dataset_to_index': index + n,
                f'videos/{video_key}/chunk_index': video_loc[0],
                f'videos/{video_key}/file_index': video_loc[1],
                f'videos/{video_key}/from_timestamp': from_ts,
                f'videos/{video_key}/to_timestamp': video.frames / fps,
                'meta/episodes/chunk_index': 0,
                'meta/episodes/file_index': 0,
                **{
                    f'stats/{feat}/{name}': value.tolist()
                    for feat, s in stats.items()
                    for name, value in s.items()
                },
                'source_bag': ep.path,
                'outcome': ep.outcome,
            })
            index += n
        if writer is not None:
            writer.close()
        video.close()
        _write_meta(tmp, ep_rows, ep_stats, tasks, fps, size, cfg, video_key, index, data)
        if out.exists():
            out.rmdir()  # empty, checked above
        os.replace(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return ExportSummary(out, len(episodes), index, tasks, fps, (w, h), list(data.skipped))


def _tasks_table(tasks: list[str]):
    """``meta/tasks.parquet``: LeRobot reads it with pandas, the task string as the index.

    The pandas schema metadata (the layout ``DataFrame.to_parquet`` writes) makes
    ``pandas.read_parquet`` restore ``task`` as the index without pandas here: pandas 3
    needs numpy 2, which a system ROS 2 Jazzy install does not have.
    """
    import pyarrow as pa

    def column(name, pandas_type, numpy_type):
        return {'name': name, 'field_name': name, 'pandas_type': pandas_type,
                'numpy_type': numpy_type, 'metadata': None}

    meta = {
        'index_columns': ['task'],
        'column_indexes': [{'name': None, 'field_name': None, 'pandas_type': 'unicode',
                            'numpy_type': 'object', 'metadata': {'encoding': 'UTF-8'}}],
        'columns': [column('task_index', 'int64', 'int64'), column('task', 'unicode', 'object')],
        'creator': {'library': 'pyarrow', 'version': pa.__version__},
        'pandas_version': '2.2.0',
    }
    table = pa.table({'task_index': pa.array(range(len(tasks)), pa.int64()),
                      'task': pa.array(tasks, pa.string())})
    return table.replace_schema_metadata({b'pandas': json.dumps(meta).encode()})


def _write_meta(tmp, ep_rows, ep_stats, tasks, fps, size, cfg, video_key, frames, data):
    import pyarrow as pa
    import pyarrow.parquet as pq

    w, h = size
    (tmp / 'meta' / 'episodes' / 'chunk-000').mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.Table.from_pylist(ep_rows), tmp / EPISODES_PATH)
    pq.write_table(_tasks_table(tasks), tmp / 'meta' / 'tasks.parquet')
    merged = {k: _merge_stats([s[k] for s in ep_stats]) for k in ep_stats[0]}
    (tmp / 'meta' / 'stats.json').write_text(
        json.dumps({k: {n: v.tolist() for n, v in s.items()} for k, s in merged.items()}, indent=2)
    )
    sectors = int(data.frames['sectors'].shape[1])

    def vec(names):
        return {'dtype': 'float32', 'shape': [len(names)], 'names': list(names)}

    def scalar(dtype):
        return {'dtype': dtype, 'shape': [1], 'names': None}

    features = {
        video_key: {
            'dtype': 'video',
            'shape': [h, w, 3],
            'names': ['height', 'width', 'channels'],
            'info': {
                'video.height': h,
                'video.width': w,
                'video.codec': 'h264' if cfg.codec == 'libx264' else 'av1',
                'video.pix_fmt': 'yuv420p',
                'video.is_depth_map': False,
                'video.fps': fps,
                'video.channels': 3,
                'has_audio': False,
            },
        },
        'observation.state': vec(['linear.x', 'angular.z']),
        'observation.environment_state': vec([f'sector_{i}' for i in range(sectors)]),
        'action': vec(['linear.x', 'angular.z']),
        'next.reward': scalar('float32'),
        'next.done': scalar('bool'),
        'complementary_info.is_intervention': scalar('bool'),
        'timestamp': scalar('float32'),
        'frame_index': scalar('int64'),
        'episode_index': scalar('int64'),
        'index': scalar('int64'),
        'task_index': scalar('int64'),
    }
    info = {
        'codebase_version': CODEBASE_VERSION,
        'robot_type': cfg.robot_type,
        'total_episodes': len(ep_rows),
        'total_frames': frames,
        'total_tasks': len(tasks),
        'chunks_size': cfg.chunk_size,
        'data_files_size_in_mb': cfg.data_file_mb,
        'video_files_size_in_mb': cfg.video_file_mb,
        'fps': fps,
        'splits': {'train': f'0:{len(ep_rows)}'},
        'data_path': DATA_PATH,
        'video_path': VIDEO_PATH,
        'features': features,
    }
    (tmp / 'meta' / 'info.json').write_text(json.dumps(info, indent=4))
