# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 robot_learning maintainers
"""``robot-learning train``: bags -> policy checkpoint, on one process or many (torchrun).

One loop drives every offline algorithm of :mod:`robot_learning.registry` through the
:class:`robot_learning.types.Trainer` protocol (``sample`` / ``update`` / ``evaluate`` /
``save`` / ``load``):

- ``bc``  behaviour cloning (:mod:`robot_learning.algos.bc`), camera + LiDAR +
  instruction, or low-dimensional features with ``--inputs lowdim``;
- ``iql`` offline RL, Implicit Q-Learning (:mod:`robot_learning.algos.offline_rl`);
- ``sac`` SAC pretraining on the bags, a full SAC state the online learner continues
  from (``sac_learner`` parameter ``init_from``);
- ``reward_classifier`` the success classifier (:mod:`robot_learning.algos.reward_classifier`)
  that ``task_node`` uses as the reward (a trainer with ``set_validation`` / ``report``
  hooks: test episodes, threshold, precision/recall in ``metrics.json``).

Episodes are split train/validation and sharded over ranks by
:class:`robot_learning.data.bagdataset.DatasetView` (``split`` / ``shard``).

The run directory gets ``checkpoints/best`` (lowest validation loss), ``checkpoints/last``,
``metrics.json``, ``loss_curve.png`` and TensorBoard event files under ``tb/``.

Distributed data parallel: under ``torchrun --nproc_per_node=N`` (environment
``WORLD_SIZE``/``RANK``/``LOCAL_RANK``) each rank trains on its own shard of the training
episodes, gradients are averaged by ``DistributedDataParallel`` (gloo on CPU, nccl on
CUDA), and rank 0 alone writes files. ``metrics.json`` then records a parameter checksum
per rank, gathered after the last step, as evidence that the replicas stayed in sync.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
from pathlib import Path
import sys
import time
from typing import Any

import numpy as np
from robot_learning import registry
from robot_learning.common.distributed import (
    agree_stop,
    barrier,
    DistInfo,
    gather_checksums,
    init_distributed,
    trainer_checksum,
)
from robot_learning.errors import BagError, ConfigError, run_verb
from robot_learning.types import Trainer

#: ``--algo`` choices: the names of :mod:`robot_learning.registry`.
ALGORITHMS = registry.names()
#: Algorithms on the BC inputs (``--inputs``, ``--text-encoder``, a vocabulary to keep).
BC_FAMILY = ('bc', 'act')


def add_arguments(ap: argparse.ArgumentParser) -> None:
    """Build the ``train`` verb's options (also used by ``python -m robot_learning.train``)."""
    ap.add_argument('--algo', choices=ALGORITHMS, default='bc')
    ap.add_argument(
        '--bags',
        nargs='+',
        required=True,
        metavar='DIR',
        help='bag directories (a bag, a session of episode bags, or a tree of them)',
    )
    ap.add_argument(
        '--intervention-bags',
        nargs='*',
        default=[],
        metavar='DIR',
        help='deployment bags whose human takeovers (intervention=true) are added to '
        'the training data (DAgger-style aggregation)',
    )
    ap.add_argument(
        '--target-bags',
        nargs='*',
        default=[],
        metavar='DIR',
        help='bc: unlabelled bags of the target domain (another camera, robot or room) to '
        'adapt the image encoder to (DANN; dann_weight 0.1 unless --set)',
    )
    ap.add_argument('--out', required=True, help='run directory, e.g. runs/bc-red-pillar')
    ap.add_argument(
        '--inputs',
        choices=('camera', 'lowdim'),
        default='camera',
        help='bc: camera + LiDAR + velocity + instruction, or LiDAR + detections + '
        'velocity + instruction',
    )
    ap.add_argument(
        '--dataset-config',
        default='',
        help='YAML with topics/rate_hz/tolerance_s/image_size for bags not written by '
        'demo_recorder',
    )
    ap.add_argument(
        '--outcomes',
        default='success',
        help="comma-separated episode outcomes to train on ('all' = every episode)",
    )
    ap.add_argument(
        '--cache-dir',
        default='',
        help='decoded-dataset cache (default ~/.cache/robot_learning/datasets)',
    )
    ap.add_argument('--val-fraction', type=float, default=0.1, help='validation share of episodes')
    ap.add_argument(
        '--steps', type=int, default=0, help='gradient steps (0 = the algorithm default)'
    )
    ap.add_argument('--minutes', type=float, default=0.0, help='wall-clock cap (0 = none)')
    ap.add_argument('--batch-size', type=int, default=0, help='0 = the algorithm default')
    ap.add_argument('--eval-every', type=int, default=250, help='steps between validation passes')
    ap.add_argument(
        '--set',
        action='append',
        default=[],
        metavar='FIELD=VALUE',
        help='override an algorithm config field (see the algorithm config dataclass)',
    )
    ap.add_argument('--init-from', default='', help='checkpoint to start from (fine-tuning)')
    ap.add_argument(
        '--text-encoder',
        default='',
        help='bc: local path of a pretrained sentence/CLIP text encoder (never downloaded)',
    )
    ap.add_argument('--device', default='auto', help="'cpu', 'cuda' or 'auto'")
    ap.add_argument(
        '--threads',
        type=int,
        default=0,
        help='torch intra-op threads per rank (0 = cores / ranks)',
    )
    ap.add_argument('--seed', type=int, default=0)
    ap.add_argument('--no-progress', action='store_true', help='no tqdm bar')


# --- configuration ------------------------------------------------------------------


def apply_overrides(cfg: Any, pairs: list[str]) -> Any:
    """``['lr=1e-3', 'history=[0,2]']`` -> a copy of dataclass ``cfg`` with those fields.

    Values are parsed as YAML (numbers, lists, booleans).

    Raises:
        ConfigError: a malformed pair or an unknown field (the message lists the fields).
    """
    import yaml

    names = {f.name: f for f in dataclasses.fields(cfg)}
    changes = {}
    for pair in pairs:
        key, sep, raw = pair.partition('=')
        key = key.strip()
        if not sep or not key:
            raise ConfigError(f'--set {pair!r}: expected FIELD=VALUE')
        if key not in names:
            raise ConfigError(
                f'--set {key}: no such field in {type(cfg).__name__} '
                f'(fields: {", ".join(sorted(names))})'
            )
        value = yaml.safe_load(raw)
        current = getattr(cfg, key)
        try:
            # YAML reads '1e-3' as a string: coerce to the field's current type.
            if (
                isinstance(current, float)
                and isinstance(value, (int, str))
                and not isinstance(value, bool)
            ):
                value = float(value)
            elif (
                isinstance(current, int)
                and not isinstance(current, bool)
                and isinstance(value, str)
            ):
                value = int(value)
        except ValueError:
            raise ConfigError(f'--set {key}={raw}: expected a number like {current!r}') from None
        if isinstance(value, list):
            value = tuple(value)
        changes[key] = value
    try:
        return dataclasses.replace(cfg, **changes)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f'--set: {exc}') from None


def _algorithm(args) -> tuple[Any, type, str]:
    """-> (config, trainer class, description) of ``args.algo`` in the registry."""
    algo = registry.get(args.algo)
    config_cls = algo.config_class
    if args.algo not in BC_FAMILY:
        return config_cls(), algo.trainer_class, algo.description
    # LiDAR + detections + velocity + instruction (the low-dimensional BC).
    cfg = config_cls.lowdim() if args.inputs == 'lowdim' else config_cls()
    if args.text_encoder:
        cfg = dataclasses.replace(cfg, text_encoder_path=args.text_encoder)
    return cfg, algo.trainer_class, f'{algo.description} ({args.inputs})'


def _dann_config(args, cfg: Any) -> Any:
    """Check ``--target-bags`` against ``dann_weight``; 0.1 when only the bags are given.

    Raises:
        ConfigError: target bags for an algorithm without DANN, or ``dann_weight`` > 0
            without target bags.
    """
    weight = getattr(cfg, 'dann_weight', None)
    if args.target_bags:
        if weight is None or args.algo != 'bc':
            raise ConfigError(f'--target-bags (DANN) is for --algo bc, not {args.algo}')
        if weight == 0:
            return dataclasses.replace(cfg, dann_weight=0.1)
    elif weight:
        raise ConfigError(
            'dann_weight > 0 adapts to a target domain: add --target-bags DIR '
            '(unlabelled bags recorded there)'
        )
    return cfg


def _dataset_config(args, cfg: Any):
    from robot_learning.data.bagdataset import DatasetConfig

    dcfg = DatasetConfig.from_yaml(args.dataset_config) if args.dataset_config else DatasetConfig()
    uses_image = bool(getattr(cfg, 'use_image', False))
    size = (int(cfg.image_width), int(cfg.image_height)) if uses_image else (0, 0)
    if uses_image and not dcfg.topics.image:
        raise ConfigError(
            f'--algo {args.algo} learns from camera images, and the dataset config names '
            f'no image topic: set topics.image in {args.dataset_config or "--dataset-config"}'
        )
    outcomes = (
        ()
        if args.outcomes.strip() in ('all', '')
        else tuple(o.strip() for o in args.outcomes.split(',') if o.strip())
    )
    changes = {'image_size': size, 'outcomes': outcomes}
    if args.cache_dir:
        changes['cache_dir'] = args.cache_dir
    return dataclasses.replace(dcfg, **changes)


# --- selection ----------------------------------------------------------------------


def _under(path: Path, roots: list[Path]) -> bool:
    return any(path == r or r in path.parents for r in roots)


def select_transitions(
    data, demo_paths, intervention_paths, outcomes, val_fraction: float, seed: int
):
    """Training and validation views of ``data`` (a BagDataset).

    Demo episodes (under ``demo_paths``, outcome in ``outcomes``; empty = any) are split
    train/validation by episode, never by frame (:meth:`DatasetView.split`). Episodes
    under ``intervention_paths`` add only their human-labelled transitions
    (``intervention`` true) to training: HG-DAgger (Kelly et al. 2019) aggregates the
    expert's corrections, not the policy's own actions that needed correcting.

    Returns:
        (train, validation) :class:`~robot_learning.data.bagdataset.DatasetView`; their
        ``transition_indices`` are int64 transition indices, ``episode_ids`` the episodes.
    """
    from robot_learning.data.bagdataset import DatasetView

    demo_roots = [Path(p).resolve() for p in demo_paths]
    int_roots = [Path(p).resolve() for p in intervention_paths]
    demo, interv = [], []
    for i, ep in enumerate(data.episodes):
        path = Path(ep.path).resolve()
        if int_roots and _under(path, int_roots):
            interv.append(i)
        elif _under(path, demo_roots) and (not outcomes or ep.outcome in outcomes):
            demo.append(i)
    ep_of = np.asarray(data.transitions['episode'])

    def view(ids: list[int]) -> DatasetView:
        return DatasetView(data, ids, np.flatnonzero(np.isin(ep_of, ids)))

    train, val = view(demo).split(val_fraction, seed)
    if interv:
        train = train.union(view(interv).select(interventions_only=True))
    return train, val


# --- the loop -----------------------------------------------------------------------


def _write_png(history: list[dict], out_png: Path, title: str) -> None:
    import matplotlib

    matplotlib.use('Agg')
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8, 4.5))
    train = [(h['step'], h['loss']) for h in history if 'loss' in h]
    val = [(h['step'], h['val_loss']) for h in history if 'val_loss' in h]
    if train:
        s, loss = zip(*train)
        ax.plot(
            s, loss, color='tab:blue', alpha=0.8, label='training loss (mean since last point)'
        )
    if val:
        s, loss = zip(*val)
        ax.plot(s, loss, 'o-', color='tab:orange', label='validation loss')
        i = int(np.argmin(loss))
        ax.plot([s[i]], [loss[i]], '*', ms=14, color='tab:red', label=f'best (step {s[i]})')
    ax.set_xlabel('gradient step')
    ax.set_ylabel('loss')
    ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(out_png, dpi=100)
    plt.close(fig)


def _mean_stats(rows: list[dict]) -> dict:
    keys = set().union(*rows) if rows else set()
    return {k: float(np.mean([r[k] for r in rows if k in r])) for k in sorted(keys)}


def run(args) -> int:
    """Train from bags as ``args`` say; returns the exit code.

    Raises:
        BagError: no usable bag, or the selection (outcomes, split) is empty.
        ConfigError: a bad option value.
    """
    import torch

    device = args.device
    if device == 'auto':
        device = 'cuda' if torch.cuda.is_available() else 'cpu'
    dist_info = init_distributed(device)
    if device == 'cuda' and dist_info.world_size > 1:
        device = f'cuda:{dist_info.local_rank}'
    cores = os.cpu_count() or 1
    torch.set_num_threads(args.threads or max(1, cores // dist_info.world_size))
    torch.manual_seed(args.seed)
    try:
        return _run(args, device, dist_info)
    finally:
        if dist_info.world_size > 1:
            import torch.distributed as dist

            # Leave together: a rank tearing gloo down while rank 0 still writes the run
            # aborted its peer now and then (SIGABRT in the 2-rank CI test). torchrun stops
            # the other ranks itself when one fails, so this barrier only runs on success.
            if sys.exc_info()[0] is None:
                dist.barrier()
            dist.destroy_process_group()


def _run(args, device: str, info: DistInfo) -> int:
    from robot_learning.common.features import ActionConfig, ObservationConfig
    from robot_learning.data.bagdataset import BagDataset

    main = info.is_main
    log = (lambda m: print(m, file=sys.stderr)) if main else (lambda m: None)
    cfg, trainer_cls, title = _algorithm(args)
    cfg = apply_overrides(cfg, args.set)
    cfg = _dann_config(args, cfg)
    if args.batch_size:
        cfg = dataclasses.replace(cfg, batch_size=args.batch_size)
    steps = args.steps or int(getattr(cfg, 'steps', 5000))
    if steps <= 0 or not 0.0 <= args.val_fraction < 1.0:
        raise ConfigError('--steps must be positive and --val-fraction in [0, 1)')
    obs_cfg, act_cfg = ObservationConfig(), ActionConfig()
    dcfg = _dataset_config(args, cfg)

    # Rank 0 decodes the bags into the cache first; the others then only map it.
    t0 = time.monotonic()
    if not main:
        barrier(info)
    paths = list(args.bags) + list(args.intervention_bags)
    data = BagDataset.build(
        paths,
        dataclasses.replace(dcfg, outcomes=()),
        obs_cfg,
        act_cfg,
        progress=main and not args.no_progress,
        log=log,
    )
    if main:
        barrier(info)
    build_s = time.monotonic() - t0
    train_view, val_view = select_transitions(
        data, args.bags, args.intervention_bags, dcfg.outcomes, args.val_fraction, args.seed
    )
    train_idx, val_idx = train_view.transition_indices, val_view.transition_indices
    if len(train_idx) == 0:
        raise BagError(
            f'no training transitions under {" ".join(args.bags)} with outcome in '
            f'{list(dcfg.outcomes) or "any"} ({len(data.episodes)} episodes read, '
            f'{len(data.skipped)} skipped)'
        )
    # Each rank reads its own shard of the training episodes (never split an episode).
    shard_idx = train_view.shard(info.rank, info.world_size).transition_indices
    log(
        f'train: {len(data.episodes)} episodes ({len(data.skipped)} skipped), '
        f'{len(train_idx)} training / {len(val_idx)} validation transitions, '
        f'built in {build_s:.1f} s; {title}, {steps} steps'
        + (f', {info.world_size} ranks ({info.backend})' if info.world_size > 1 else '')
    )

    kwargs = {}
    if args.init_from and args.algo in BC_FAMILY:
        # Fine-tuning keeps the checkpoint's token ids (new words become <unk>).
        from robot_learning.common.checkpoint import load_checkpoint
        from robot_learning.common.language import Vocabulary

        vocab = load_checkpoint(args.init_from)[1].get('vocabulary')
        if vocab:
            kwargs['vocabulary'] = Vocabulary.from_dict(vocab)
    trainer: Trainer = trainer_cls(
        data, cfg, obs_cfg, act_cfg, train_idx, device=device, **kwargs
    )
    if args.init_from:
        trainer.load(args.init_from)
        log(f'train: initialised from {args.init_from}')
    if args.target_bags:
        target = BagDataset.build(
            list(args.target_bags), dataclasses.replace(dcfg, outcomes=()), obs_cfg, act_cfg,
            progress=main and not args.no_progress, log=log,
        )
        if len(target.episodes) == 0:
            raise BagError(
                f'no target-domain episodes under {" ".join(args.target_bags)} '
                f'({len(target.skipped)} skipped)'
            )
        trainer.set_target(target)
        log(f'train: DANN on {len(target.episodes)} target-domain episodes '
            f'(dann_weight {cfg.dann_weight:g})')
    # Optional hooks: the success classifier holds out test episodes from the validation
    # ones, chooses its threshold on the rest and scores both in metrics.json.
    set_validation = getattr(trainer, 'set_validation', None)
    if set_validation is not None:
        set_validation(val_idx)

    out = Path(args.out)
    writer = None
    if main:
        (out / 'checkpoints').mkdir(parents=True, exist_ok=True)
        from torch.utils.tensorboard import SummaryWriter

        writer = SummaryWriter(str(out / 'tb'))
    rng = np.random.default_rng(args.seed * 1000 + info.rank)
    val_rng = np.random.default_rng(12345)
    batch_size = int(getattr(cfg, 'batch_size', 256))
    # The same validation batches at every evaluation, so the curve compares like with like.
    val_batches = (
        [
            trainer.sample(val_idx, batch_size, val_rng)
            for _ in range(min(8, -(-len(val_idx) // batch_size)))
        ]
        if len(val_idx)
        else []
    )

    meta = {
        'dataset': {
            'bags': [str(Path(b).resolve()) for b in args.bags],
            'intervention_bags': [str(Path(b).resolve()) for b in args.intervention_bags],
            'episodes': len(data.episodes),
            'outcomes': args.outcomes,
            'train_transitions': int(len(train_idx)),
            'val_transitions': int(len(val_idx)),
        },
        'train_args': {k: v for k, v in vars(args).items() if k != 'func'},
    }
    history: list[dict] = []
    best, best_step = float('inf'), -1
    bar = None
    if main and not args.no_progress:
        from tqdm import tqdm

        bar = tqdm(
            total=steps,
            desc=f'train {args.algo}',
            unit='step',
            dynamic_ncols=True,
            mininterval=0.5 if sys.stderr.isatty() else 10.0,
        )
    t_train = time.monotonic()
    window: list[dict] = []
    step = 0
    stop = False
    while step < steps and not stop:
        batch = trainer.sample(shard_idx, batch_size, rng)
        stats = trainer.update(batch)
        step += 1
        window.append(stats)
        if bar is not None:
            bar.update(1)
        if args.minutes > 0 and step % 10 == 0:
            stop = agree_stop(info, time.monotonic() - t_train > args.minutes * 60.0)
        if step % args.eval_every == 0 or step == steps or stop:
            row = {'step': step, **_mean_stats(window)}
            window = []
            if val_batches:
                row.update(_mean_stats([trainer.evaluate(b) for b in val_batches]))
            else:
                row['val_loss'] = row.get('loss', float('nan'))
            row['wall_s'] = round(time.monotonic() - t_train, 1)
            history.append(row)
            if main:
                for k, v in row.items():
                    if k not in ('step', 'wall_s'):
                        writer.add_scalar(
                            ('val/' if k.startswith('val') else 'train/') + k, v, step
                        )
                if row['val_loss'] < best:
                    best, best_step = row['val_loss'], step
                    trainer.save(
                        out / 'checkpoints' / 'best', {**meta, 'step': step, 'val_loss': best}
                    )
                if bar is not None:
                    bar.set_postfix(
                        loss=f"{row.get('loss', float('nan')):.4f}",
                        val=f"{row['val_loss']:.4f}",
                        refresh=False,
                    )
    if bar is not None:
        bar.close()
    train_s = time.monotonic() - t_train
    checksums = gather_checksums(info, trainer_checksum(trainer))
    if main:
        trainer.save(out / 'checkpoints' / 'last', {**meta, 'step': step})
        writer.close()
        _write_png(history, out / 'loss_curve.png', f'{title}: {Path(args.out).name}')
        metrics = {
            'algorithm': args.algo,
            'inputs': args.inputs if args.algo in BC_FAMILY else 'lowdim',
            'steps': step,
            'train_wall_clock_s': round(train_s, 1),
            'dataset_build_s': round(build_s, 1),
            'steps_per_s': round(step / max(train_s, 1e-9), 2),
            'best_val_loss': best,
            'best_step': best_step,
            'final': history[-1] if history else {},
            'episodes': len(data.episodes),
            'skipped_bags': data.skipped,
            'train_transitions': int(len(train_idx)),
            'val_transitions': int(len(val_idx)),
            'instructions': list(data.instructions),
            'config': {
                k: (list(v) if isinstance(v, tuple) else v)
                for k, v in dataclasses.asdict(cfg).items()
            },
            'checkpoint': str((out / 'checkpoints' / 'best').resolve()),
            'history': history,
        }
        report = getattr(trainer, 'report', None)
        if report is not None:
            metrics.update(report(out, history))
        if info.world_size > 1:
            metrics['ddp'] = {
                'world_size': info.world_size,
                'backend': info.backend,
                'param_checksums': checksums,
                'in_sync': bool(np.allclose(checksums, checksums[0], rtol=0, atol=1e-6)),
            }
        (out / 'metrics.json').write_text(json.dumps(metrics, indent=2) + '\n')
        log(
            f'train: best validation loss {best:.4f} at step {best_step}; '
            f'{step} steps in {train_s:.0f} s -> {out / "checkpoints" / "best"}'
        )
    return 0


def main(argv: list[str] | None = None) -> int:
    """``python -m robot_learning.train ...`` (what torchrun runs): the CLI's ``train`` verb.

    Returns:
        The exit code; 2 with one line on stderr for an expected failure.
    """
    ap = argparse.ArgumentParser(
        prog='robot-learning train', description='Train a policy from bags.'
    )
    add_arguments(ap)
    ap.set_defaults(verb='train')
    args = ap.parse_args(sys.argv[1:] if argv is None else argv)
    return run_verb('train', lambda: run(args))


if __name__ == '__main__':
    sys.exit(main())
