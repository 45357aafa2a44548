# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 robot_learning maintainers
"""``robot-learning demo``: the whole loop over real topics, stage after stage.

Stages (each a profile started as child processes, :mod:`.demo_stages`, driven by the
operator node of :mod:`.demo_operator` in this process; ``--stages`` picks them):
  record  — ``sim_teleop``: the scripted expert drives, the recorder writes one MCAP
            bag per episode; the operator starts/labels/stops episodes through the
            recorder's std_srvs services, like a person with a keyboard would.
  bc      — ``robot-learning train --algo bc`` on those bags (camera + LiDAR +
            instruction), then ``sim_deploy`` evaluates the checkpoint.
  dagger  — ``sim_intervene``: the BC policy drives, the scripted expert takes over when
            it stalls, every episode is recorded; BC is trained again on demos + those
            interventions and evaluated on the same seeds.
  sac     — ``sim_learn``: the SAC learner, its demo buffer seeded from the demo bags,
            learns online while the policy node acts (lockstep, rate-limited so the
            update-to-data ratio stays near ``sac.utd_ratio``; the updates in their own
            process). ``--sac-interventions on``: the scripted expert supervises and
            takes over on trouble, its steps are human transitions (HIL-SERL);
            ``--sac-init offline|calql`` starts from offline SAC pretraining on the demo
            bags. Both off by default (bench/online_ablation.py). Then evaluation,
            reported first.
Writes ``runs/demo-<timestamp>/`` (+ ``runs/latest``): metrics.json, PNGs, bags/,
bc/ and bc_dagger/ (train runs), learner/ (checkpoints, TensorBoard, episodes.jsonl), logs/.
"""

from __future__ import annotations

import json
from pathlib import Path
import time

import numpy as np
from robot_learning.common.curves import plot_learning_curve
from robot_learning.data.transitions import EpisodeRecord

from .demo_operator import isolate_ros_graph, Operator, StageError
from .demo_stages import check_stage_set, eval_stage, intervene_stage, learn_stage
from .demo_stages import record_stage, train_stage
from .evaluate_closed_loop import run_eval_cli

# run_eval_cli and the stage functions stay importable from here (and from the old
# robot_learning_nodes.demo).
__all__ = [
    'Operator',
    'StageError',
    'eval_stage',
    'intervene_stage',
    'learn_stage',
    'record_stage',
    'run_demo',
    'run_eval_cli',
    'train_stage',
]


def _summary(records: list[EpisodeRecord], prefix: str) -> dict:
    from robot_learning.evaluation import closed_loop_metrics

    m = closed_loop_metrics(records)
    m.pop('episodes', None)
    return {
        prefix + k[len('eval_'):] if k.startswith('eval_') else prefix + k: v
        for k, v in m.items()
    }


#: metrics.json's first keys: the online stage, the demo's headline figure.
_ONLINE_KEYS = (
    'eval_success_rate',
    'eval_success_rate_sampled_actions',
    'eval_success_per_instruction',
    'sac_human_steps',
    'sac_levers',
    'env_steps',
    'learner_updates',
    'checkpoint',
)


def _online_first(metrics: dict) -> dict:
    """Return ``metrics`` with the online stage's figures first (then the rest, in order)."""
    first = {k: metrics[k] for k in _ONLINE_KEYS if k in metrics}
    return {**first, **{k: v for k, v in metrics.items() if k not in first}}


def run_demo(args) -> int:
    """Run the main job (see module docstring); return 0 on completion."""
    from robot_learning.evaluation import plot_closed_loop

    stages = [s.strip() for s in args.stages.split(',') if s.strip()]
    unknown = set(stages) - {'record', 'bc', 'dagger', 'sac'}
    if unknown or 'record' not in stages:
        raise StageError(
            f'--stages {args.stages!r}: choose from record,bc,dagger,sac (record is required)'
        )
    if 'dagger' in stages and 'bc' not in stages:
        raise StageError('--stages: dagger needs the bc stage before it')
    # `--set node.param=value` reaches every stage's processes (e.g. sim_node.randomize).
    sim_set = list(getattr(args, 'set', None) or [])
    check_stage_set(sim_set)
    isolate_ros_graph()
    t_start = time.monotonic()
    runs = Path(args.runs_dir)
    run = runs / time.strftime('demo-%Y%m%d-%H%M%S')
    run.mkdir(parents=True, exist_ok=False)
    (run / 'logs').mkdir()
    latest = runs / 'latest'
    if latest.is_symlink() or latest.exists():
        latest.unlink()
    latest.symlink_to(run.name)
    print(f'robot-learning demo: writing {run} (stages: {", ".join(stages)})')
    metrics: dict = {'stages': stages}
    walls: dict = {}

    def lap(name: str, t0: float) -> None:
        walls[name] = round(time.monotonic() - t0, 1)

    op = Operator()
    try:
        t0 = time.monotonic()
        bag, demos = record_stage(op, run, args.demo_episodes, args.seed, sim_set)
        lap('record', t0)
        metrics.update(
            {
                'demo_episodes': len(demos),
                'demo_expert_success_rate': float(
                    np.mean([r.outcome == 'success' for r in demos])
                ),
                'bag': str(bag.resolve()),
            }
        )
        if 'bc' in stages:
            t0 = time.monotonic()
            bc_ckpt = train_stage(run, 'bc', [bag], args.bc_minutes, args.bc_steps, args.seed)
            lap('bc_train', t0)
            t0 = time.monotonic()
            bc_evals = eval_stage(
                op, run, bc_ckpt, args.bc_eval_episodes, args.seed + 10_000, sim_set=sim_set
            )
            lap('bc_eval', t0)
            metrics.update(_summary(bc_evals, 'bc_eval_'))
            metrics['bc_checkpoint'] = str(bc_ckpt.resolve())
            plot_closed_loop(bc_evals, run / 'bc_eval.png', 'behaviour cloning')
        if 'dagger' in stages:
            t0 = time.monotonic()
            ibag, deployed = intervene_stage(
                op, run, bc_ckpt, args.intervention_episodes, args.seed + 20_000,
                getattr(args, 'dagger_takeover', 'on_trouble'),
                getattr(args, 'takeover_uncertainty', 0.18),
                getattr(args, 'uncertainty_samples', 8), sim_set,
            )
            lap('dagger_deploy', t0)
            t0 = time.monotonic()
            # DAgger's next round: continue from the deployed policy on demos + the human's
            # corrections (HG-DAgger aggregation), for half the first round's budget.
            dagger_ckpt = train_stage(
                run,
                'bc_dagger',
                [bag],
                args.bc_minutes / 2,
                args.bc_steps // 2,
                args.seed,
                ['--intervention-bags', str(ibag), '--init-from', str(bc_ckpt)],
            )
            lap('dagger_train', t0)
            t0 = time.monotonic()
            dagger_evals = eval_stage(
                op, run, dagger_ckpt, args.bc_eval_episodes, args.seed + 10_000,
                sim_set=sim_set,
            )
            lap('dagger_eval', t0)
            from robot_learning.data.dataset import find_episode_bags

            ibags = find_episode_bags([ibag])
            metrics.update(
                {
                    'dagger_deploy_episodes': len(deployed),
                    'dagger_deploy_success_rate': float(
                        np.mean([r.outcome == 'success' for r in deployed])
                    ),
                    'dagger_episodes_with_interventions': sum(
                        int(b.custom.get('interventions', '0')) > 0 for b in ibags
                    ),
                    'dagger_intervention_steps': sum(
                        int(b.custom.get('intervention_steps', '0')) for b in ibags
                    ),
                    'dagger_checkpoint': str(dagger_ckpt.resolve()),
                    'dagger_takeover': getattr(args, 'dagger_takeover', 'on_trouble'),
                }
            )
            metrics.update(_summary(dagger_evals, 'bc_dagger_eval_'))
            plot_closed_loop(
                dagger_evals,
                run / 'bc_dagger_eval.png',
                'behaviour cloning + one round of interventions',
            )
        if 'sac' in stages:
            levers = {
                'interventions': getattr(args, 'sac_interventions', 'off') == 'on',
                'init': getattr(args, 'sac_init', 'scratch'),
                'update_process': True,  # config/sac_learner.yaml's default
            }
            extra: list[str] = []
            if levers['init'] != 'scratch':
                t0 = time.monotonic()
                # Offline-to-online: SAC pretrained on the demo bags (with Cal-QL: critics
                # calibrated so that the first online updates do not wreck the actor,
                # Nakamoto et al. 2023), then critic-only updates online before the actor.
                calql = ['--set', 'calql=true'] if levers['init'] == 'calql' else []
                pre = train_stage(
                    run, 'sac_pretrain', [bag], args.sac_pretrain_minutes, 1_000_000,
                    args.seed, ['--threads', '1', *calql], algo='sac',
                )
                lap('sac_pretrain', t0)
                extra += [
                    f'sac_learner.init_from={pre}',
                    f'sac_learner.critic_warmup_updates={args.sac_critic_warmup}',
                ]
            metrics['sac_levers'] = levers
            t0 = time.monotonic()
            ckpt, env_steps = learn_stage(
                op, run, bag, args.learn_steps, args.learn_minutes, args.rate, args.seed + 1,
                getattr(args, 'task_node', 'off'), getattr(args, 'classifier', ''),
                extra, interventions=levers['interventions'], sim_set=sim_set,
            )
            lap('sac_learn', t0)
            t0 = time.monotonic()
            evals = eval_stage(
                op, run, ckpt, args.eval_episodes, args.seed + 10_000, sim_set=sim_set
            )
            # Same episodes with actions sampled from the SAC policy instead of its mean: the
            # mean can stall where the stochastic policy does not (reported, not the headline).
            sampled = eval_stage(
                op, run, ckpt, max(args.eval_episodes // 2, 1), args.seed + 10_000,
                deterministic=False, sim_set=sim_set,
            )
            lap('sac_eval', t0)
            metrics.update(_summary(evals, 'eval_'))
            # Whose episodes and reward SAC learned from: the sim's ('off') or task_node's.
            metrics['sac_task_node'] = getattr(args, 'task_node', 'off')
            metrics.update(
                {
                    'eval_success_rate_sampled_actions': float(
                        np.mean([r.outcome == 'success' for r in sampled])
                    ),
                    'env_steps': env_steps,
                    'checkpoint': str(ckpt),
                }
            )
            ck_meta = ckpt / 'checkpoint.json'
            if ck_meta.exists():
                meta = json.loads(ck_meta.read_text())
                metrics['checkpoint_env_steps'] = meta.get('env_steps')
                metrics['checkpoint_training_success'] = meta.get('best_training_success')
            latest_meta = ckpt.parent / 'latest' / 'checkpoint.json'
            if latest_meta.exists():
                metrics['learner_updates'] = json.loads(latest_meta.read_text()).get('updates')
            jsonl = run / 'learner' / 'episodes.jsonl'
            lines = jsonl.read_text().splitlines() if jsonl.exists() else []
            rows = [json.loads(line) for line in lines if line.strip()]
            # Steps the supervising expert drove while SAC learned (HIL-SERL interventions).
            metrics['sac_human_steps'] = int(sum(r.get('human_steps', 0) for r in rows))
            plot_learning_curve(
                rows,
                run / 'learning_curve.png',
                title='online SAC in the built-in simulator',
                window=50,
                eval_rate=metrics['eval_success_rate'],
            )
    finally:
        op.close()
    metrics['wall_clock_s'] = round(time.monotonic() - t_start, 1)
    metrics['stage_wall_clock_s'] = walls
    metrics = _online_first(metrics)
    (run / 'metrics.json').write_text(json.dumps(metrics, indent=2) + '\n')
    headline = (
        'eval_success_rate',
        'eval_success_rate_sampled_actions',
        'sac_human_steps',
        'bc_dagger_eval_success_rate',
        'bc_eval_success_rate',
        'demo_episodes',
        'env_steps',
        'wall_clock_s',
    )
    print(json.dumps({k: metrics[k] for k in headline if k in metrics}))
    for prefix, label in (
        ('eval_', 'SAC (online)'),
        ('bc_dagger_eval_', 'BC + interventions'),
        ('bc_eval_', 'BC'),
    ):
        for instr, v in metrics.get(prefix + 'success_per_instruction', {}).items():
            print(f'  {label:20s} {instr:28s} {v["success_rate"]:.2f} ({v["episodes"]} episodes)')
    print(f'robot-learning demo: metrics in {run / "metrics.json"}')
    return 0
