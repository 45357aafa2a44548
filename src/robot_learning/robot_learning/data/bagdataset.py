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
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
import dataclasses
from dataclasses import dataclass, field
import hashlib
import json
import math
import os
from pathlib import Path
import shutil
import sys
from typing import Any
import uuid

import numpy as np
from robot_learning.common.features import (
    ActionConfig,
    detections_from_msg,
    encode_observation,
    ObservationConfig,
    stamp_us,
    step_info_from_msg,
    StepInfo,
    velocity_from_odom,
)
from robot_learning.data.transitions import SyncedObservation, TransitionPipeline
from robot_learning.errors import BagError, ConfigError, MessageError

__all__ = [
    'CACHE_VERSION',
    'BagDataset',
    'DatasetConfig',
    'DatasetTopics',
    'DatasetView',
    'EpisodeInfo',
    'find_bag_dirs',
]

#: Bumped whenever the decoded arrays of a bag would change: old cache entries are ignored.
CACHE_VERSION = 1

#: Message types accepted per role (rosbags names).
ACCEPTED_TYPES: dict[str, tuple[str, ...]] = {
    'image': ('sensor_msgs/msg/Image', 'sensor_msgs/msg/CompressedImage'),
    'scan': ('sensor_msgs/msg/LaserScan', 'sensor_msgs/msg/PointCloud2'),
    'odom': ('nav_msgs/msg/Odometry',),
    'detections': ('geometry_msgs/msg/PoseArray',),
    'instruction': ('std_msgs/msg/String',),
    'action': ('geometry_msgs/msg/TwistStamped', 'geometry_msgs/msg/Twist'),
    'intervention': ('std_msgs/msg/Bool',),
    'episode': ('diagnostic_msgs/msg/DiagnosticArray',),
}
_STORAGE_SUFFIXES = {'.mcap': 'mcap', '.db3': 'sqlite3'}
_FRAME_KEYS = (
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
_TRANSITION_KEYS = (
    'obs',
    'next_obs',
    'action',
    'reward',
    'terminated',
    'truncated',
    'intervention',
    'episode',
)


# --------------------------------------------------------------------------- config


@dataclass
class DatasetTopics:
    """Absolute topic names as recorded; ``''`` = not used.

    Attributes:
        image: sensor_msgs/Image or CompressedImage (any :mod:`robot_learning.data.ingest`
            encoding), resized to ``DatasetConfig.image_size``.
        scan: LaserScan (min range per sector, REP-117) or PointCloud2 (float32 x,y,z).
        odom: nav_msgs/Odometry -> body-frame (v m/s, w rad/s); ``''`` -> velocity 0.
        detections: PoseArray, one pose per ``ObservationConfig.colors``; ``''`` -> NaN.
        instruction: std_msgs/String (metadata custom_data ``instruction`` wins).
        action: TwistStamped (stamp = the observation it answers) or Twist (no header:
            the command in force, by log time).
        intervention: std_msgs/Bool published right after each action (optional).
        episode: diagnostic_msgs/DiagnosticArray step statuses (docs/interfaces.md);
            required when ``rate_hz == 0``, optional (rewards only) otherwise.
    """

    image: str = '/camera/image_raw'
    scan: str = '/scan'
    odom: str = '/odom'
    detections: str = '/detections'
    instruction: str = '/instruction'
    action: str = '/action'
    intervention: str = '/intervention'
    episode: str = '/episode'


@dataclass
class DatasetConfig:
    """How bags become a dataset.

    Attributes:
        topics: topic names (:class:`DatasetTopics`).
        rate_hz: 0 -> steps from the episode topic (exact); > 0 -> resample at this
            rate (Hz) for bags without one.
        tolerance_s: largest stamp difference (s) between the streams of one frame
            (episode mode) / largest age (s) of a sensor message at a tick (rate mode).
        image_size: (width, height) in pixels after resizing; (0, 0) = no images.
        outcomes: episode outcomes (metadata custom_data ``outcome``: ``success``,
            ``failure``, ``unknown``, ``crashed`` for a bag recovered by
            ``robot-learning bag reindex``) kept; () = all. Default: successes only.
        cache_dir: where decoded arrays go; '' -> ``~/.cache/robot_learning/datasets``.
        points_range_min: PointCloud2 scans: smallest planar range kept (m).
        points_z: PointCloud2 scans: (z_min, z_max) of the points kept (m, sensor frame).
    """

    topics: DatasetTopics = field(default_factory=DatasetTopics)
    rate_hz: float = 0.0
    tolerance_s: float = 0.05
    image_size: tuple = (64, 48)
    outcomes: tuple = ('success',)
    cache_dir: str = ''
    points_range_min: float = 0.1
    points_z: tuple = (-0.3, 1.0)

    def __post_init__(self):
        if isinstance(self.topics, Mapping):
            self.topics = _topics_from_dict(self.topics)
        for name, value in dataclasses.asdict(self.topics).items():
            if not isinstance(value, str) or (value and not value.startswith('/')):
                raise ConfigError(
                    f'dataset topic {name}: {value!r} must be an absolute name '
                    f"('/scan') or '' for unused"
                )
        for name in ('rate_hz', 'tolerance_s', 'points_range_min'):
            v = getattr(self, name)
            if (
                isinstance(v, bool)
                or not isinstance(v, (int, float))
                or not math.isfinite(v)
                or v < 0
            ):
                raise ConfigError(f'dataset {name}: {v!r} must be a finite number >= 0')
            setattr(self, name, float(v))
        if self.tolerance_s <= 0:
            raise ConfigError(f'dataset tolerance_s: {self.tolerance_s} must be > 0')
        try:
            w, h = (int(x) for x in self.image_size)
            zmin, zmax = (float(x) for x in self.points_z)
        except (TypeError, ValueError):
            raise ConfigError(
                f'dataset image_size {self.image_size!r} must be [width, height] and '
                f'points_z {self.points_z!r} [z_min, z_max]'
            ) from None
        if w < 0 or h < 0 or (w == 0) != (h == 0):
            raise ConfigError(
                f'dataset image_size {self.image_size!r}: both positive, or [0, 0] '
                f'for no images'
            )
        if not zmax >= zmin:
            raise ConfigError(f'dataset points_z {self.points_z!r}: z_max must be >= z_min')
        self.image_size, self.points_z = (w, h), (zmin, zmax)
        if isinstance(self.outcomes, str):
            self.outcomes = (self.outcomes,)
        self.outcomes = tuple(self.outcomes)
        if not all(isinstance(o, str) for o in self.outcomes):
            raise ConfigError(f'dataset outcomes {self.outcomes!r} must be strings')
        if not isinstance(self.cache_dir, str):
            raise ConfigError(f'dataset cache_dir {self.cache_dir!r} must be a path string')
        if self.rate_hz == 0 and not self.topics.episode:
            raise ConfigError(
                'dataset topics.episode is empty but rate_hz is 0: name the episode '
                'topic or set rate_hz > 0 to resample the bags'
            )
        for role in ('scan', 'action'):
            if not getattr(self.topics, role):
                raise ConfigError(f'dataset topics.{role} must be named (it is required)')
        if self.image_size != (0, 0) and not self.topics.image:
            raise ConfigError(
                'dataset topics.image is empty: set image_size to [0, 0] for no images'
            )

    @property
    def images(self) -> bool:
        return self.image_size != (0, 0)

    def to_dict(self) -> dict:
        d = dataclasses.asdict(self)
        d['image_size'], d['outcomes'], d['points_z'] = (
            list(self.image_size),
            list(self.outcomes),
            list(self.points_z),
        )
        return d

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> DatasetConfig:
        """From a mapping with these field names (``topics`` nested).

        Raises:
            ConfigError: unknown keys or bad values.
        """
        if not isinstance(d, Mapping):
            raise ConfigError(f'dataset config must be a mapping, got {type(d).__name__}')
        _check_keys(d, cls, 'dataset config')
        kw = dict(d)
        if 'topics' in kw:
            kw['topics'] = _topics_from_dict(kw['topics'] or {})
        return cls(**kw)

    @classmethod
    def from_yaml(cls, path: str | Path) -> DatasetConfig:
        """From a YAML file (the user's ``--dataset-config``), keys as :meth:`from_dict`.

        Raises:
            ConfigError: unreadable file, bad YAML, unknown keys or bad values.
        """
        import yaml

        try:
            doc = yaml.safe_load(Path(path).read_text('utf8'))
        except (OSError, yaml.YAMLError) as exc:
            raise ConfigError(f'dataset config {path}: {" ".join(str(exc).split())}') from None
        return cls.from_dict(doc or {})


def _check_keys(d: Mapping, cls: type, what: str) -> None:
    """Raise ConfigError naming keys of ``d`` that are not fields of dataclass ``cls``."""
    names = {f.name for f in dataclasses.fields(cls)}
    unknown = sorted(set(d) - names)
    if unknown:
        raise ConfigError(f'{what} has unknown key(s) {unknown} (known: {sorted(names)})')


def _topics_from_dict(d: Any) -> DatasetTopics:
    if isinstance(d, DatasetTopics):
        return d
    if not isinstance(d, Mapping):
        raise ConfigError(f'dataset topics must be a mapping of role: topic, got {d!r}')
    _check_keys(d, DatasetTopics, 'dataset topics')
    return DatasetTopics(**{k: ('' if v is None else v) for k, v in d.items()})


@dataclass
class EpisodeInfo:
    """One episode (= one bag) of a :class:`BagDataset`.

    ``frames`` and ``transitions`` are (start, stop) ranges into the dataset arrays.
    """

    path: str
    instruction: str
    outcome: str
    frames: tuple
    transitions: tuple
    interventions: int  # transitions whose action came from a human
    format: str  # noqa: A003 -- 'mcap' | 'sqlite3' (a public field name)
    custom: dict = field(default_factory=dict)


# --------------------------------------------------------------------------- discovery


def read_custom(path: Path) -> dict[str, str]:
    """Read the custom_data of a bag's ``metadata.yaml``.

    libyaml: ruamel, which rosbags and bagwriter use, costs ~10 ms a file, a tenth of
    decoding a 100-step episode.

    Raises:
        BagError: no readable rosbag2 ``metadata.yaml``.
    """
    import yaml

    meta = Path(path) / 'metadata.yaml'
    try:
        doc = yaml.load(meta.read_bytes(), Loader=getattr(yaml, 'CSafeLoader', yaml.SafeLoader))
        custom = doc['rosbag2_bagfile_information'].get('custom_data') or {}
        return {str(k): str(v) for k, v in dict(custom).items()}
    except FileNotFoundError:
        raise BagError(f'{meta} does not exist (recording crashed or still running)') from None
    except Exception as exc:  # noqa: BLE001 -- YAML errors, or a document of another shape
        raise BagError(
            f'{meta} is not a rosbag2 metadata file (truncated?): ' f'{_one_line(exc)}'
        ) from None


def _storage_format(d: Path) -> str:
    for f in sorted(d.iterdir()):
        if f.suffix in _STORAGE_SUFFIXES:
            return _STORAGE_SUFFIXES[f.suffix]
    return 'unknown'


def find_bag_dirs(paths: Sequence[str | Path]) -> list[Path]:
    """Find every rosbag2 directory at or below ``paths``, sorted.

    A bag directory holds ``metadata.yaml`` or storage files (``.mcap``/``.db3``; a
    crashed recording has no metadata).

    Raises:
        BagError: a path does not exist or holds no bag.
    """
    found: list[Path] = []
    for p in paths:
        p = Path(p)
        if not p.exists():
            raise BagError(
                f'bag path {p} does not exist: pass a bag directory or a session of them'
            )
        if p.is_file():
            p = p.parent
        dirs = {m.parent for m in p.rglob('metadata.yaml')}
        dirs |= {m.parent for s in _STORAGE_SUFFIXES for m in p.rglob(f'*{s}')}
        # hidden directories below p are work in progress (a reindex's temporary bag)
        dirs = {d for d in dirs if not any(x.startswith('.') for x in d.relative_to(p).parts)}
        if (p / 'metadata.yaml').exists():
            dirs.add(p)
        if not dirs:
            raise BagError(f'{p} holds no rosbag2 bag (no metadata.yaml, .mcap or .db3 below it)')
        found += sorted(dirs)
    seen: set = set()
    return [d for d in found if not (d.resolve() in seen or seen.add(d.resolve()))]


# --------------------------------------------------------------------------- decoding

from robot_learning.data.bagwriter import (  # noqa: E402, I100 -- one shared store
    jazzy_typestore as _typestore,
)

_HASHES: dict[str, str] = {}


def _type_hash(msgtype: str) -> str:
    if msgtype not in _HASHES:
        try:
            _HASHES[msgtype] = _typestore().hash_rihs01(msgtype)
        except Exception:  # noqa: BLE001 -- a type the store does not know
            _HASHES[msgtype] = ''
    return _HASHES[msgtype]


class _Skip(Exception):
    """A bag cannot be used; the message is the one line naming topic and problem."""


def _open_reader(path: Path, topics: set[str]):
    """Open a bag: ``(context manager, reader, deserialize(raw, msgtype))``.

    rosbag2 bags whose wanted topics carry the type hashes of the ROS 2 Jazzy store are
    read with the plain rosbag2 ``Reader`` and the process-wide store (deserializers
    compiled once); ``AnyReader`` would parse and compile every bag's embedded message
    definitions again (about 25 ms a bag). Anything else (other definitions, no hashes,
    rosbag1) goes through ``AnyReader``.

    Raises:
        _Skip: the bag cannot be opened.
    """
    from rosbags.highlevel import AnyReader
    from rosbags.rosbag2 import Reader

    store = _typestore()
    try:
        fast = Reader(path)
        fast.open()
        if all(
            c.digest and c.digest == _type_hash(c.msgtype)
            for c in fast.connections
            if c.topic in topics
        ):
            return fast, fast, store.deserialize_cdr
        fast.close()
    except Exception:  # noqa: BLE001, S110 -- AnyReader below names the problem
        pass
    try:
        cm = AnyReader([path], default_typestore=store)
        reader = cm.__enter__()
    except Exception as exc:  # noqa: BLE001 -- rosbags raises many kinds on broken files
        raise _Skip(f'cannot open bag: {_one_line(exc)}') from None
    return cm, reader, reader.deserialize


def _decode_image(msg, msgtype: str, size: tuple[int, int]) -> np.ndarray:
    from robot_learning.data.ingest import compressed_msg_to_rgb, image_msg_to_rgb, resize_rgb

    rgb = (
        compressed_msg_to_rgb(msg)
        if msgtype.endswith('CompressedImage')
        else image_msg_to_rgb(msg)
    )
    out = resize_rgb(rgb, size[0], size[1])
    return np.array(out, np.uint8, copy=True) if out is rgb else out


def _decode_scan(msg, msgtype: str, cfg: DatasetConfig, obs_cfg: ObservationConfig) -> np.ndarray:
    from robot_learning.data.ingest import (
        pointcloud_msg_to_xyz,
        points_to_sectors,
        scan_to_sectors,
    )

    if msgtype.endswith('PointCloud2'):
        return points_to_sectors(
            pointcloud_msg_to_xyz(msg),
            obs_cfg.num_sectors,
            min(cfg.points_range_min, 0.5 * obs_cfg.range_max),
            obs_cfg.range_max,
            cfg.points_z[0],
            cfg.points_z[1],
        )
    # As lidar_ingest (the sensor's own limits), then clipped to the observation's range.
    sectors = scan_to_sectors(
        msg.ranges,
        msg.angle_min,
        msg.angle_increment,
        msg.range_min,
        msg.range_max,
        obs_cfg.num_sectors,
    )
    return np.minimum(sectors, np.float32(obs_cfg.range_max))


class _Streams:
    """Messages of one bag by role, after dropping backward stamps: lists of tuples."""

    def __init__(self):
        self.sensor: dict[str, list[tuple[int, int, Any]]] = (
            {}
        )  # role -> (log_us, stamp_us, value)
        self.actions: list[list] = (
            []
        )  # [log_us, stamp_us (or log_us for Twist), v, w, intervention]
        self.stamped_actions = True
        self.steps: list[tuple[int, StepInfo]] = []
        self.instructions: list[str] = []
        self._action_times: np.ndarray | None = None  # log µs of untimed (Twist) actions


def _read_bag(
    path: Path, cfg: DatasetConfig, obs_cfg: ObservationConfig, problems: list[str]
) -> _Streams:
    """Deserialize the configured topics of one bag (log-time order).

    Raises:
        _Skip: unreadable bag, missing required topic or wrong type.
    """
    t = cfg.topics
    roles = {r: getattr(t, r) for r in ACCEPTED_TYPES if getattr(t, r)}
    if not cfg.images:
        roles.pop('image', None)
    required = [
        r
        for r in roles
        if r not in ('instruction', 'intervention') and not (r == 'episode' and cfg.rate_hz > 0)
    ]
    st = _Streams()
    reader_cm, reader, deserialize = _open_reader(path, set(roles.values()))
    try:
        by_topic: dict[str, list] = {}
        for c in reader.connections:
            by_topic.setdefault(c.topic, []).append(c)
        conns, role_of = [], {}
        for role, topic in roles.items():
            cs = by_topic.get(topic)
            if not cs:
                if role in required:
                    raise _Skip(
                        f'topic {topic} ({role}): missing from the bag (topics: '
                        f'{", ".join(sorted(by_topic)) or "none"})'
                    )
                continue
            bad = [c.msgtype for c in cs if c.msgtype not in ACCEPTED_TYPES[role]]
            if bad:
                line = (
                    f'topic {topic} ({role}): type {bad[0]}, expected '
                    f'{" or ".join(ACCEPTED_TYPES[role])}'
                )
                if role in required:
                    raise _Skip(line)
                problems.append(line + '; topic ignored')
                continue
            for c in cs:
                conns.append(c)
                role_of[c.id] = (role, c.msgtype, topic)
        last: dict[str, int] = {}
        backwards: dict[str, int] = {}
        errors: dict[str, tuple[int, str]] = {}
        if 'action' in roles and roles['action'] in by_topic:
            st.stamped_actions = by_topic[roles['action']][0].msgtype.endswith('TwistStamped')
        try:
            for conn, log_ns, raw in reader.messages(connections=conns):
                role, msgtype, topic = role_of[conn.id]
                log_us = log_ns // 1000
                try:
                    msg = deserialize(raw, msgtype)
                    header = getattr(msg, 'header', None)
                    stamp = stamp_us(header) if header is not None else log_us
                    if role == 'episode':
                        info = step_info_from_msg(msg)
                        stamp = info.stamp
                    if stamp < last.get(topic, -1 << 62):  # clock jumped back: drop
                        backwards[topic] = backwards.get(topic, 0) + 1
                        continue
                    last[topic] = stamp
                    if role == 'scan':
                        st.sensor.setdefault('scan', []).append(
                            (log_us, stamp, _decode_scan(msg, msgtype, cfg, obs_cfg))
                        )
                    elif role == 'image':
                        st.sensor.setdefault('image', []).append(
                            (log_us, stamp, _decode_image(msg, msgtype, cfg.image_size))
                        )
                    elif role == 'odom':
                        st.sensor.setdefault('odom', []).append(
                            (log_us, stamp, velocity_from_odom(msg))
                        )
                    elif role == 'detections':
                        st.sensor.setdefault('detections', []).append(
                            (log_us, stamp, detections_from_msg(msg))
                        )
                    elif role == 'action':
                        tw = msg.twist if st.stamped_actions else msg
                        st.actions.append(
                            [log_us, stamp, float(tw.linear.x), float(tw.angular.z), False]
                        )
                    elif role == 'intervention':
                        # Published right after each action: it flags the latest one.
                        if st.actions and st.actions[-1][0] <= log_us:
                            st.actions[-1][4] = bool(msg.data)
                    elif role == 'episode':
                        st.steps.append((log_us, info))
                    elif role == 'instruction':
                        st.instructions.append(str(msg.data))
                except (
                    MessageError,
                    ValueError,
                    TypeError,
                    AttributeError,
                    KeyError,
                    IndexError,
                ) as exc:
                    n, first = errors.get(topic, (0, _one_line(exc)))
                    errors[topic] = (n + 1, first)
        except Exception as exc:  # noqa: BLE001 -- truncated chunk, bad CDR, I/O error
            raise _Skip(
                f'unreadable after {sum(len(v) for v in st.sensor.values()) + len(st.steps)} '
                f'messages: {_one_line(exc)}'
            ) from None
        for topic, n in backwards.items():
            problems.append(f'topic {topic}: {n} message(s) with a stamp going backwards dropped')
        for topic, (n, first) in errors.items():
            problems.append(f'topic {topic}: {n} message(s) dropped: {first}')
    finally:
        try:
            reader_cm.close()
        except Exception:  # noqa: BLE001, S110 -- closing a broken file
            pass
    return st


def _gap_problems(st: _Streams, cfg: DatasetConfig, problems: list[str]) -> None:
    """One line per stream whose stamps leave a gap far above its usual period."""
    t = cfg.topics
    if cfg.rate_hz > 0:
        series = {getattr(t, r): [s for _, s, _ in v] for r, v in st.sensor.items()}
    else:  # the episode steps are the clock; sensors share their stamps
        series = {t.episode: [i.stamp for _, i in st.steps]}
    for topic, stamps in series.items():
        if len(stamps) < 3:
            continue
        d = np.diff(np.asarray(stamps, np.int64))
        med = float(np.median(d[d > 0])) if (d > 0).any() else 0.0
        limit = max(1_000_000.0, 10.0 * med)
        big = np.flatnonzero(d > limit)
        if big.size:
            k = big[0]
            problems.append(
                f'topic {topic}: {big.size} gap(s) in stamps, the first {d[k] / 1e6:.2f} s '
                f'after t={stamps[k] / 1e6:.3f} s'
            )


def _action_at(st: _Streams, key: int) -> tuple | None:
    """Twist command in force at ``key`` µs (latest logged at or before it)."""
    times = st._action_times
    i = int(np.searchsorted(times, key, 'right')) - 1
    return None if i < 0 else st.actions[i]


def _replay_episode_mode(
    st: _Streams, pipe: TransitionPipeline, cfg: DatasetConfig, obs_cfg: ObservationConfig
) -> list:
    """Feed the bag's messages in log order, as the learner gets them live."""
    events: list[tuple[int, int, str, Any]] = []  # (log_us, seq, kind, payload)
    seq = 0
    for role, items in st.sensor.items():
        for log_us, stamp, value in items:
            events.append((log_us, seq, role, (stamp, value)))
            seq += 1
    if st.stamped_actions:
        for a in st.actions:
            # An action enters when its intervention flag is known (the Bool follows it).
            events.append((a[0], seq, 'action', (a[1], a[2], a[3], a[4])))
            seq += 1
    else:
        st._action_times = np.array([a[0] for a in st.actions], np.int64)
    for log_us, info in st.steps:
        events.append((log_us, seq, 'step', info))
        seq += 1
    events.sort(key=lambda e: (e[0], e[1]))
    if not cfg.topics.detections:
        nan_det = np.full((len(obs_cfg.colors), 2), np.nan, np.float32)
    out = []
    for log_us, _, kind, payload in events:
        if kind == 'step':
            if not st.stamped_actions and payload.prev_stamp >= 0:
                a = _action_at(st, log_us)
                if a is not None:
                    out += pipe.push_action(payload.prev_stamp, a[2], a[3], a[4])
            out += pipe.push_step(payload)
            continue
        if kind == 'action':
            out += pipe.push_action(payload[0], payload[1], payload[2], payload[3])
            continue
        stamp, value = payload
        if kind == 'scan':
            out += pipe.push_scan(stamp, value)
            if not cfg.topics.odom:
                out += pipe.push_odom(stamp, (0.0, 0.0))
            if not cfg.topics.detections:
                out += pipe.push_detections(stamp, nan_det)
        elif kind == 'odom':
            out += pipe.push_odom(stamp, value)
        elif kind == 'detections':
            out += pipe.push_detections(stamp, value)
        elif kind == 'image':
            out += pipe.push_extra('image', stamp, value)
    return out


def _replay_rate_mode(
    st: _Streams,
    pipe: TransitionPipeline,
    cfg: DatasetConfig,
    obs_cfg: ObservationConfig,
    outcome: str,
    instruction: str,
) -> list:
    """Resample at ``rate_hz`` and feed the ticks through the pipeline as steps."""
    dt = round(1e6 / cfg.rate_hz)
    tol = round(cfg.tolerance_s * 1e6)
    roles = [r for r in ('scan', 'odom', 'detections', 'image') if r in st.sensor]
    if not roles or not st.actions:
        return []
    stamps = {r: np.array([s for _, s, _ in st.sensor[r]], np.int64) for r in roles}
    t0 = max(int(s[0]) for s in stamps.values())
    t1 = min(int(s[-1]) for s in stamps.values()) + tol
    if t1 < t0:
        return []
    ticks = np.arange(t0, t1 + 1, dt, dtype=np.int64)
    valid = np.ones(ticks.size, bool)
    pick = {}
    for r in roles:
        i = np.searchsorted(stamps[r], ticks, 'right') - 1
        ok = i >= 0
        ok[ok] = ticks[ok] - stamps[r][i[ok]] <= tol
        valid &= ok
        pick[r] = i
    # Command in force: TwistStamped by its stamp, Twist by log time (stamp == log time).
    a_time = np.array([a[1] for a in st.actions], np.int64)
    order = np.argsort(a_time, kind='stable')
    a_time = a_time[order]
    ai = np.searchsorted(a_time, ticks, 'right') - 1
    valid &= ai >= 0
    idx = np.flatnonzero(valid)
    if idx.size < 2:
        return []
    rewards = None
    if st.steps:
        s_stamp = np.array([i.stamp for _, i in st.steps], np.int64)
        s_rew = np.array([i.reward for _, i in st.steps], np.float64)
        csum = np.concatenate([[0.0], np.cumsum(s_rew)])

        def rewards(a, b):  # noqa: F811 -- replaces the None above when steps exist
            return float(
                csum[np.searchsorted(s_stamp, b, 'right')]
                - csum[np.searchsorted(s_stamp, a, 'right')]
            )

    nan_det = np.full((len(obs_cfg.colors), 2), np.nan, np.float32)
    terminal = outcome in ('success', 'failure')
    out, prev_k = [], -2
    last_k = int(idx[-1])
    for n, k in enumerate(idx.tolist()):
        tick = int(ticks[k])
        for r in roles:
            value = st.sensor[r][int(pick[r][k])][2]
            if r == 'scan':
                out += pipe.push_scan(tick, value)
            elif r == 'odom':
                out += pipe.push_odom(tick, value)
            elif r == 'detections':
                out += pipe.push_detections(tick, value)
            else:
                out += pipe.push_extra('image', tick, value)
        if 'odom' not in roles:
            out += pipe.push_odom(tick, (0.0, 0.0))
        if 'detections' not in roles:
            out += pipe.push_detections(tick, nan_det)
        a = st.actions[int(order[ai[k]])]
        out += pipe.push_action(tick, a[2], a[3], a[4])
        prev = int(ticks[prev_k]) if prev_k == k - 1 else -1
        end = k == last_k
        reward = rewards(prev, tick) if (rewards is not None and prev >= 0) else 0.0
        out += pipe.push_step(
            StepInfo(
                tick,
                prev,
                reward,
                end and terminal,
                end and not terminal,
                outcome if end else 'running',
                0,
                n,
                float('nan'),
                instruction,
            )
        )
        prev_k = k
    return out


def decode_bag(
    path: Path, cfg: DatasetConfig, obs_cfg: ObservationConfig, act_cfg: ActionConfig
) -> tuple[dict[str, np.ndarray], dict]:
    """One episode bag -> (episode-local arrays, meta) through the transition pipeline.

    Frame arrays as :attr:`BagDataset.frames` (indices local to the episode, no
    ``instruction``/``episode``), transition arrays as :attr:`BagDataset.transitions`;
    meta: ``instruction``, ``outcome``, ``format``, ``custom``, ``problems`` (lines).

    Raises:
        BagError: the bag cannot give any transition (one line: bag, topic, problem).
    """
    problems: list[str] = []
    try:
        if not (path / 'metadata.yaml').exists():
            raise _Skip(
                'no metadata.yaml (recording crashed or still running; '
                '`robot-learning bag reindex DIR` recovers a crashed one, outcome crashed)'
            )
        try:
            custom = read_custom(path)
        except BagError as exc:
            raise _Skip(_one_line(exc)) from None
        st = _read_bag(path, cfg, obs_cfg, problems)
        _gap_problems(st, cfg, problems)
        instruction = custom.get('instruction') or (st.instructions[-1] if st.instructions else '')
        if not instruction and st.steps:
            instruction = st.steps[-1][1].instruction
        outcome = custom.get('outcome', 'unknown')
        pipe = TransitionPipeline(
            obs_cfg,
            act_cfg,
            round(cfg.tolerance_s * 1e6),
            extra_streams=('image',) if cfg.images else (),
            raw=True,
        )
        pipe.push_instruction(instruction)
        if cfg.rate_hz > 0:
            trans = _replay_rate_mode(st, pipe, cfg, obs_cfg, outcome, instruction)
        else:
            trans = _replay_episode_mode(st, pipe, cfg, obs_cfg)
        for why, n in pipe.dropped.items():
            problems.append(f'{n} transition(s) dropped: {why.replace("_", " ")}')
        if not trans:
            counts = {r: len(v) for r, v in st.sensor.items()}
            counts.update(action=len(st.actions), episode=len(st.steps))
            names = {r: getattr(cfg.topics, r) for r in counts}
            raise _Skip(
                'empty episode, no transition (messages: '
                + ', '.join(f'{names[r] or r} {n}' for r, n in counts.items() if names[r] or n)
                + ')'
            )
    except _Skip as exc:
        raise BagError(f'bag {path}: {exc}; bag skipped') from None
    return _episode_arrays(trans, cfg, obs_cfg, instruction, pipe.encoded), {
        'instruction': instruction,
        'outcome': outcome,
        'format': _storage_format(path),
        'custom': custom,
        'problems': [f'bag {path}: {p}' for p in problems],
    }


def _episode_arrays(
    trans: list, cfg: DatasetConfig, obs_cfg: ObservationConfig, instruction: str, encoded: dict
) -> dict[str, np.ndarray]:
    frames: dict[int, Any] = {}
    for t in trans:
        frames[t.observation.stamp] = t.observation
        frames[t.next_observation.stamp] = t.next_observation
    stamps = sorted(frames)
    index = {s: i for i, s in enumerate(stamps)}
    n = len(stamps)
    raws = [
        frames[s].raw if isinstance(frames[s], SyncedObservation) else frames[s] for s in stamps
    ]
    out = {
        'sectors': np.stack([r.sectors for r in raws]).astype(np.float32),
        'detections': np.stack(
            [np.asarray(r.detections, np.float32).reshape(-1, 2) for r in raws]
        ),
        'velocity': np.array([r.velocity for r in raws], np.float32).reshape(n, 2),
        'observation': np.stack(
            [
                (
                    encoded[(s, instruction)]
                    if (s, instruction) in encoded
                    else encode_observation(
                        r.sectors, r.detections, r.velocity, instruction, obs_cfg
                    )
                )
                for s, r in zip(stamps, raws)
            ]
        ),
        'prev': np.maximum(np.arange(n, dtype=np.int64) - 1, 0),
        'stamp': np.array(stamps, np.int64),
    }
    if cfg.images:
        out['image'] = np.stack([frames[s].extras['image'] for s in stamps]).astype(np.uint8)
    trans = sorted(trans, key=lambda t: t.observation.stamp)
    out.update(
        {
            't_obs': np.array([index[t.observation.stamp] for t in trans], np.int64),
            't_next_obs': np.array([index[t.next_observation.stamp] for t in trans], np.int64),
            't_action': np.stack([t.action for t in trans]).astype(np.float32).reshape(-1, 2),
            't_reward': np.array([t.reward for t in trans], np.float32),
            't_terminated': np.array([t.terminated for t in trans], bool),
            't_truncated': np.array([t.truncated for t in trans], bool),
            't_intervention': np.array([t.intervention for t in trans], bool),
        }
    )
    return out


def _one_line(exc: BaseException) -> str:
    text = ' '.join(str(exc).split()) or type(exc).__name__
    return text if len(text) < 300 else text[:297] + '...'


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
        arrays, meta = {}, {'error': _one_line(exc)}
    except Exception as exc:  # noqa: BLE001 -- any decoder surprise skips one bag only
        arrays, meta = {}, {
            'error': f'bag {path}: {type(exc).__name__}: {_one_line(exc)}; bag skipped'
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
            f'bag {path}: cache entry not written: {_one_line(exc)}'
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
                    'error': f'bag {d}: cannot list its files: {_one_line(exc)}; bag skipped'
                }
                continue
            meta = _read_meta(cache / 'episodes' / keys[i])
            if meta is not None:
                metas[i] = meta
                continue
            if cfg.outcomes and (d / 'metadata.yaml').exists():
                try:  # do not decode bags the selection drops anyway
                    outcome = read_custom(d).get('outcome', 'unknown')
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
                    f'parallel decoding failed ({_one_line(exc) or type(exc).__name__}): decoding '
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
                names = [(k, nf[-1]) for k in _FRAME_KEYS] + [
                    (f't_{k}', nt[-1]) for k in _TRANSITION_KEYS
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
        frames = _load_arrays(set_dir, _FRAME_KEYS)
        transitions = {k: np.load(set_dir / f't_{k}.npy', mmap_mode='r') for k in _TRANSITION_KEYS}
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
            t = t[np.asarray(self.dataset.transitions['intervention'])[t]]
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
        n_val = round(val_fraction * n)
        if val_fraction > 0 and n >= 2:
            n_val = min(max(n_val, 1), n - 1)
        perm = np.random.default_rng(seed).permutation(ids)
        return self._subset(np.sort(perm[n_val:])), self._subset(np.sort(perm[:n_val]))

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
