# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 robot_learning maintainers
"""Distributed data parallel plumbing of ``robot-learning train`` (torchrun, gloo or nccl).

Under ``torchrun --nproc_per_node=N`` (environment ``WORLD_SIZE``/``RANK``/``LOCAL_RANK``)
the trainers average gradients with ``DistributedDataParallel``; these helpers join the
process group, keep the ranks in step (barrier, a common stop) and gather a parameter
checksum per rank as evidence that the replicas stayed in sync. Without torchrun every
helper is a no-op on world size 1, and torch is imported only when one is needed.
"""

from __future__ import annotations

import dataclasses
import os

from robot_learning.errors import ConfigError

__all__ = [
    'agree_stop',
    'barrier',
    'DistInfo',
    'gather_checksums',
    'init_distributed',
    'parameter_checksum',
    'trainer_checksum',
]


@dataclasses.dataclass
class DistInfo:
    """Where this process sits in a torchrun job (world_size 1 without torchrun)."""

    rank: int = 0
    world_size: int = 1
    local_rank: int = 0
    backend: str = ''

    @property
    def is_main(self) -> bool:
        return self.rank == 0


def init_distributed(device: str) -> DistInfo:
    """Join the process group torchrun describes in the environment, if any.

    Backend: nccl when training on CUDA, gloo on CPU (PyTorch DDP docs).

    Raises:
        ConfigError: WORLD_SIZE is set but not an integer.
    """
    try:
        world = int(os.environ.get('WORLD_SIZE', '1'))
    except ValueError:
        raise ConfigError(f"WORLD_SIZE={os.environ['WORLD_SIZE']!r} is not an integer") from None
    if world <= 1:
        return DistInfo()
    import torch.distributed as dist

    backend = 'nccl' if device.startswith('cuda') else 'gloo'
    dist.init_process_group(backend=backend)
    return DistInfo(
        dist.get_rank(), dist.get_world_size(), int(os.environ.get('LOCAL_RANK', '0')), backend
    )


def barrier(info: DistInfo) -> None:
    if info.world_size > 1:
        import torch.distributed as dist

        dist.barrier()


def agree_stop(info: DistInfo, stop: bool) -> bool:
    """Every rank stops at the same step when any rank's wall-clock cap fired."""
    if info.world_size <= 1:
        return stop
    import torch
    import torch.distributed as dist

    flag = torch.tensor([1.0 if stop else 0.0])
    dist.all_reduce(flag, op=dist.ReduceOp.MAX)
    return bool(flag.item() > 0)


def parameter_checksum(module) -> float:
    """Sum of every parameter (float64): equal across ranks iff they stayed in sync."""
    import torch

    with torch.no_grad():
        return float(sum(p.detach().double().sum().item() for p in module.parameters()))


def trainer_checksum(trainer) -> float:
    """:func:`parameter_checksum` over every torch module the trainer holds."""
    import torch

    total = 0.0
    for name in sorted(vars(trainer)):
        value = getattr(trainer, name)
        if isinstance(value, torch.nn.Module) and not isinstance(
            value, torch.nn.parallel.DistributedDataParallel
        ):
            total += parameter_checksum(value)
    return total


def gather_checksums(info: DistInfo, value: float) -> list[float]:
    if info.world_size <= 1:
        return [value]
    import torch
    import torch.distributed as dist

    out = [torch.zeros(1, dtype=torch.float64) for _ in range(info.world_size)]
    dist.all_gather(out, torch.tensor([value], dtype=torch.float64))
    return [float(t.item()) for t in out]
