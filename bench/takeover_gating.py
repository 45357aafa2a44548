# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 robot_learning maintainers
"""One intervention round with stall gating against one with uncertainty gating.

From one behaviour-cloning checkpoint and its demo bags, for each gating: deploy
``--episodes`` episodes in the built-in sim with the scripted expert supervising (the
``sim_intervene`` profile, ``robot-learning demo``'s dagger stage), retrain from the
checkpoint on demos + takeovers (``--steps``, the same for both), then evaluate the
result closed loop through ``policy_node`` on ``--eval-episodes`` held-out seeds. Real
processes over real topics, as the demo runs them.

Gatings (``expert_teleop takeover``):

- ``on_trouble``: HG-DAgger's human (Kelly et al. 2019): takes over when the robot makes
  less than 0.15 m progress toward the goal over 20 steps or nears an obstacle.
- ``on_request``: ThriftyDAgger's robot asks (Hoque et al., CoRL 2021): ``policy_node``
  requests a takeover when its MC-dropout uncertainty (``uncertainty_samples`` passes,
  Gal & Ghahramani 2016) exceeds the threshold; near obstacles the expert still engages.
  The threshold is the ``--quantile`` of the checkpoint's uncertainty over the demo frames
  (ThriftyDAgger sets its novelty threshold from the training data's, sec. IV-C), or
  ``--threshold``.

Prints, per gating: human (takeover) steps, episodes with a takeover, deploy success,
post-round success; then the ratio of human steps and the success difference
(on_request against on_trouble).

Measured 2026-12-03 (2-core CPU shared with other runs; BC from 50 demos, 0.81 before the
round; 100 evaluation episodes): on_trouble 30 deployments 642 human steps -> 0.78, 54
deployments 1266 -> 0.78; on_request q0.90 (0.045) 1438 -> 0.78, q0.98 (0.179) 1154 ->
0.90.

    MUJOCO_GL=egl python bench/takeover_gating.py --checkpoint RUN/bc/checkpoints/last
        --demo-bags RUN/bags/demos --episodes 30 --steps 2500 --out /tmp/gating
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
import sys

import numpy as np


def demo_uncertainty(checkpoint: Path, bags: Path, samples: int, episodes: int) -> np.ndarray:
    """MC-dropout uncertainty of ``checkpoint`` on every frame of the first demo episodes.

    Returns float64 (frames,), action units (see ``BCPolicy.act_with_uncertainty``).
    """
    from robot_learning.common.features import ActionConfig, RawObservation
    from robot_learning.data.bagdataset import BagDataset, DatasetConfig
    from robot_learning.policy import load_policy

    policy = load_policy(checkpoint)
    dcfg = DatasetConfig(image_size=policy.image_size if policy.needs_image else (0, 0),
                         outcomes=())
    data = BagDataset.build([bags], dcfg, policy.obs_cfg, ActionConfig(), progress=False)
    fr = data.frames
    episode = np.asarray(fr['episode'])
    out = []
    for ep in np.unique(episode)[:episodes]:
        policy.reset()
        for f in np.flatnonzero(episode == ep):
            obs = RawObservation(
                0, fr['sectors'][f], fr['detections'][f], tuple(fr['velocity'][f]),
                data.instructions[fr['instruction'][f]],
                fr['image'][f] if policy.needs_image else None,
            )
            out.append(policy.act_with_uncertainty(obs, samples)[1])
    return np.asarray(out)


def one_round(op, out: Path, args, gating: str, threshold: float) -> dict:
    """Deploy with ``gating``, retrain, evaluate; return the figures of the round."""
    from robot_learning.data.dataset import find_episode_bags
    from robot_learning_bringup.demo_stages import eval_stage, intervene_stage, train_stage

    run = out / gating
    (run / 'logs').mkdir(parents=True, exist_ok=True)
    ibag, deployed = intervene_stage(
        op, run, args.checkpoint, args.episodes, args.seed + 20_000, gating, threshold,
        args.samples,
    )
    bags = find_episode_bags([ibag])
    ckpt = train_stage(
        run, 'bc_round', [args.demo_bags], args.minutes, args.steps, args.seed,
        ['--intervention-bags', str(ibag), '--init-from', str(args.checkpoint)],
    )
    evals = eval_stage(op, run, ckpt, args.eval_episodes, args.seed + 10_000)
    return {
        'gating': gating,
        'threshold': threshold if gating == 'on_request' else None,
        'human_steps': sum(int(b.custom.get('intervention_steps', '0')) for b in bags),
        'episodes_with_takeovers': sum(int(b.custom.get('interventions', '0')) > 0
                                       for b in bags),
        'deploy_success': float(np.mean([r.outcome == 'success' for r in deployed])),
        'post_round_success': float(np.mean([r.outcome == 'success' for r in evals])),
        'eval_episodes': len(evals),
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--checkpoint', type=Path, required=True, help='BC checkpoint deployed')
    ap.add_argument('--demo-bags', type=Path, required=True, help='its demo bags')
    ap.add_argument('--episodes', type=int, default=30, help='deployment episodes per round')
    ap.add_argument('--steps', type=int, default=2500, help='retraining steps per round')
    ap.add_argument('--minutes', type=float, default=30.0, help='retraining wall-clock cap')
    ap.add_argument('--eval-episodes', type=int, default=100)
    ap.add_argument('--samples', type=int, default=8, help='MC-dropout passes per step')
    ap.add_argument('--quantile', type=float, default=0.98,
                    help="threshold = this quantile of the demo frames' uncertainty")
    ap.add_argument('--threshold', type=float, default=0.0, help='> 0: use this threshold')
    ap.add_argument('--gatings', default='on_trouble,on_request')
    ap.add_argument('--seed', type=int, default=0)
    ap.add_argument('--out', type=Path, default=Path('/tmp/takeover_gating'))
    args = ap.parse_args()
    args.checkpoint = args.checkpoint.resolve()
    from robot_learning_bringup.demo_operator import isolate_ros_graph, Operator

    threshold = args.threshold
    if threshold <= 0:
        sigma = demo_uncertainty(args.checkpoint, args.demo_bags, args.samples, 20)
        threshold = float(np.quantile(sigma, args.quantile))
        print(f'demo-frame uncertainty: median {np.median(sigma):.4f}, '
              f'q{args.quantile:g} {threshold:.4f} ({sigma.size} frames) -> threshold')
    isolate_ros_graph()
    args.out.mkdir(parents=True, exist_ok=True)
    op = Operator()
    rows = []
    try:
        for gating in args.gatings.split(','):
            rows.append(one_round(op, args.out, args, gating, threshold))
            print(json.dumps(rows[-1]), flush=True)
    finally:
        op.close()
    (args.out / 'gating.json').write_text(json.dumps(rows, indent=2) + '\n')
    print(f'{"gating":12s} {"human steps":>11s} {"episodes":>8s} {"deploy":>6s} {"after":>6s}')
    for r in rows:
        print(f'{r["gating"]:12s} {r["human_steps"]:11d} {r["episodes_with_takeovers"]:8d} '
              f'{r["deploy_success"]:6.2f} {r["post_round_success"]:6.2f}')
    if len(rows) == 2:
        a, b = rows
        print(f'human steps ratio {b["gating"]}/{a["gating"]}: '
              f'{b["human_steps"] / max(a["human_steps"], 1):.2f}; post-round success '
              f'{b["post_round_success"] - a["post_round_success"]:+.2f}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
