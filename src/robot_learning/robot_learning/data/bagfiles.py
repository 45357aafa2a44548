# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 robot_learning maintainers
"""Bag directories on disk: finding them and reading their ``metadata.yaml`` (ROS-free).

The one bag finder (:func:`find_bag_dirs`) and the one metadata reader
(:func:`read_metadata`, :func:`read_custom_data`) of the data layer: the dataset, the
recorder, the demo and ``bag reindex`` all go through them. PyYAML's libyaml loader
reads a metadata file in well under a millisecond (ruamel, which rosbags uses, costs
about 10 ms: a tenth of decoding a 100-step episode). rosbags writes ``metadata.yaml``
with ruamel in YAML 1.2, which leaves ``yes``/``on``/``1:20`` unquoted as strings, so the
loader resolves plain scalars by the YAML 1.2 core schema, not PyYAML's 1.1 rules
(``yes`` stays the string ``'yes'``, as ruamel reads it).
"""

from __future__ import annotations

import errno
import fcntl
import os
from pathlib import Path
import re
from typing import Any, Sequence

from robot_learning.errors import BagError, one_line
import yaml

__all__ = [
    'STORAGE_SUFFIXES',
    'custom_data_of',
    'find_bag_dirs',
    'load_yaml',
    'lock_bag_file',
    'read_custom_data',
    'read_metadata',
    'storage_format',
]

#: Storage file suffix -> rosbag2 storage identifier.
STORAGE_SUFFIXES = {'.mcap': 'mcap', '.db3': 'sqlite3'}


class _Yaml12Loader(getattr(yaml, 'CSafeLoader', yaml.SafeLoader)):
    """libyaml's safe loader with the YAML 1.2 core schema's plain-scalar types."""


_Yaml12Loader.yaml_implicit_resolvers = {}
for _tag, _pattern, _first in (
    ('bool', r'^(?:true|True|TRUE|false|False|FALSE)$', 'tTfF'),
    ('int', r'^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$', '-+0123456789'),
    (
        'float',
        r'^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?'
        r'|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$',
        '-+.0123456789',
    ),
    ('null', r'^(?:~|null|Null|NULL|)$', ['~', 'n', 'N', '']),
):
    _Yaml12Loader.add_implicit_resolver(
        f'tag:yaml.org,2002:{_tag}', re.compile(_pattern), list(_first)
    )


def load_yaml(text: str | bytes) -> Any:
    """Parse rosbag2 metadata YAML (a file's bytes, or the copy a storage file embeds).

    Raises:
        yaml.YAMLError: not YAML.
    """
    return yaml.load(text, Loader=_Yaml12Loader)


def custom_data_of(info: Any) -> dict[str, str]:
    """Return the ``custom_data`` of a ``rosbag2_bagfile_information`` mapping as str -> str."""
    custom = (info.get('custom_data') if isinstance(info, dict) else None) or {}
    return {str(k): str(v) for k, v in dict(custom).items()}


def storage_format(d: Path) -> str:
    """Return the storage of bag directory ``d``: ``mcap``, ``sqlite3`` or ``unknown``."""
    for f in sorted(d.iterdir()):
        if f.suffix in STORAGE_SUFFIXES:
            return STORAGE_SUFFIXES[f.suffix]
    return 'unknown'


def find_bag_dirs(paths: Sequence[str | Path]) -> list[Path]:
    """Find every rosbag2 directory at or below ``paths``, sorted.

    A bag directory holds ``metadata.yaml`` or storage files (``.mcap``/``.db3``; a
    crashed recording has no metadata). Hidden directories are work in progress (a
    reindex's temporary bag) and are left out.

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
        dirs |= {m.parent for s in STORAGE_SUFFIXES for m in p.rglob(f'*{s}')}
        dirs = {d for d in dirs if not any(x.startswith('.') for x in d.relative_to(p).parts)}
        if (p / 'metadata.yaml').exists():
            dirs.add(p)
        if not dirs:
            raise BagError(f'{p} holds no rosbag2 bag (no metadata.yaml, .mcap or .db3 below it)')
        found += sorted(dirs)
    seen: set = set()
    return [d for d in found if not (d.resolve() in seen or seen.add(d.resolve()))]


def read_metadata(path: str | Path) -> tuple[Path, dict]:
    """Read a bag directory's ``metadata.yaml``.

    Returns:
        (the file, its document); ``doc['rosbag2_bagfile_information']`` is a dict.

    Raises:
        BagError: no ``metadata.yaml`` (a crashed or running recording), or one that is
            not rosbag2 metadata (truncated, another shape).
    """
    meta = Path(path) / 'metadata.yaml'
    try:
        doc = load_yaml(meta.read_bytes())
        info = doc['rosbag2_bagfile_information']
    except FileNotFoundError:
        raise BagError(
            f'{meta} does not exist (not a closed rosbag2 bag: recording crashed or still '
            f'running)'
        ) from None
    except Exception as exc:  # noqa: BLE001 -- YAML errors, or a document of another shape
        raise BagError(
            f'cannot read {meta} (truncated or not rosbag2 metadata): {one_line(exc)}'
        ) from None
    if not isinstance(info, dict):  # a truncated file can parse to a scalar
        raise BagError(
            f'{meta} is truncated or malformed (rosbag2_bagfile_information is not a mapping)'
        )
    return meta, doc


def read_custom_data(path: str | Path) -> dict[str, str]:
    """Return the custom_data of a closed bag directory (empty dict when it has none).

    Raises:
        BagError: no readable ``metadata.yaml``.
    """
    _, doc = read_metadata(path)
    return custom_data_of(doc['rosbag2_bagfile_information'])


def lock_bag_file(path: str | Path) -> int | None:
    """Take the advisory lock that marks a bag file as being written; returns its fd.

    The recorder holds it while an episode is open; :func:`reindex_bag` takes it too, so
    it never touches a bag another process is still writing. The kernel drops it when
    the process dies (SIGKILL included).

    Returns:
        The open file descriptor holding the lock (close it to unlock), or None when
        another process holds it.

    Raises:
        BagError: the file cannot be opened.
    """
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError as exc:
        raise BagError(f'cannot open {path}: {exc.strerror or exc}') from None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError as exc:
        os.close(fd)
        if exc.errno in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
            return None
        raise BagError(f'cannot lock {path}: {exc.strerror or exc}') from None
    return fd


# ---------------------------------------------------------------------- reindex
