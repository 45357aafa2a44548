# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 robot_learning maintainers
"""How bags become a dataset: topic names, sampling, image size, outcomes (ROS-free).

:class:`DatasetConfig` is what ``robot-learning train --dataset-config`` reads;
:class:`EpisodeInfo` describes one episode of a built
:class:`~robot_learning.data.bagdataset.BagDataset`.
"""

from __future__ import annotations

from collections.abc import Mapping
import dataclasses
from dataclasses import dataclass, field
import math
from pathlib import Path
from typing import Any

from robot_learning.errors import ConfigError

__all__ = ['DatasetConfig', 'DatasetTopics', 'EpisodeInfo']


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
    def from_yaml(cls, path: str | Path, **defaults: Any) -> DatasetConfig:
        """From a YAML file (the user's ``--dataset-config``), keys as :meth:`from_dict`.

        ``defaults`` are fields the file may leave out (the file's values win), e.g.
        ``image_size=(0, 0)`` where the caller sets the size itself.

        Raises:
            ConfigError: unreadable file, bad YAML, unknown keys or bad values.
        """
        import yaml

        try:
            doc = yaml.safe_load(Path(path).read_text('utf8'))
        except (OSError, yaml.YAMLError) as exc:
            raise ConfigError(f'dataset config {path}: {" ".join(str(exc).split())}') from None
        if doc is not None and not isinstance(doc, Mapping):
            return cls.from_dict(doc)  # names the problem
        return cls.from_dict({**defaults, **(doc or {})})


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
