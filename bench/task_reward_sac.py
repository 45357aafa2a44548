# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 robot_learning maintainers
"""Online SAC from task_node's reward against the simulator's own; prints figures.

    source install/setup.bash && MUJOCO_GL=egl python bench/task_reward_sac.py \
        --classifier RUN/checkpoints/best [--variants off,classifier] [--steps 20000]

One run directory (``runs/bench-task-reward-<time>/``), one set of demos (the demo's
record stage: ``--demos`` scripted-expert episodes), then per variant the demo's SAC
stage over real topics, then the same deterministic (and sampled) evaluation through
``sim_deploy`` on the same held-out seeds, judged by the simulator's outcome:

* ``off``: ``sim_learn``, the simulator's privileged episode stream and reward (the
  reference);
* ``dense``: ``sim_task_learn``, task_node's episodes with the dense reward computed
  from the robot pose and the ground-truth pillar poses (``sim/objects/*``);
* ``classifier``: ``sim_task_learn``, task_node's sparse reward from the success
  classifier on the camera (+ LiDAR sectors + instruction).

Every variant has the same seeds, demos and step budget, and the sim is paced by the
learner's progress (``sim_node.lockstep_max_lag``), so the UTD ratio is the configured 1
however busy the machine is and the camera variant's slower steps cost wall time, not
updates. Prints success per variant and its ratio to ``off`` (the issue-10 target for
``classifier`` is >= 0.9), and writes ``bench.json`` in the run directory.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
import sys
import time

import numpy as np


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--classifier', default='', help='RUN/checkpoints/best (variant classifier)')
    ap.add_argument('--variants', default='off,classifier')
    ap.add_argument('--steps', type=int, default=20000, help='environment steps per variant')
    ap.add_argument('--minutes', type=float, default=60.0, help='wall-clock cap per variant')
    ap.add_argument('--demos', type=int, default=30)
    ap.add_argument('--eval-episodes', type=int, default=50)
    ap.add_argument('--rate', type=float, default=70.0, help='lockstep steps/s cap')
    ap.add_argument('--max-lag', type=int, default=100, help='sim_node.lockstep_max_lag')
    ap.add_argument('--seed', type=int, default=0)
    ap.add_argument('--runs-dir', default='runs')
    args = ap.parse_args()

    from robot_learning_bringup.demo_operator import isolate_ros_graph, Operator
    from robot_learning_bringup.demo_stages import eval_stage, learn_stage, record_stage

    variants = [v.strip() for v in args.variants.split(',') if v.strip()]
    bad = set(variants) - {'off', 'dense', 'classifier', 'dense_classifier'}
    if bad or (any('classifier' in v for v in variants) and not args.classifier):
        print(f'--variants {args.variants!r}: off, dense, classifier (classifier needs '
              '--classifier)', file=sys.stderr)
        return 2
    isolate_ros_graph()
    run = Path(args.runs_dir) / time.strftime('bench-task-reward-%Y%m%d-%H%M%S')
    (run / 'logs').mkdir(parents=True)
    print(f'bench/task_reward_sac.py: writing {run}')
    op = Operator()
    results: dict = {'args': vars(args), 'variants': {}}
    try:
        bag, demos = record_stage(op, run, args.demos, args.seed)
        results['demo_success'] = float(np.mean([r.outcome == 'success' for r in demos]))
        for v in variants:
            vrun = run / v
            (vrun / 'logs').mkdir(parents=True)
            t0 = time.monotonic()
            ckpt, env_steps = learn_stage(
                op, vrun, bag, args.steps, args.minutes, args.rate, args.seed + 1,
                v, args.classifier, [f'sim_node.lockstep_max_lag={args.max_lag}'],
            )
            learn_s = time.monotonic() - t0
            out = {'env_steps': env_steps, 'learn_s': round(learn_s, 1), 'checkpoint': str(ckpt)}
            for det in (True, False):
                recs = eval_stage(
                    op, vrun, ckpt, args.eval_episodes, args.seed + 10_000, deterministic=det
                )
                key = 'success' if det else 'success_sampled'
                out[key] = float(np.mean([r.outcome == 'success' for r in recs]))
            rows = []
            jsonl = vrun / 'learner' / 'episodes.jsonl'
            if jsonl.exists():
                rows = [json.loads(x) for x in jsonl.read_text().splitlines() if x.strip()]
            out['training_episodes'] = len(rows)
            out['training_success_last50'] = (
                float(np.mean([r.get('outcome') == 'success' for r in rows[-50:]]))
                if rows else None
            )
            results['variants'][v] = out
            print(f'{v:10s} {json.dumps(out)}', flush=True)
            (run / 'bench.json').write_text(json.dumps(results, indent=2))
    finally:
        op.close()
    ref = results['variants'].get('off')
    print(f'\n{"variant":10s} {"steps":>7s} {"learn s":>8s} {"success":>8s} {"sampled":>8s} '
          f'{"ratio":>6s}')
    for v, out in results['variants'].items():
        ratio = (out['success'] / ref['success']) if ref and ref['success'] else float('nan')
        out['ratio_to_off'] = ratio
        print(f'{v:10s} {out["env_steps"]:7d} {out["learn_s"]:8.0f} {out["success"]:8.2f} '
              f'{out["success_sampled"]:8.2f} {ratio:6.2f}')
    (run / 'bench.json').write_text(json.dumps(results, indent=2))
    return 0


if __name__ == '__main__':
    sys.exit(main())
