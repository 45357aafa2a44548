# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 robot_learning maintainers
"""``robot-learning eval --checkpoint DIR``: a checkpoint's closed-loop success in the sim.

Runs the ``sim_deploy`` profile with the checkpoint (:func:`.demo_stages.eval_stage`) and
writes ``metrics.json`` and ``eval.png`` to ``--out`` (default: ``eval/`` next to the
checkpoints directory).
"""

from __future__ import annotations

import json
from pathlib import Path
import time

from .demo_operator import isolate_ros_graph, Operator
from .demo_stages import eval_stage
from .profiles import config_dir, params_file_section

__all__ = ['run_eval_cli']


def run_eval_cli(args) -> int:
    """``robot-learning eval --checkpoint DIR --episodes N`` in the built-in sim."""
    from robot_learning.evaluation import closed_loop_metrics, plot_closed_loop
    from robot_learning.policy import load_policy

    # Fail fast, in one line, before starting anything: the checkpoint must fit what the
    # sim_deploy profile feeds it (lidar sectors, pillar colours, a 2-D Twist action).
    cdir = config_dir()
    lidar = params_file_section(cdir / 'lidar_ingest.yaml', 'lidar_ingest')
    sim = params_file_section(cdir / 'sim_node.yaml', 'sim_node')
    load_policy(
        args.checkpoint,
        expected={
            'observation.num_sectors': lidar['num_sectors'],
            'observation.colors': sim['colors'],
            'action_dim': 2,
        },
    )
    isolate_ros_graph()
    out = Path(args.out) if args.out else Path(args.checkpoint).resolve().parent.parent / 'eval'
    out.mkdir(parents=True, exist_ok=True)
    op = Operator()
    t0 = time.monotonic()
    try:
        evals = eval_stage(op, out, Path(args.checkpoint).resolve(), args.episodes, args.seed,
                           sim_set=list(getattr(args, 'set', None) or []))
    finally:
        op.close()
    metrics = {
        'checkpoint': str(Path(args.checkpoint).resolve()),
        'set': list(getattr(args, 'set', None) or []),
        **closed_loop_metrics(evals),
        'wall_clock_s': round(time.monotonic() - t0, 1),
    }
    (out / 'metrics.json').write_text(json.dumps(metrics, indent=2) + '\n')
    plot_closed_loop(evals, out / 'eval.png', Path(args.checkpoint).name)
    print(json.dumps({k: v for k, v in metrics.items() if k != 'episodes'}, indent=2))
    print(f'robot-learning eval: metrics in {out / "metrics.json"}, plot in {out / "eval.png"}')
    return 0
