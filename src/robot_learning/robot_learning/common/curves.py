# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 robot_learning maintainers
"""Learning-curve plots of a training run (matplotlib, Agg; no display needed)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

__all__ = ['plot_learning_curve', 'rolling_mean']


def rolling_mean(values: Sequence[float], window: int) -> np.ndarray:
    """Trailing mean over up to ``window`` values: float64 (len(values),)."""
    x = np.asarray(values, np.float64)
    if x.size == 0:
        return x
    c = np.cumsum(np.insert(x, 0, 0.0))
    idx = np.arange(1, x.size + 1)
    lo = np.maximum(idx - int(window), 0)
    return (c[idx] - c[lo]) / (idx - lo)


def plot_learning_curve(
    rows: Sequence[dict],
    path,
    title: str = 'learning curve',
    window: int = 20,
    eval_rate: float | None = None,
) -> Path | None:
    """Plot episode return, success rate and intervention rate against env steps.

    One colour per robot, with a trailing mean over ``window`` episodes. The success
    panel is drawn when any episode can succeed; the intervention panel (trailing mean of
    ``intervention_rate``: human steps / episode length, HIL-SERL's measure of how much
    the person still drives) when any row has a rate above zero.

    Args:
        rows: finished episodes as the learner writes them to ``episodes.jsonl``
            (keys ``env_steps``, ``return``, ``success``, optional ``robot`` and
            ``intervention_rate``).
        path: PNG to write (parent created).
        title: the figure's title.
        window: episodes in the trailing mean.
        eval_rate: a final evaluation's success rate in [0, 1], drawn as a dashed line on
            the success panel (shown then even when no training episode succeeded).

    Returns:
        ``path`` as a Path, or None when there is no episode yet (nothing is written).

    Raises:
        OSError: the file cannot be written.
    """
    rows = [r for r in rows if 'env_steps' in r and 'return' in r]
    if not rows:
        return None
    import matplotlib

    matplotlib.use('Agg')
    import matplotlib.pyplot as plt

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    robots = sorted({str(r.get('robot', 'robot')) for r in rows})
    any_success = (
        eval_rate is not None
        or any(r.get('success') for r in rows)
        or any(r.get('outcome') == 'success' for r in rows)
    )
    any_human = any(float(r.get('intervention_rate') or 0.0) > 0.0 for r in rows)
    panels = 1 + any_success + any_human
    fig, axes = plt.subplots(
        panels, 1, figsize=(7, 1.2 + 2.4 * panels), sharex=True, squeeze=False
    )
    human_ax = axes[-1, 0] if any_human else None
    ax = axes[0, 0]
    for robot in robots:
        mine = [r for r in rows if str(r.get('robot', 'robot')) == robot]
        steps = np.array([r['env_steps'] for r in mine], np.float64)
        ret = np.array([r['return'] for r in mine], np.float64)
        label = robot if len(robots) > 1 else 'episode return'
        points = ax.plot(steps, ret, '.', alpha=0.3, ms=3)[0]
        ax.plot(
            steps,
            rolling_mean(ret, window),
            color=points.get_color(),
            label=f'{label} (mean of {window})',
        )
        if any_success:
            succ = np.array([float(bool(r.get('success'))) for r in mine])
            axes[1, 0].plot(
                steps, rolling_mean(succ, window), color=points.get_color(), label=label
            )
        if human_ax is not None:
            rate = np.array([float(r.get('intervention_rate') or 0.0) for r in mine])
            human_ax.plot(
                steps, rolling_mean(rate, window), color=points.get_color(), label=label
            )
    ax.set_ylabel('return')
    ax.set_title(title)
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    if any_success:
        axes[1, 0].set_ylabel(f'success (mean of {window})')
        axes[1, 0].set_ylim(-0.02, 1.02)
        axes[1, 0].grid(alpha=0.3)
    if human_ax is not None:
        human_ax.set_ylabel(f'intervention rate\n(mean of {window})')
        human_ax.set_ylim(-0.02, 1.02)
        human_ax.grid(alpha=0.3)
    if eval_rate is not None:
        axes[1, 0].axhline(eval_rate, ls='--', color='k', label=f'final eval {eval_rate:.2f}')
        axes[1, 0].legend(fontsize=8)
    axes[-1, 0].set_xlabel('environment steps (transitions)')
    fig.tight_layout()
    tmp = path.with_name(f'.{path.name}.tmp')
    fig.savefig(tmp, dpi=100, format='png')
    plt.close(fig)
    tmp.replace(path)
    return path
