# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 robot_learning maintainers
"""Checks of camera images against what a model was trained on (one frame, a dataset).

Re-exported by :mod:`robot_learning.common.features`. No ROS, no torch.
"""

from __future__ import annotations

import numpy as np
from robot_learning.errors import ConfigError, MessageError

__all__ = ['check_camera_image', 'dataset_images']


def check_camera_image(image, width: int, height: int, who: str) -> np.ndarray:
    """Return ``image`` as the uint8 (height, width, 3) RGB array a camera model needs.

    The image is never resized here: a size other than the model's means camera_ingest
    runs with other settings, which the message says how to fix.

    Args:
        image: the ``observation/image`` frame (camera_ingest output), or None.
        width, height: what the model was trained on, px.
        who: the model, for the message (``'this BC policy'``, ``'the reward classifier'``).

    Raises:
        MessageError: no image, or another shape or dtype.
    """
    if image is None:
        raise MessageError(f'{who} needs a camera image: start camera_ingest')
    img = np.asarray(image)
    want = (height, width, 3)
    if img.shape != want or img.dtype != np.uint8:
        raise MessageError(
            f'image is {img.dtype} {img.shape}, {who} needs uint8 {want}: set camera_ingest '
            f'width={width} height={height}'
        )
    return img


def dataset_images(frames, width: int, height: int, missing: str, who: str) -> np.ndarray:
    """Return a dataset's ``frames['image']``, checked against a model's image size.

    Args:
        frames: the dataset's frame columns (``BagDataset.frames``).
        width, height: the model's image size, px.
        missing: the message when the frames have no images (what to record or set).
        who: the model, for the size message (``'BCConfig'``, ``'the encoder'``).

    Returns:
        uint8 (N, height, width, 3) RGB.

    Raises:
        ConfigError: no images, or images of another size.
    """
    if 'image' not in frames:
        raise ConfigError(missing)
    images = frames['image']
    shape = tuple(images.shape[1:])
    if shape != (height, width, 3):
        raise ConfigError(
            f'dataset images are {shape[1]}x{shape[0]}, {who} wants {width}x{height}: set '
            'image_width/height to the recorded size (camera_ingest, --dataset-config)'
        )
    return images
