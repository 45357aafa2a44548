# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 robot_learning maintainers
"""LiDAR message -> numpy conversion: ``LaserScan`` and ``PointCloud2`` to sectors (ROS-free).

Every function takes either plain fields or a duck-typed message object (rclpy, rosbags
or anything with the same attribute names); ``float32[]`` fields may be
``array.array`` or ``np.ndarray``.

``sensor_msgs/LaserScan`` follows REP-117: NaN is an invalid measurement (ignored),
+inf "no return within range" (treated as ``range_max``), -inf "too close" (treated as
``range_min``); finite values outside ``[range_min, range_max]`` are treated like the
matching infinity. Angles are REP-103 (x forward, y left, counter-clockwise positive,
radians).

A malformed scan or cloud (lengths that disagree, no float32 x, y, z fields) raises
:class:`~robot_learning.errors.MessageError`, one line naming the field.
"""

from __future__ import annotations

from functools import lru_cache
import math
from typing import Any, Sequence

import numpy as np
from robot_learning.data.image_convert import rows_u8
from robot_learning.errors import ConfigError, MessageError

__all__ = [
    'ANGLE_TOL',
    'pointcloud_msg_to_xyz',
    'pointcloud_to_xyz',
    'points_to_sectors',
    'scan_all_invalid',
    'scan_msg_to_sectors',
    'scan_to_sectors',
    'sector_angles',
]

# PointField.datatype constants (sensor_msgs/PointField).
# PointField.datatype constants (sensor_msgs/PointField).
_POINTFIELD_FLOAT32 = 7
_POINTFIELD_NAMES = {
    1: 'INT8',
    2: 'UINT8',
    3: 'INT16',
    4: 'UINT16',
    5: 'INT32',
    6: 'UINT32',
    7: 'FLOAT32',
    8: 'FLOAT64',
}


def _as_f32(values: Any) -> np.ndarray:
    """1-D float32 array from array.array('f') / ndarray / sequence (no copy when possible)."""
    if isinstance(values, np.ndarray):
        return values.astype(np.float32, copy=False).reshape(-1)
    if getattr(values, 'typecode', None) == 'f':  # array.array('f')
        return np.frombuffer(values, dtype=np.float32)
    return np.asarray(values, dtype=np.float32).reshape(-1)


# --------------------------------------------------------------------------- LiDAR


def sector_angles(
    num_sectors: int, fov_min: float = -math.pi, fov_max: float = math.pi
) -> tuple[float, float]:
    """``(angle_min, angle_increment)`` describing sectors as LaserScan rays.

    Sector ``k`` covers ``[angle_min + k * inc, angle_min + (k + 1) * inc)``.
    """
    return float(fov_min), (float(fov_max) - float(fov_min)) / int(num_sectors)


def _check_sector_args(
    num_sectors: int, range_min: float, range_max: float, fov_min: float, fov_max: float
) -> None:
    if int(num_sectors) < 1:
        raise ConfigError(f'num_sectors {num_sectors} must be >= 1')
    if not (math.isfinite(fov_min) and math.isfinite(fov_max) and fov_max > fov_min):
        raise ConfigError(f'field of view [{fov_min}, {fov_max}] must be finite and non-empty')
    if not (
        math.isfinite(range_min) and math.isfinite(range_max) and range_max > range_min >= 0.0
    ):
        raise MessageError(
            f'range limits [{range_min}, {range_max}] must be finite with '
            f'range_max > range_min >= 0'
        )


#: Angles within this tolerance (rad) below a sector boundary count as on it: LaserScan
#: angles are float32, so a ray meant to open a sector (e.g. the first ray at -pi) sits
#: up to ~1e-6 rad before it.
ANGLE_TOL = 1e-5


def _sector_index(
    angles: np.ndarray, num_sectors: int, fov_min: float, fov_max: float, tol: float
) -> tuple[np.ndarray, np.ndarray]:
    """Sector id of each angle (float64 rad) and the mask of angles inside the field of view."""
    two_pi = 2.0 * math.pi
    span = fov_max - fov_min
    rel = np.mod(angles - fov_min + tol, two_pi)
    idx = np.floor(rel / (span / num_sectors)).astype(np.int64)
    if span >= two_pi - 1e-9:
        idx %= num_sectors
        keep = np.ones(angles.shape, dtype=bool)
    else:
        keep = rel <= span + tol
        np.minimum(idx, num_sectors - 1, out=idx)
    return idx, keep


@lru_cache(maxsize=64)
def _scan_layout(
    n: int,
    angle_min: float,
    angle_increment: float,
    num_sectors: int,
    fov_min: float,
    fov_max: float,
):
    """Per-geometry index arrays for :func:`scan_to_sectors` (cached: scans rarely change).

    Returns ``(order, starts, sectors)``: rays ``order`` (sorted by sector, rays outside
    the field of view left out; ``None`` when that is every ray in order), reduceat
    offsets ``starts`` into the ordered rays, and the non-empty sector ids.
    """
    angles = angle_min + np.arange(n, dtype=np.float64) * angle_increment
    tol = min(ANGLE_TOL, 0.25 * abs(angle_increment))
    idx, keep = _sector_index(angles, num_sectors, fov_min, fov_max, tol)
    kept = np.flatnonzero(keep)
    order = kept[np.argsort(idx[kept], kind='stable')]
    sidx = idx[order]
    if order.size == 0:
        return order, np.zeros(0, np.int64), np.zeros(0, np.int64)
    starts = np.flatnonzero(np.r_[True, sidx[1:] != sidx[:-1]])
    sectors = sidx[starts]
    if order.size == n and np.array_equal(order, np.arange(n)):
        order = None
    for a in (starts, sectors):
        a.setflags(write=False)
    return order, starts, sectors


def scan_to_sectors(
    ranges: Any,
    angle_min: float,
    angle_increment: float,
    range_min: float,
    range_max: float,
    num_sectors: int,
    fov_min: float = -math.pi,
    fov_max: float = math.pi,
    discard_below_min: bool = False,
) -> np.ndarray:
    """Minimum range per angular sector of a LaserScan (REP-117 aware).

    Ray ``i`` has angle ``angle_min + i * angle_increment`` (REP-103, wrapped modulo
    2 pi); sector ``k`` covers ``[fov_min + k * w, fov_min + (k + 1) * w)`` with
    ``w = (fov_max - fov_min) / num_sectors``. Rays outside the field of view are ignored.

    Per REP-117: NaN is ignored; +inf and finite values above ``range_max`` mean "no
    return" and count as ``range_max``; -inf and finite values below ``range_min`` mean
    "too close" and count as ``range_min`` (unless ``discard_below_min``, for legacy
    drivers that publish 0 or small values for invalid rays, as the LaserScan.msg comment
    "values < range_min should be discarded" suggests). Sectors with no data get
    ``range_max``. A ray less than :data:`ANGLE_TOL` before a sector boundary belongs to
    the sector it opens (float32 angles). The index arrays are cached per scan geometry,
    so the steady-state cost is a few vectorized numpy calls (see ``bench/ingest.py``).

    Args:
        ranges: ``float32[]`` ranges in metres (array.array, ndarray or sequence).
        angle_min: angle of the first ray, rad.
        angle_increment: angle between rays, rad (negative for clockwise scans).
        range_min: minimum valid range, m.
        range_max: maximum valid range, m.
        num_sectors: number of output sectors (>= 1).
        fov_min: start of the field of view, rad.
        fov_max: end of the field of view, rad (``fov_max - fov_min <= 2 pi``).
        discard_below_min: ignore finite values below ``range_min`` instead of clamping.

    Returns:
        ``float32 (num_sectors,)`` in ``[range_min, range_max]``, always finite.

    Raises:
        MessageError: non-finite or zero ``angle_increment``/``angle_min``, or invalid
            range limits.
        ConfigError: ``num_sectors < 1`` or an empty field of view.
    """
    range_min, range_max = float(range_min), float(range_max)
    fov_min, fov_max = float(fov_min), float(fov_max)
    num_sectors = int(num_sectors)
    _check_sector_args(num_sectors, range_min, range_max, fov_min, fov_max)
    angle_min, angle_increment = float(angle_min), float(angle_increment)
    r = _as_f32(ranges)
    out = np.full(num_sectors, range_max, dtype=np.float32)
    if r.size == 0:
        return out
    if not (
        math.isfinite(angle_min) and math.isfinite(angle_increment) and angle_increment != 0.0
    ):
        raise MessageError(
            f'LaserScan angle_min {angle_min} / angle_increment '
            f'{angle_increment} must be finite, increment non-zero'
        )
    order, starts, sectors = _scan_layout(
        r.size, angle_min, angle_increment, num_sectors, fov_min, fov_max
    )
    if starts.size == 0:
        return out
    if order is not None:
        r = r[order]
    # fmin ignores NaN (-> range_max), then clamp: +-inf and out-of-range finite values.
    clean = np.fmin(r, np.float32(range_max))
    if discard_below_min:
        clean[clean < range_min] = range_max
    else:
        np.maximum(clean, np.float32(range_min), out=clean)
    out[sectors] = np.minimum.reduceat(clean, starts)
    return out


def scan_msg_to_sectors(
    msg: Any,
    num_sectors: int,
    fov_min: float = -math.pi,
    fov_max: float = math.pi,
    discard_below_min: bool = False,
) -> np.ndarray:
    """``sensor_msgs/LaserScan`` object -> sectors (see :func:`scan_to_sectors`)."""
    return scan_to_sectors(
        msg.ranges,
        msg.angle_min,
        msg.angle_increment,
        msg.range_min,
        msg.range_max,
        num_sectors,
        fov_min,
        fov_max,
        discard_below_min,
    )


def scan_all_invalid(ranges: Any) -> bool:
    """Tell whether a non-empty scan holds only NaN (REP-117 "invalid").

    The sensor is then probably broken, although :func:`scan_to_sectors` still returns a
    valid (all ``range_max``) result.
    """
    r = _as_f32(ranges)
    return bool(r.size) and bool(np.isnan(r).all())


# --------------------------------------------------------------------------- point clouds


def pointcloud_to_xyz(
    data: Any,
    fields: Sequence[Any],
    point_step: int,
    row_step: int,
    width: int,
    height: int,
    is_bigendian: bool | int = False,
) -> np.ndarray:
    """Extract float32 x, y, z from raw ``sensor_msgs/PointCloud2`` fields.

    Any layout works: other fields, padding, any order or offsets of x/y/z, rows padded
    to ``row_step``. Extraction uses a numpy structured dtype (no per-point Python loop).
    Invalid points (NaN) are kept; :func:`points_to_sectors` drops them.

    Args:
        data: point bytes, ``len(data) == row_step * height``.
        fields: ``sensor_msgs/PointField``-like objects (``name``, ``offset``,
            ``datatype``, ``count``).
        point_step: bytes per point.
        row_step: bytes per row (``>= point_step * width``).
        width: points per row.
        height: rows (1 for unorganized clouds).
        is_bigendian: byte order of the values.

    Returns:
        ``float32 (width * height, 3)`` array of x, y, z in the cloud's frame (m).

    Raises:
        MessageError: x, y or z missing or not FLOAT32, a field beyond ``point_step``,
            inconsistent steps or data length.
    """
    point_step, row_step = int(point_step), int(row_step)
    width, height = int(width), int(height)
    if width < 0 or height < 0 or point_step <= 0:
        raise MessageError(
            f'PointCloud2 size {width}x{height} / point_step {point_step} ' f'is invalid'
        )
    offsets = {}
    by_name = {f.name: f for f in fields}
    for name in ('x', 'y', 'z'):
        f = by_name.get(name)
        if f is None:
            raise MessageError(
                f'PointCloud2 has no {name!r} field (fields: '
                f'{", ".join(repr(g.name) for g in fields) or "none"})'
            )
        if int(f.datatype) != _POINTFIELD_FLOAT32:
            raise MessageError(
                f'PointCloud2 field {name!r} is '
                f'{_POINTFIELD_NAMES.get(int(f.datatype), f.datatype)}, '
                f'expected FLOAT32'
            )
        off = int(f.offset)
        if off < 0 or off + 4 > point_step:
            raise MessageError(
                f'PointCloud2 field {name!r} at offset {off} does not fit in '
                f'point_step {point_step}'
            )
        offsets[name] = off
    n = width * height
    if n == 0:
        return np.zeros((0, 3), dtype=np.float32)
    if row_step < point_step * width:
        raise MessageError(
            f'PointCloud2 row_step {row_step} is smaller than point_step '
            f'{point_step} x width {width}'
        )
    buf = rows_u8(data, row_step, height, 'PointCloud2', 'row_step')
    if row_step != point_step * width:
        buf = np.ascontiguousarray(buf.reshape(height, row_step)[:, : point_step * width])
        buf = buf.reshape(-1)
    f4 = ('>' if is_bigendian else '<') + 'f4'
    dtype = np.dtype(
        {
            'names': ['x', 'y', 'z'],
            'formats': [f4, f4, f4],
            'offsets': [offsets['x'], offsets['y'], offsets['z']],
            'itemsize': point_step,
        }
    )
    pts = buf.view(dtype) if buf.flags.c_contiguous else np.frombuffer(buf.tobytes(), dtype)
    out = np.empty((n, 3), dtype=np.float32)
    out[:, 0] = pts['x']
    out[:, 1] = pts['y']
    out[:, 2] = pts['z']
    return out


def pointcloud_msg_to_xyz(msg: Any) -> np.ndarray:
    """``sensor_msgs/PointCloud2`` object -> ``float32 (N, 3)`` (see :func:`pointcloud_to_xyz`)."""
    return pointcloud_to_xyz(
        msg.data, msg.fields, msg.point_step, msg.row_step, msg.width, msg.height, msg.is_bigendian
    )


def points_to_sectors(
    xyz: np.ndarray,
    num_sectors: int,
    range_min: float,
    range_max: float,
    z_min: float,
    z_max: float,
    fov_min: float = -math.pi,
    fov_max: float = math.pi,
) -> np.ndarray:
    """Minimum planar range per angular sector of a point cloud (like pointcloud_to_laserscan).

    Points with a non-finite coordinate, ``z`` outside ``[z_min, z_max]`` or planar range
    ``hypot(x, y)`` outside ``[range_min, range_max]`` are dropped (points closer than
    ``range_min`` are usually the robot itself). Angle ``atan2(y, x)`` (REP-103) selects
    the sector as in :func:`scan_to_sectors`.

    Args:
        xyz: ``(N, 3)`` float points in the sensor frame, m.
        num_sectors: number of sectors.
        range_min: minimum planar range kept, m.
        range_max: maximum planar range kept, m; empty sectors get this value.
        z_min: lowest z kept, m.
        z_max: highest z kept, m.
        fov_min: start of the field of view, rad.
        fov_max: end of the field of view, rad.

    Returns:
        ``float32 (num_sectors,)`` in ``[range_min, range_max]``, always finite.

    Raises:
        MessageError: ``xyz`` is not ``(N, 3)``; invalid range limits.
        ConfigError: ``num_sectors < 1``, empty field of view or ``z_max < z_min``.
    """
    range_min, range_max = float(range_min), float(range_max)
    fov_min, fov_max = float(fov_min), float(fov_max)
    num_sectors = int(num_sectors)
    _check_sector_args(num_sectors, range_min, range_max, fov_min, fov_max)
    if not z_max >= z_min:
        raise ConfigError(f'z_max {z_max} must be >= z_min {z_min}')
    xyz = np.asarray(xyz, dtype=np.float32)
    if xyz.ndim != 2 or xyz.shape[1] != 3:
        raise MessageError(f'points have shape {xyz.shape}, expected (N, 3)')
    out = np.full(num_sectors, range_max, dtype=np.float32)
    # float64 geometry: points on a sector boundary land in the sector they open.
    x, y, z = (xyz[:, i].astype(np.float64) for i in range(3))
    r = np.hypot(x, y)
    # NaN compares False everywhere, so this also drops non-finite points.
    keep = (z >= z_min) & (z <= z_max) & (r >= range_min) & (r <= range_max)
    if not keep.any():
        return out
    r = r[keep]
    idx, inside = _sector_index(np.arctan2(y[keep], x[keep]), num_sectors, fov_min, fov_max, 1e-9)
    if not inside.all():
        idx, r = idx[inside], r[inside]
    np.minimum.at(out, idx, r.astype(np.float32))
    return out
