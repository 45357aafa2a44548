# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 robot_learning maintainers
"""Evaluation helpers that need no ROS.

Offline action error on held-out bags, and the figures (metrics + PNG) of a closed-loop
evaluation.

``robot-learning eval --offline --bags DIR`` replays each held-out episode through the
policy in recorded order (so a policy with an observation history sees the history it
would have seen on the robot) and compares its action with the recorded one.
"""

from __future__ import annotations

import json
from pathlib import Path
import sys
from typing import Sequence

import numpy as np
from robot_learning.common.features import RawObservation
from robot_learning.data.transitions import EpisodeRecord, success_by_instruction
from robot_learning.errors import BagError
from robot_learning.types import Policy


def offline_action_error(policy: Policy, data, episode_ids: Sequence[int]) -> dict:
    """Replay episodes of ``data`` (a BagDataset) through ``policy``; compare actions.

    Args:
        policy: a :class:`robot_learning.types.Policy` (from
            :func:`robot_learning.policy.load_policy`).
        data: the dataset (frames/transitions arrays, ``instructions``).
        episode_ids: which episodes.

    Returns:
        dict with ``transitions``, ``mse_normalized`` (mean over action dims, actions in
        [-1, 1]), ``mae`` per Twist component in physical units (``linear_m_s``,
        ``angular_rad_s``), ``per_instruction`` MAE, and ``predicted``/``recorded``
        float32 (M, 2) arrays in [-1, 1] (for plots; not JSON).
    """
    fr, tr = data.frames, data.transitions
    ep_of = np.asarray(tr['episode'])
    pred, rec, instr_of = [], [], []
    for ep in episode_ids:
        idx = np.flatnonzero(ep_of == ep)
        if len(idx) == 0:
            continue
        idx = idx[np.argsort(np.asarray(fr['stamp'])[tr['obs'][idx]], kind='stable')]
        policy.reset()
        for t in idx:
            f = int(tr['obs'][t])
            text = data.instructions[int(fr['instruction'][f])]
            raw = RawObservation(
                int(fr['stamp'][f]),
                np.asarray(fr['sectors'][f]),
                np.asarray(fr['detections'][f]),
                tuple(np.asarray(fr['velocity'][f])),
                text,
                np.asarray(fr['image'][f]) if policy.needs_image else None,
            )
            pred.append(policy.act(raw, deterministic=True))
            rec.append(np.asarray(tr['action'][t], np.float32))
            instr_of.append(text)
    if not pred:
        raise BagError('no transitions to evaluate in the selected episodes')
    pred, rec = np.stack(pred).astype(np.float32), np.stack(rec).astype(np.float32)
    act = policy.act_cfg
    scale = np.array([(act.linear[1] - act.linear[0]) / 2, (act.angular[1] - act.angular[0]) / 2])
    err = np.abs(pred - rec) * scale
    per = {}
    instr_of = np.array(instr_of)
    for text in sorted(set(instr_of)):
        m = instr_of == text
        per[text] = {
            'transitions': int(m.sum()),
            'mae_linear_m_s': float(err[m, 0].mean()),
            'mae_angular_rad_s': float(err[m, 1].mean()),
        }
    return {
        'transitions': int(len(pred)),
        'episodes': int(len(episode_ids)),
        'mse_normalized': float(np.mean((pred - rec) ** 2)),
        'mae': {'linear_m_s': float(err[:, 0].mean()), 'angular_rad_s': float(err[:, 1].mean())},
        'per_instruction': per,
        'predicted': pred,
        'recorded': rec,
    }


def plot_offline(result: dict, out_png: Path, title: str) -> None:
    """Predicted vs recorded action per Twist component (normalized units)."""
    import matplotlib

    matplotlib.use('Agg')
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(9, 4.2))
    for k, (ax, name) in enumerate(zip(axes, ('linear', 'angular'))):
        ax.plot(result['recorded'][:, k], result['predicted'][:, k], '.', alpha=0.25, ms=3)
        ax.plot([-1, 1], [-1, 1], 'k--', lw=1)
        ax.set_xlabel(f'recorded {name} (normalized)')
        ax.set_ylabel(f'policy {name} (normalized)')
        ax.set_xlim(-1.05, 1.05)
        ax.set_ylim(-1.05, 1.05)
        ax.set_aspect('equal')
    fig.suptitle(
        f'{title}: MSE {result["mse_normalized"]:.4f} over {result["transitions"]} transitions'
    )
    fig.tight_layout()
    fig.savefig(out_png, dpi=100)
    plt.close(fig)


def closed_loop_metrics(records: Sequence[EpisodeRecord]) -> dict:
    """Success, success per instruction, return and length of finished episodes."""
    if not records:
        return {'eval_episodes': 0}
    return {
        'eval_success_rate': float(np.mean([r.outcome == 'success' for r in records])),
        'eval_episodes': len(records),
        'eval_return_mean': float(np.mean([r.episode_return for r in records])),
        'eval_length_mean': float(np.mean([r.length for r in records])),
        'eval_success_per_instruction': success_by_instruction(records),
        'eval_outcomes': {
            o: sum(r.outcome == o for r in records) for o in sorted({r.outcome for r in records})
        },
        'episodes': [
            {
                'instruction': r.instruction,
                'outcome': r.outcome,
                'return': round(float(r.episode_return), 3),
                'length': int(r.length),
            }
            for r in records
        ],
    }


def plot_closed_loop(records: Sequence[EpisodeRecord], out_png: Path, title: str) -> None:
    """Success per instruction (bars), return and episode length (histograms)."""
    import matplotlib

    matplotlib.use('Agg')
    import matplotlib.pyplot as plt

    per = success_by_instruction(records)
    fig, (a1, a2, a3) = plt.subplots(1, 3, figsize=(12, 3.8))
    names = list(per)
    a1.bar(range(len(names)), [per[n]['success_rate'] for n in names], color='tab:green')
    a1.set_xticks(range(len(names)))
    a1.set_xticklabels([n.replace('go to the ', '') for n in names], rotation=20)
    a1.set_ylim(0, 1)
    a1.set_ylabel('success rate')
    for i, n in enumerate(names):
        a1.text(
            i,
            per[n]['success_rate'] + 0.02,
            f"{per[n]['success_rate']:.2f}\n({per[n]['episodes']})",
            ha='center',
            fontsize=8,
        )
    ok = [r.outcome == 'success' for r in records]
    for ax, key, label in (
        (a2, 'episode_return', 'episode return'),
        (a3, 'length', 'episode length (steps)'),
    ):
        vals = np.array([getattr(r, key) for r in records], float)
        ax.hist(
            [vals[np.array(ok)], vals[~np.array(ok)]],
            bins=20,
            stacked=True,
            color=['tab:green', 'tab:red'],
            label=['success', 'other'],
        )
        ax.set_xlabel(label)
        ax.legend()
    fig.suptitle(f'{title}: success {np.mean(ok):.2f} over {len(records)} episodes')
    fig.tight_layout()
    fig.savefig(out_png, dpi=100)
    plt.close(fig)


def run_offline_eval(args) -> int:
    """``robot-learning eval --checkpoint DIR --offline --bags DIR...``.

    Raises:
        BagError / CheckpointError / ConfigError with one line (the CLI prints it, exit 2).
    """
    import dataclasses

    from robot_learning.data.bagdataset import BagDataset, DatasetConfig
    from robot_learning.errors import ConfigError
    from robot_learning.policy import load_policy
    import torch

    if not args.bags:
        raise ConfigError('--offline needs --bags DIR... (held-out episode bags)')
    torch.set_num_threads(max(1, min(4, torch.get_num_threads())))
    policy = load_policy(args.checkpoint)
    dcfg = DatasetConfig.from_yaml(args.dataset_config) if args.dataset_config else DatasetConfig()
    outcomes = (
        () if args.outcomes in ('all', '') else tuple(o for o in args.outcomes.split(',') if o)
    )
    size = tuple(policy.image_size) if policy.needs_image else (0, 0)
    dcfg = dataclasses.replace(dcfg, image_size=size, outcomes=())
    data = BagDataset.build(
        args.bags, dcfg, policy.obs_cfg, policy.act_cfg, log=lambda m: print(m, file=sys.stderr)
    )
    eps = [i for i, e in enumerate(data.episodes) if not outcomes or e.outcome in outcomes]
    if not eps:
        raise BagError(f'no episode with outcome in {list(outcomes)} under {" ".join(args.bags)}')
    result = offline_action_error(policy, data, eps)
    out = (
        Path(args.out)
        if args.out
        else Path(args.checkpoint).resolve().parent.parent / 'eval_offline'
    )
    out.mkdir(parents=True, exist_ok=True)
    metrics = {
        'checkpoint': str(Path(args.checkpoint).resolve()),
        'bags': [str(Path(b).resolve()) for b in args.bags],
        **{k: v for k, v in result.items() if k not in ('predicted', 'recorded')},
    }
    (out / 'metrics.json').write_text(json.dumps(metrics, indent=2) + '\n')
    plot_offline(result, out / 'action_error.png', Path(args.checkpoint).name)
    print(
        json.dumps({k: metrics[k] for k in ('transitions', 'episodes', 'mse_normalized', 'mae')})
    )
    print(
        f'robot-learning eval: metrics in {out / "metrics.json"}, plot in '
        f'{out / "action_error.png"}'
    )
    return 0
