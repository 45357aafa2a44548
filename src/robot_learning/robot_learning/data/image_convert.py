# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 robot_learning maintainers
"""Camera message -> numpy conversion: ``sensor_msgs/Image`` and ``CompressedImage`` (ROS-free).

Every function takes either plain fields or a duck-typed message object: an rclpy
message (``uint8[]`` fields are ``array.array``/``bytes``), a ``rosbags`` deserialized
message (``np.ndarray`` fields) or any object with the same attribute names.

Row ``r`` of an Image starts at byte ``r * step``; only the first
``width * channels * itemsize`` bytes of a row are pixels (the rest is padding);
multi-byte encodings honour ``is_bigendian``. Output is always ``uint8 (H, W, 3)`` RGB.
Depth follows REP-118: ``16UC1`` is millimetres, ``32FC1`` metres, 0 or NaN is "no
measurement", +inf "too far", -inf "too close".

Every malformed input raises :class:`~robot_learning.errors.MessageError` whose message
is one line saying what is wrong.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from robot_learning.errors import ConfigError, MessageError

__all__ = [
    'DEFAULT_DEPTH_RANGE',
    'IMAGE_ENCODINGS',
    'as_u8',
    'rows_u8',
    'compressed_msg_to_rgb',
    'compressed_to_rgb',
    'depth_to_u8',
    'image_msg_to_rgb',
    'image_to_array',
    'image_to_rgb',
    'resize_rgb',
]

#: Depth (metres) mapped to 255 (``depth_range[0]``, near) ... 0 (``depth_range[1]``, far).
DEFAULT_DEPTH_RANGE: tuple[float, float] = (0.0, 10.0)

#: encoding -> (numpy dtype string without byte order, channels, kind).
#: kind: 'rgb', 'bgr', 'rgba', 'bgra', 'mono', 'depth_mm', 'depth_m'.
IMAGE_ENCODINGS: dict[str, tuple[str, int, str]] = {
    'rgb8': ('u1', 3, 'rgb'),
    'bgr8': ('u1', 3, 'bgr'),
    'rgba8': ('u1', 4, 'rgba'),
    'bgra8': ('u1', 4, 'bgra'),
    'mono8': ('u1', 1, 'mono'),
    '8UC1': ('u1', 1, 'mono'),
    '16UC1': ('u2', 1, 'depth_mm'),
    '32FC1': ('f4', 1, 'depth_m'),
}


def as_u8(data: Any) -> np.ndarray:
    """Return a zero-copy 1-D uint8 view of a byte buffer.

    Accepts bytes, bytearray, memoryview, array.array, ndarray or a list of ints.

    Raises:
        MessageError: ``data`` is not a byte buffer.
    """
    if isinstance(data, np.ndarray):
        if data.dtype == np.uint8 and data.ndim == 1:
            return data
        return np.ascontiguousarray(data).reshape(-1).view(np.uint8)
    if isinstance(data, (list, tuple)):
        return np.asarray(data, dtype=np.uint8)
    try:
        return np.frombuffer(data, dtype=np.uint8)
    except (TypeError, ValueError) as exc:
        raise MessageError(
            f'message data of type {type(data).__name__} is not a byte ' f'buffer: {exc}'
        ) from None


def rows_u8(data: Any, step: int, height: int, what: str, step_name: str) -> np.ndarray:
    """Return ``data`` (``height`` rows of ``step`` bytes) as a 1-D uint8 view (:func:`as_u8`).

    Args:
        data: the message's ``data`` field.
        step: bytes per row (``Image.step``, ``PointCloud2.row_step``).
        height: rows.
        what: the message type, for the error (``'Image'``).
        step_name: the name of the step field, for the error.

    Raises:
        MessageError: ``data`` is not a byte buffer of ``step * height`` bytes.
    """
    buf = as_u8(data)
    if buf.size != step * height:
        raise MessageError(
            f'{what} data has {buf.size} bytes, expected {step * height} '
            f'({step_name} {step} x height {height})'
        )
    return buf


def _bgr_to_rgb(arr: np.ndarray) -> np.ndarray:
    """Convert (H, W, 3|4) uint8 BGR(A) to contiguous (H, W, 3) RGB.

    cv2 is ~5x faster than a negative-stride numpy copy.
    """
    import cv2

    code = cv2.COLOR_BGR2RGB if arr.shape[2] == 3 else cv2.COLOR_BGRA2RGB
    return cv2.cvtColor(np.ascontiguousarray(arr), code)


def image_to_array(
    data: Any, height: int, width: int, encoding: str, step: int, is_bigendian: bool | int = False
) -> np.ndarray:
    """Decode raw ``sensor_msgs/Image`` fields into a native-endian array.

    Args:
        data: pixel bytes (``bytes``, ``array.array('B')``, ``np.ndarray`` uint8).
        height: rows.
        width: columns.
        encoding: one of :data:`IMAGE_ENCODINGS` (ROS ``sensor_msgs/image_encodings``).
        step: bytes per row including padding (``>= width * channels * itemsize``).
        is_bigendian: byte order of multi-byte pixel values.

    Returns:
        ``(height, width, channels)`` array of dtype uint8, uint16 or float32 (native
        byte order). It may be a view of ``data``.

    Raises:
        MessageError: unknown encoding, zero/negative size, ``step`` too small, or
            ``len(data) != step * height``.
    """
    spec = IMAGE_ENCODINGS.get(encoding)
    if spec is None:
        raise MessageError(
            f'Image encoding {encoding!r} is not supported '
            f'(expected one of {", ".join(IMAGE_ENCODINGS)})'
        )
    dtype_s, channels, _ = spec
    height, width, step = int(height), int(width), int(step)
    if height <= 0 or width <= 0:
        raise MessageError(f'Image size {width}x{height} is empty')
    itemsize = int(dtype_s[1])
    row_bytes = width * channels * itemsize
    if step < row_bytes:
        raise MessageError(
            f'Image step {step} is smaller than width {width} x {channels} '
            f'channel(s) x {itemsize} byte(s) = {row_bytes}'
        )
    buf = rows_u8(data, step, height, 'Image', 'step')
    rows = buf.reshape(height, step)
    if step != row_bytes:
        rows = rows[:, :row_bytes]
    if itemsize == 1:
        return rows.reshape(height, width, channels)
    dtype = np.dtype(('>' if is_bigendian else '<') + dtype_s)
    arr = np.ascontiguousarray(rows).view(dtype).reshape(height, width, channels)
    return arr.astype(dtype.newbyteorder('='), copy=False)


def depth_to_u8(
    depth_m: np.ndarray, depth_range: tuple[float, float] = DEFAULT_DEPTH_RANGE
) -> np.ndarray:
    """Map depth in metres to uint8 intensity: near is bright, far / no data is dark.

    ``depth_range[0]`` (and closer, and -inf "too close") -> 255, ``depth_range[1]``
    (and farther, +inf, NaN and 0 "no measurement", REP-118) -> 0, linear in between.

    Args:
        depth_m: float array of depths in metres, any shape.
        depth_range: ``(near, far)`` in metres, ``far > near >= 0``.

    Returns:
        uint8 array of the same shape.

    Raises:
        ConfigError: invalid ``depth_range``.
    """
    near, far = float(depth_range[0]), float(depth_range[1])
    if not (math.isfinite(near) and math.isfinite(far) and far > near >= 0.0):
        raise ConfigError(f'depth_range {depth_range!r} must be finite with far > near >= 0')
    d = np.asarray(depth_m, dtype=np.float32)
    invalid = np.isnan(d) | (d == 0.0)
    scaled = (far - d) * np.float32(255.0 / (far - near))
    np.clip(scaled, 0.0, 255.0, out=scaled)  # +-inf land on 0 / 255
    scaled[invalid] = 0.0
    return (scaled + 0.5).astype(np.uint8)


def image_to_rgb(
    data: Any,
    height: int,
    width: int,
    encoding: str,
    step: int,
    is_bigendian: bool | int = False,
    depth_range: tuple[float, float] = DEFAULT_DEPTH_RANGE,
) -> np.ndarray:
    """Decode raw ``sensor_msgs/Image`` fields to an RGB image.

    rgb8/bgr8/rgba8/bgra8 keep their colours (alpha dropped); mono8 is replicated to
    three channels; depth (16UC1 mm, 32FC1 m) goes through :func:`depth_to_u8` and is
    replicated.

    Returns:
        C-contiguous ``uint8 (height, width, 3)`` RGB array; for unpadded rgb8 input it
        is a view of ``data`` (read-only when ``data`` is ``bytes``): copy before writing.

    Raises:
        MessageError: see :func:`image_to_array`.
    """
    arr = image_to_array(data, height, width, encoding, step, is_bigendian)
    kind = IMAGE_ENCODINGS[encoding][2]
    if kind == 'rgb':
        return np.ascontiguousarray(arr)
    if kind in ('bgr', 'bgra'):
        return _bgr_to_rgb(arr)
    if kind == 'rgba':
        return np.ascontiguousarray(arr[:, :, :3])
    if kind == 'mono':
        gray = arr[:, :, 0]
    elif kind == 'depth_mm':
        gray = depth_to_u8(arr[:, :, 0].astype(np.float32) * np.float32(0.001), depth_range)
    else:  # depth_m
        gray = depth_to_u8(arr[:, :, 0], depth_range)
    return np.repeat(gray[:, :, None], 3, axis=2)


def image_msg_to_rgb(
    msg: Any, depth_range: tuple[float, float] = DEFAULT_DEPTH_RANGE
) -> np.ndarray:
    """``sensor_msgs/Image`` (rclpy or rosbags object) -> ``uint8 (H, W, 3)`` RGB.

    Raises:
        MessageError: malformed message (see :func:`image_to_array`).
    """
    return image_to_rgb(
        msg.data, msg.height, msg.width, msg.encoding, msg.step, msg.is_bigendian, depth_range
    )


def compressed_to_rgb(
    data: Any, fmt: str, depth_range: tuple[float, float] = DEFAULT_DEPTH_RANGE
) -> np.ndarray:
    """Decode ``sensor_msgs/CompressedImage`` bytes (jpeg or png) to RGB with Pillow.

    ``fmt`` is the message's ``format`` field as written by image_transport, e.g.
    ``'jpeg'``, ``'png'``, ``'rgb8; jpeg compressed bgr8'``. The decoder itself detects
    the container from the bytes. A 16-bit single-channel png whose original encoding is
    ``16UC1`` is treated as depth in mm; other 16-bit images are scaled to 8 bits.
    ``compressedDepth`` (image_transport's depth plugin) is not supported.

    Pillow rather than ``cv2.imdecode``: the libpng/libjpeg bundled with OpenCV print a
    line on stderr for every broken image (``libpng error: IDAT: CRC error``, ``Corrupt
    JPEG data``), which no OpenCV log level silences, so a flood of broken images floods
    the log; Pillow raises instead and prints nothing.

    Returns:
        C-contiguous ``uint8 (H, W, 3)`` RGB array.

    Raises:
        MessageError: empty data, compressedDepth format or undecodable bytes.
    """
    buf = as_u8(data)
    fmt = str(fmt)
    if 'compresseddepth' in fmt.lower():
        raise MessageError(f'CompressedImage format {fmt!r} (compressedDepth) is not supported')
    if buf.size == 0:
        raise MessageError(f'CompressedImage ({fmt!r}) has no data')
    img = _decode_image(buf, fmt)
    if img.dtype == np.uint16:
        if img.ndim == 2 and fmt.split(';')[0].strip() == '16UC1':
            gray = depth_to_u8(img.astype(np.float32) * np.float32(0.001), depth_range)
            return np.repeat(gray[:, :, None], 3, axis=2)
        img = (img >> 8).astype(np.uint8)
    elif img.dtype != np.uint8:
        raise MessageError(f'CompressedImage ({fmt!r}) decodes to unsupported dtype {img.dtype}')
    if img.ndim == 2:
        return np.repeat(img[:, :, None], 3, axis=2)
    if img.shape[2] == 3:
        return np.ascontiguousarray(img)
    raise MessageError(f'CompressedImage ({fmt!r}) decodes to {img.shape[2]} channels')


def _decode_image(buf: np.ndarray, fmt: str) -> np.ndarray:
    """Jpeg/png bytes -> ``uint8 (H, W, 3)``, ``uint8 (H, W)`` or ``uint16 (H, W)``.

    Raises:
        MessageError: the bytes are not a complete, valid jpeg or png.
    """
    import io

    from PIL import Image as PILImage

    try:
        with PILImage.open(io.BytesIO(buf.tobytes()), formats=('PNG', 'JPEG')) as im:
            im.load()
            if im.mode in ('I;16', 'I;16B', 'I;16L', 'I'):
                arr = np.asarray(im)
                return arr.astype(np.uint16) if arr.dtype != np.uint16 else arr
            if im.mode == 'L':
                return np.asarray(im)
            return np.asarray(im if im.mode == 'RGB' else im.convert('RGB'))
    except Exception as exc:  # noqa: BLE001 (Pillow raises OSError, SyntaxError, ValueError...)
        # Broken input is a message error whatever the decoder's exception class.
        raise MessageError(
            f'CompressedImage ({fmt!r}) of {buf.size} bytes cannot be decoded as jpeg or '
            f'png: {exc}'
        ) from None


def compressed_msg_to_rgb(
    msg: Any, depth_range: tuple[float, float] = DEFAULT_DEPTH_RANGE
) -> np.ndarray:
    """``sensor_msgs/CompressedImage`` object -> ``uint8 (H, W, 3)`` RGB.

    Raises:
        MessageError: see :func:`compressed_to_rgb`.
    """
    return compressed_to_rgb(msg.data, msg.format, depth_range)


def resize_rgb(img: np.ndarray, width: int, height: int) -> np.ndarray:
    """Resize an ``(H, W, C)`` image to ``(height, width, C)`` with ``cv2.INTER_AREA``.

    INTER_AREA averages source pixels (no aliasing) when shrinking. The input is
    returned unchanged when it already has the requested size.

    Raises:
        ConfigError: non-positive ``width`` or ``height``.
    """
    import cv2

    width, height = int(width), int(height)
    if width <= 0 or height <= 0:
        raise ConfigError(f'resize target {width}x{height} must be positive')
    if img.shape[0] == height and img.shape[1] == width:
        return img
    out = cv2.resize(np.ascontiguousarray(img), (width, height), interpolation=cv2.INTER_AREA)
    if out.ndim == 2:  # cv2 drops a singleton channel axis
        out = out[:, :, None]
    return out
