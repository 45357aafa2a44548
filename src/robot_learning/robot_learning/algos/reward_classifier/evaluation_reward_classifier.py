# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 robot_learning maintainers
"""Success-classifier evaluation: confusion counts, PR curve, threshold choice, plots.

Pure numpy apart from the plots (matplotlib, Agg) and the timing of
:meth:`~robot_learning.algos.reward_classifier.RewardClassifier.predict`. Nothing here
imports rclpy.
"""

from __future__ import annotations

from pathlib import Path
import time

import numpy as np

__all__ = [
    'choose_threshold',
    'confusion',
    'plot_confusion',
    'plot_curves',
    'pr_curve',
    'time_predict',
]


def confusion(probs: np.ndarray, labels: np.ndarray, threshold: float) -> dict:
    """Confusion counts and rates of ``probs >= threshold`` against 0/1 ``labels``.

    Returns:
        dict with tp, fp, tn, fn (int), precision, recall, accuracy (float; precision is
        1.0 when nothing is predicted positive, recall 1.0 when there is no positive).
    """
    pred = np.asarray(probs) >= threshold
    y = np.asarray(labels).astype(bool)
    tp, fp = int((pred & y).sum()), int((pred & ~y).sum())
    fn, tn = int((~pred & y).sum()), int((~pred & ~y).sum())
    return {
        'tp': tp,
        'fp': fp,
        'tn': tn,
        'fn': fn,
        'precision': tp / (tp + fp) if tp + fp else 1.0,
        'recall': tp / (tp + fn) if tp + fn else 1.0,
        'accuracy': (tp + tn) / max(tp + fp + tn + fn, 1),
    }


def pr_curve(probs: np.ndarray, labels: np.ndarray):
    """Precision and recall at every distinct score, highest score first.

    Returns:
        (scores, precision, recall, next_scores) float64 arrays; predicting
        ``probs >= scores[k]`` gives ``precision[k]``, ``recall[k]``; ``next_scores[k]``
        is the next lower distinct score (0 after the lowest).
    """
    p = np.asarray(probs, np.float64)
    y = np.asarray(labels).astype(np.float64)
    order = np.argsort(-p, kind='stable')
    ps, ys = p[order], y[order]
    tp, fp = np.cumsum(ys), np.cumsum(1.0 - ys)
    last = np.r_[ps[1:] != ps[:-1], True]
    scores, tp, fp = ps[last], tp[last], fp[last]
    return scores, tp / (tp + fp), tp / max(ys.sum(), 1.0), np.r_[scores[1:], 0.0]


def choose_threshold(probs: np.ndarray, labels: np.ndarray, target_precision: float) -> dict:
    """Pick the decision threshold: the most recall at precision >= ``target_precision``.

    Every distinct score is a candidate (precision is not monotonic in the threshold).
    Among those whose precision reaches the target, the ones of the highest recall are
    kept (the lowest such threshold is the one the issue names), and of those the one of
    the highest precision: on a validation set the classifier separates perfectly, the
    threshold then lies in the gap between the classes instead of at the lowest score
    that still passes. The threshold is the midpoint between that score and the next
    lower one, a margin for unseen frames. When no threshold reaches the target, the one
    of the highest precision (then recall) is taken and ``target_met`` is False. Clipped
    into [1e-4, 1 - 1e-4] (the contract's (0, 1)).

    Args:
        probs: float (N,) P(success). labels: (N,) 0/1.
        target_precision: in (0, 1).

    Returns:
        dict: threshold, precision, recall (on these rows), target_met.
    """
    y = np.asarray(labels)
    if y.size == 0 or not y.any():
        return {'threshold': 0.5, 'precision': 1.0, 'recall': 1.0, 'target_met': False}
    scores, prec, rec, nxt = pr_curve(probs, y)
    ok = np.flatnonzero(prec >= target_precision)
    if ok.size:
        best = ok[rec[ok] == rec[ok].max()]
        k = int(best[np.argmax(prec[best])])
    else:
        k = int(np.lexsort((rec, prec))[-1])
    thr = float(np.clip(0.5 * (scores[k] + nxt[k]), 1e-4, 1 - 1e-4))
    return {
        'threshold': thr,
        'precision': float(prec[k]),
        'recall': float(rec[k]),
        'target_met': bool(ok.size),
    }


def time_predict(clf, calls: int = 200) -> float:
    """Mean milliseconds of one :meth:`RewardClassifier.predict` call on this machine."""
    rng = np.random.default_rng(0)
    image = rng.integers(0, 256, (clf.image_height, clf.image_width, 3), dtype=np.uint8)
    sectors = np.full(clf.num_sectors, 2.0, np.float32)
    for _ in range(10):
        clf.predict(image, sectors, clf.instructions[0])
    t0 = time.perf_counter()
    for _ in range(calls):
        clf.predict(image, sectors, clf.instructions[0])
    return round(1e3 * (time.perf_counter() - t0) / calls, 3)


def plot_confusion(result: dict, path: Path) -> None:
    """Write the 2x2 confusion matrices of ``result['validation']`` / ``['test']`` as a PNG."""
    import matplotlib

    matplotlib.use('Agg')
    import matplotlib.pyplot as plt

    splits = [s for s in ('validation', 'test') if s in result]
    fig, axes = plt.subplots(1, max(len(splits), 1), figsize=(4.2 * max(len(splits), 1), 3.8))
    axes = np.atleast_1d(axes)
    for ax, name in zip(axes, splits):
        r = result[name]
        m = np.array([[r['tn'], r['fp']], [r['fn'], r['tp']]])
        ax.imshow(m, cmap='Blues')
        for (i, j), v in np.ndenumerate(m):
            ax.text(
                j,
                i,
                str(v),
                ha='center',
                va='center',
                color='white' if v > m.max() / 2 else 'black',
            )
        ax.set_xticks([0, 1], ['failure', 'success'])
        ax.set_yticks([0, 1], ['failure', 'success'])
        ax.set_xlabel('predicted')
        ax.set_ylabel('label')
        ax.set_title(f"{name} ({r['episodes']} ep): P {r['precision']:.3f} R {r['recall']:.3f}")
    fig.suptitle(f"success classifier, threshold {result['threshold']:.3f}")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def plot_curves(history: list, curves: dict, threshold: float, path: Path) -> None:
    """Write the loss curves and the precision-recall curves (name -> (probs, labels)) PNG."""
    import matplotlib

    matplotlib.use('Agg')
    import matplotlib.pyplot as plt

    fig, (ax_l, ax_pr) = plt.subplots(1, 2, figsize=(11, 4.2))
    for key, style, label in (('loss', '-', 'training BCE'), ('val_loss', 'o-', 'validation BCE')):
        pts = [(h['step'], h[key]) for h in history if key in h]
        if pts:
            ax_l.plot(*zip(*pts), style, label=label)
    ax_l.set_xlabel('gradient step')
    ax_l.set_ylabel('loss')
    ax_l.set_yscale('log')
    ax_l.grid(alpha=0.3)
    ax_l.legend()
    for name, (probs, lab) in curves.items():
        if lab.size and lab.any():
            _, prec, rec, _ = pr_curve(probs, lab)
            ax_pr.plot(rec, prec, label=name)
            at = confusion(probs, lab, threshold)
            ax_pr.plot([at['recall']], [at['precision']], '*', ms=12)
    ax_pr.set_xlabel('recall')
    ax_pr.set_ylabel('precision')
    ax_pr.set_title(f'precision-recall (star: threshold {threshold:.3f})')
    ax_pr.grid(alpha=0.3)
    ax_pr.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
