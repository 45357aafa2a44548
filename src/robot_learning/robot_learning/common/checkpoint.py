# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 robot_learning maintainers
"""Checkpoints: safetensors weights plus a JSON sidecar, written atomically; weight blobs.

A checkpoint is a directory::

    <path>/model.safetensors   tensors (safetensors format: loading runs no code)
    <path>/checkpoint.json     sidecar: the caller's metadata (observation and action
                               spec, normalisation, instruction vocabulary, algorithm,
                               config, ...) plus ``format_version``, ``torch_version``,
                               ``created`` (ISO 8601, UTC)

Never pickle, never ``torch.load``: a checkpoint is data only (design.md "Files").

``weights_to_bytes`` / ``bytes_to_weights`` pack tensors and a metadata dict (with an
integer ``version``) into one safetensors blob, e.g. the ``data`` of the
``policy/weights`` ``std_msgs/UInt8MultiArray`` the learner publishes
(docs/interfaces.md). safetensors metadata holds strings only, so the dict is
JSON-encoded under the key ``robot_learning``; ``version`` is also kept as its own
string key for tools that only read the header.

Nothing here imports rclpy.
"""

from __future__ import annotations

from collections.abc import Mapping
import contextlib
import datetime
import json
import os
from pathlib import Path
import shutil
import tempfile
from typing import Any

from robot_learning.errors import CheckpointError, one_line
from safetensors import SafetensorError
from safetensors.torch import load as _st_load
from safetensors.torch import load_file as _st_load_file
from safetensors.torch import save as _st_save
from safetensors.torch import save_file as _st_save_file
import torch

__all__ = [
    'ACTOR_PREFIX',
    'FORMAT_VERSION',
    'METADATA_FILE',
    'WEIGHTS_FILE',
    'bytes_to_weights',
    'check_spec',
    'load_checkpoint',
    'load_prefixed',
    'policy_metadata',
    'save_checkpoint',
    'weights_to_bytes',
]

#: Version of the checkpoint layout this module writes; a reader refuses newer ones.
FORMAT_VERSION = 1
WEIGHTS_FILE = 'model.safetensors'
METADATA_FILE = 'checkpoint.json'
_BLOB_KEY = 'robot_learning'
_MAX_HEADER = 100_000_000  # safetensors' own limit on the JSON header size


def _json_default(value: Any) -> Any:
    """Make numpy/torch values and paths JSON-serialisable (lists and Python scalars)."""
    if isinstance(value, torch.Tensor):
        return value.detach().cpu().tolist()
    if hasattr(value, 'tolist') and callable(value.tolist):  # numpy arrays and scalars
        return value.tolist()
    if isinstance(value, os.PathLike):
        return os.fspath(value)
    if isinstance(value, (set, frozenset)):
        return sorted(value)
    raise TypeError(f'{type(value).__name__} is not JSON-serialisable')


def _dumps(metadata: Mapping[str, Any], what: str, **kwargs: Any) -> str:
    if not isinstance(metadata, Mapping):
        raise CheckpointError(f'{what} metadata must be a dict, got {type(metadata).__name__}')
    try:
        return json.dumps(dict(metadata), default=_json_default, allow_nan=False, **kwargs)
    except (TypeError, ValueError) as exc:
        raise CheckpointError(
            f'{what} metadata is not JSON-serialisable: {one_line(exc)}'
        ) from None


def _prepare(tensors: Mapping[str, torch.Tensor], what: str) -> dict[str, torch.Tensor]:
    """Return detached, contiguous CPU tensors.

    Tensors sharing storage are cloned (safetensors refuses shared memory).
    """
    if not isinstance(tensors, Mapping):
        raise CheckpointError(
            f'{what} tensors must be a dict of str to Tensor, got {type(tensors).__name__}'
        )
    out: dict[str, torch.Tensor] = {}
    seen: set[int] = set()
    for key, value in tensors.items():
        if not isinstance(key, str):
            raise CheckpointError(f'{what} tensor name {key!r} is not a string')
        if not isinstance(value, torch.Tensor):
            raise CheckpointError(
                f'{what} value {key!r} is a {type(value).__name__}, not a torch.Tensor'
            )
        tensor = value.detach().to('cpu').contiguous()
        if tensor.numel():
            ptr = tensor.untyped_storage().data_ptr()
            if ptr in seen:
                tensor = tensor.clone()
            else:
                seen.add(ptr)
        out[key] = tensor
    return out


def _fsync_dir(path: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def save_checkpoint(
    path: str | os.PathLike[str], tensors: Mapping[str, torch.Tensor], metadata: Mapping[str, Any]
) -> Path:
    """Write a checkpoint directory atomically.

    Everything is written into a temporary directory next to ``path`` (same file
    system), flushed to disk, then renamed into place with ``os.replace``. An existing
    checkpoint at ``path`` is moved aside first and deleted only after the new one is
    in place, so ``path`` is at any moment either the complete old checkpoint, the
    complete new one, or (for an instant during overwrite) absent; never half written.
    If anything fails, the temporary directory is removed and ``path`` is unchanged.

    Args:
        path: checkpoint directory to create or replace (parents are created).
        tensors: name -> tensor (any device/dtype safetensors supports; saved from CPU).
        metadata: JSON-serialisable dict (numpy arrays/scalars are converted to lists and
            numbers). ``format_version``, ``torch_version`` and ``created`` are added and
            override keys of the same name.

    Returns:
        The checkpoint directory as a ``Path``.

    Raises:
        CheckpointError: bad tensors or metadata, or a file-system error (one line).
    """
    target = Path(path)
    prepared = _prepare(tensors, 'checkpoint')
    sidecar = dict(metadata) if isinstance(metadata, Mapping) else metadata
    if isinstance(sidecar, dict):
        sidecar.update(
            format_version=FORMAT_VERSION,
            torch_version=torch.__version__,
            created=datetime.datetime.now(datetime.timezone.utc).isoformat(timespec='seconds'),
        )
    text = _dumps(sidecar, 'checkpoint', indent=2)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise CheckpointError(f'cannot create {target.parent}: {one_line(exc)}') from None
    tmp = Path(tempfile.mkdtemp(prefix=f'.{target.name}.tmp-', dir=target.parent))
    old: Path | None = None
    try:
        _st_save_file(prepared, tmp / WEIGHTS_FILE, metadata={'format': 'pt'})
        with open(tmp / METADATA_FILE, 'w', encoding='utf-8') as stream:
            stream.write(text + '\n')
            stream.flush()
            os.fsync(stream.fileno())
        with open(tmp / WEIGHTS_FILE, 'rb') as stream:
            os.fsync(stream.fileno())
        _fsync_dir(tmp)
        if target.exists() or target.is_symlink():
            if not target.is_dir() or target.is_symlink():
                raise CheckpointError(
                    f'cannot save checkpoint: {target} exists and is not a directory'
                )
            old = Path(tempfile.mkdtemp(prefix=f'.{target.name}.old-', dir=target.parent))
            os.replace(target, old / 'checkpoint')
        os.replace(tmp, target)
        _fsync_dir(target.parent)
    except CheckpointError:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    except (OSError, SafetensorError, ValueError, RuntimeError) as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        raise CheckpointError(f'cannot save checkpoint {target}: {one_line(exc)}') from None
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    finally:
        if old is not None:
            if not target.exists() and (old / 'checkpoint').exists():
                # The new checkpoint did not get in place: put the previous one back.
                with contextlib.suppress(OSError):
                    os.replace(old / 'checkpoint', target)
            shutil.rmtree(old, ignore_errors=True)
    return target


def load_checkpoint(
    path: str | os.PathLike[str], device: str | torch.device = 'cpu'
) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
    """Read a checkpoint written by :func:`save_checkpoint`. Runs no code from the files.

    Args:
        path: checkpoint directory.
        device: where to put the tensors.

    Returns:
        ``(tensors, metadata)``: tensors exactly as saved (bit-identical), metadata the
        sidecar dict (including ``format_version``, ``torch_version``, ``created``).

    Raises:
        CheckpointError: one line naming the problem: the directory or a file is
            missing, ``checkpoint.json`` is not valid JSON or not an object, its
            ``format_version`` is newer than this code reads, or ``model.safetensors``
            is corrupt or truncated.
    """
    root = Path(path)
    if not root.exists():
        raise CheckpointError(f'checkpoint {root} does not exist')
    if not root.is_dir():
        raise CheckpointError(
            f'checkpoint {root} is not a directory (expected {WEIGHTS_FILE} and {METADATA_FILE} '
            'in it)'
        )
    weights, sidecar = root / WEIGHTS_FILE, root / METADATA_FILE
    for file in (weights, sidecar):
        if not file.is_file():
            raise CheckpointError(
                f'checkpoint {root} has no {file.name}: it is incomplete or not a checkpoint'
            )
    try:
        metadata = json.loads(sidecar.read_text(encoding='utf-8'))
    except json.JSONDecodeError as exc:
        raise CheckpointError(
            f'{sidecar} is not valid JSON (line {exc.lineno} column {exc.colno}): {exc.msg}'
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise CheckpointError(f'cannot read {sidecar}: {one_line(exc)}') from None
    if not isinstance(metadata, dict):
        raise CheckpointError(f'{sidecar} holds a JSON {type(metadata).__name__}, not an object')
    version = metadata.get('format_version')
    if not isinstance(version, int) or isinstance(version, bool):
        raise CheckpointError(
            f'{sidecar} has no integer format_version: not a robot_learning checkpoint'
        )
    if version > FORMAT_VERSION:
        raise CheckpointError(
            f'checkpoint {root} has format_version {version}, '
            f'this robot_learning reads up to {FORMAT_VERSION}: upgrade robot_learning'
        )
    try:
        tensors = _st_load_file(weights, device=str(device))
    except (SafetensorError, OSError, ValueError, RuntimeError) as exc:
        raise CheckpointError(f'{weights} is corrupt or truncated: {one_line(exc)}') from None
    return tensors, metadata


_MISSING = object()


def _lookup(metadata: Mapping[str, Any], key: str) -> Any:
    if key in metadata:
        return metadata[key]
    node: Any = metadata
    for part in key.split('.'):
        if not isinstance(node, Mapping) or part not in node:
            return _MISSING
        node = node[part]
    return node


def _normalise(value: Any) -> Any:
    try:
        return json.loads(json.dumps(value, default=_json_default))
    except (TypeError, ValueError):
        return value


def _show(value: Any) -> str:
    try:
        text = json.dumps(value, default=_json_default, separators=(', ', ': '))
    except (TypeError, ValueError):
        text = repr(value)
    text = ' '.join(text.split())
    return text if len(text) <= 120 else text[:117] + '...'


def _hint(key: str) -> str:
    lowered = key.lower()
    if 'obs' in lowered or 'observation' in lowered or 'normali' in lowered:
        return 'observation parameters'
    if 'action' in lowered:
        return 'action parameters'
    if 'instruction' in lowered or 'vocab' in lowered:
        return 'instruction parameters'
    return f'the {key} parameter'


def check_spec(metadata: Mapping[str, Any], expected: Mapping[str, Any]) -> None:
    """Check that a checkpoint fits the running policy.

    Compares ``expected`` key by key, in its order, with ``metadata``; a key may be a
    dotted path into nested dicts (``"observation.dim"``) when no top-level key has that
    exact name. Values are compared after a JSON round trip (tuples equal lists, numpy
    values equal Python ones).

    Args:
        metadata: checkpoint metadata (from :func:`load_checkpoint` or
            :func:`bytes_to_weights`).
        expected: key -> value the policy needs, e.g. ``{"obs_dim": 44, "action_dim": 2}``.

    Raises:
        CheckpointError: naming the first missing or mismatching key, e.g.
            ``checkpoint obs_dim is 40, this policy needs 44: train a new checkpoint or
            fix observation parameters``.
    """
    for key, want in expected.items():
        got = _lookup(metadata, key)
        fix = f'train a new checkpoint or fix {_hint(key)}'
        if got is _MISSING:
            raise CheckpointError(
                f'checkpoint has no {key}, this policy needs {_show(want)}: {fix}'
            )
        if _normalise(got) != _normalise(want):
            raise CheckpointError(
                f'checkpoint {key} is {_show(got)}, this policy needs {_show(want)}: {fix}'
            )


def weights_to_bytes(tensors: Mapping[str, torch.Tensor], metadata: Mapping[str, Any]) -> bytes:
    """Serialise tensors and metadata into one safetensors blob (no pickle).

    Args:
        tensors: name -> tensor, e.g. :meth:`SAC.actor_state`.
        metadata: JSON-serialisable dict that must hold ``version`` (int, e.g. the learner's
            update count, so that a policy node can ignore stale weights) and usually the
            observation/action spec.

    Returns:
        The safetensors bytes; its header metadata is ``{"robot_learning": <JSON of
        metadata>, "version": "<int>", "format_version": "1"}``.

    Raises:
        CheckpointError: ``version`` missing or not an int, metadata not
            JSON-serialisable, or a value is not a tensor.
    """
    if not isinstance(metadata, Mapping):
        raise CheckpointError(f'weights metadata must be a dict, got {type(metadata).__name__}')
    version = metadata.get('version')
    if not isinstance(version, int) or isinstance(version, bool):
        raise CheckpointError(f'weights metadata needs an integer version, got {version!r}')
    text = _dumps(metadata, 'weights', separators=(',', ':'))
    prepared = _prepare(tensors, 'weights')
    header = {_BLOB_KEY: text, 'version': str(version), 'format_version': str(FORMAT_VERSION)}
    try:
        return _st_save(prepared, metadata=header)
    except (SafetensorError, ValueError, RuntimeError) as exc:
        raise CheckpointError(f'cannot serialise weights: {one_line(exc)}') from None


def bytes_to_weights(
    blob: bytes | bytearray | memoryview,
) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
    """Inverse of :func:`weights_to_bytes`.

    Args:
        blob: the bytes (e.g. ``bytes(msg.data)`` of a ``UInt8MultiArray``).

    Returns:
        ``(tensors, metadata)``: CPU tensors, bit-identical; metadata the dict given to
        :func:`weights_to_bytes` (``version`` an int).

    Raises:
        CheckpointError: the blob is truncated, not safetensors, or lacks the
            ``robot_learning`` metadata (one line).
    """
    if not isinstance(blob, (bytes, bytearray, memoryview)):
        raise CheckpointError(f'weights blob must be bytes, got {type(blob).__name__}')
    data = bytes(blob)
    if len(data) < 8:
        raise CheckpointError(f'weights blob is truncated: {len(data)} bytes')
    size = int.from_bytes(data[:8], 'little')
    if size > min(len(data) - 8, _MAX_HEADER):
        raise CheckpointError(
            f'weights blob is truncated or not safetensors: header of {size} bytes in {len(data)}'
        )
    try:
        header = json.loads(data[8: 8 + size])
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise CheckpointError(f'weights blob header is not valid JSON: {one_line(exc)}') from None
    meta = header.get('__metadata__') if isinstance(header, dict) else None
    if not isinstance(meta, dict) or _BLOB_KEY not in meta:
        raise CheckpointError(
            f'weights blob has no {_BLOB_KEY!r} metadata: not written by weights_to_bytes'
        )
    try:
        metadata = json.loads(meta[_BLOB_KEY])
    except (json.JSONDecodeError, TypeError) as exc:
        raise CheckpointError(
            f'weights blob metadata is not valid JSON: {one_line(exc)}'
        ) from None
    if not isinstance(metadata, dict):
        raise CheckpointError('weights blob metadata is not a JSON object')
    try:
        tensors = _st_load(data)
    except (SafetensorError, ValueError, RuntimeError) as exc:
        raise CheckpointError(f'weights blob is corrupt: {one_line(exc)}') from None
    return tensors, metadata


#: Key prefix of the actor weights in every actor checkpoint (SAC, IQL, SAC pretraining).
ACTOR_PREFIX = 'actor.'


def policy_metadata(obs_cfg, act_cfg, hidden, algorithm: str, **extra: Any) -> dict:
    """Sidecar fields every actor carries (see design.md, Checkpoints).

    ``obs_cfg``: :class:`ObservationConfig` or
    :class:`~robot_learning.common.features.VectorObservationConfig`; ``act_cfg``:
    :class:`ActionConfig` (Twist) or :class:`~robot_learning.common.features.JointActionConfig`.
    """
    vector = getattr(obs_cfg, 'kind', '') == 'vector'
    return {
        'algorithm': algorithm,
        'observation': obs_cfg.to_dict(),
        'obs_dim': obs_cfg.dim,
        'action': act_cfg.to_dict(),
        'action_dim': act_cfg.dim,
        'actor_hidden': list(hidden),
        'normalization': (
            'none: the vector as published on joint_states'
            if vector
            else 'fixed scales in observation (features.encode_observation)'
        ),
        **extra,
    }


def load_prefixed(
    module: torch.nn.Module, tensors: Mapping[str, torch.Tensor], prefix: str, what: str
) -> None:
    """Load the tensors named ``prefix...`` (prefix dropped) into ``module``.

    Args:
        module: the network to fill.
        tensors: checkpoint tensors, e.g. ``actor.*`` or ``bc.*`` keys among others.
        prefix: key prefix of this module's weights.
        what: the start of the error line, e.g. ``'ckpt: actor weights do not fit'``.

    Raises:
        CheckpointError: missing, unexpected or mis-shaped weights: ``what`` and the
            first mismatch torch names, on one line.
    """
    state = {k[len(prefix):]: v for k, v in tensors.items() if k.startswith(prefix)}
    try:
        module.load_state_dict(state)
    except RuntimeError as exc:
        lines = [ln.strip() for ln in str(exc).strip().splitlines() if ln.strip()]
        raise CheckpointError(f'{what} ({lines[1] if len(lines) > 1 else lines[0]})') from None
