# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 robot_learning maintainers
"""``robot-learning demo`` and ``robot-learning eval``: the whole loop over real topics.

Stages (each a profile started as child processes, driven by an operator node here;
``--stages`` picks them):
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
            update-to-data ratio stays near ``sac.utd_ratio``), then evaluation.
Writes ``runs/demo-<timestamp>/`` (+ ``runs/latest``): metrics.json, PNGs, bags/,
bc/ and bc_dagger/ (train runs), learner/ (checkpoints, TensorBoard, episodes.jsonl), logs/.
"""

from __future__ import annotations

from collections import deque
import json
import os
from pathlib import Path
import random
import threading
import time

import numpy as np
from robot_learning.data.transitions import EpisodeRecord
from robot_learning.errors import RobotLearningError

from .launcher import ProfileProcesses


class StageError(RobotLearningError):
    """A demo stage could not complete (a process died, a service never appeared)."""


class Operator:
    """In-process rclpy node: watches ``episode``, calls recorder / sim / learner services."""

    def __init__(self):
        from diagnostic_msgs.msg import DiagnosticArray
        import rclpy
        from rclpy.executors import SingleThreadedExecutor
        from robot_learning_nodes.common import DEEP_RELIABLE_QOS
        from std_srvs.srv import SetBool, Trigger

        rclpy.init()
        self.node = rclpy.create_node(
            'demo_operator',
            parameter_overrides=[rclpy.parameter.Parameter('use_sim_time', value=False)],
        )
        self._lock = threading.Lock()
        self.steps = 0
        self.records: list[EpisodeRecord] = []
        self._last_stamp = -1
        # Wall time (ns) of the last reset_counts(): statuses published before it belong to
        # an earlier stage's sim, even when this node only processes them afterwards.
        self._since_ns = 0
        self._seen_end: set = set()
        self.node.create_subscription(
            DiagnosticArray, 'episode', self._on_episode, DEEP_RELIABLE_QOS
        )
        self.clients = {
            'start': self.node.create_client(Trigger, 'recorder/start_episode'),
            'stop': self.node.create_client(Trigger, 'recorder/stop_episode'),
            'discard': self.node.create_client(Trigger, 'recorder/discard_episode'),
            'success': self.node.create_client(SetBool, 'recorder/set_success'),
            'reset': self.node.create_client(Trigger, 'sim/reset'),
            'save': self.node.create_client(Trigger, 'learner/save_checkpoint'),
        }
        self._types = {'success': SetBool}
        self._Trigger = Trigger
        self._ex = SingleThreadedExecutor()
        self._ex.add_node(self.node)
        self._thread = threading.Thread(target=self._spin, daemon=True)
        self._thread.start()

    def _spin(self):
        try:
            self._ex.spin()
        except Exception:  # executor stops at shutdown
            pass

    def _on_episode(self, msg, sent) -> None:
        from robot_learning.common.features import step_info_from_msg

        try:
            info = step_info_from_msg(msg)
        except RobotLearningError:
            return
        with self._lock:
            if 0 < sent.get('source_timestamp', 0) < self._since_ns:
                # Queued from the previous stage's sim (its clock ran further): counted, its
                # stamp would hide every status of the fresh sim, whose clock starts at 0.
                return
            if info.stamp <= self._last_stamp:
                return  # a lockstep resend of a step already counted
            self._last_stamp = info.stamp
            if info.prev_stamp >= 0:
                self.steps += 1
            if (info.terminated or info.truncated) and (
                info.episode,
                info.stamp,
            ) not in self._seen_end:
                self._seen_end.add((info.episode, info.stamp))
                self.records.append(
                    EpisodeRecord(
                        info.episode,
                        info.instruction,
                        info.outcome,
                        info.episode_return,
                        info.step,
                        info.stamp,
                    )
                )

    def reset_counts(self) -> None:
        with self._lock:
            self._since_ns = time.time_ns()
            self.steps = 0
            self.records = []
            self._last_stamp = -1
            # A fresh sim restarts clock and episode ids: its episode 1 may end at the very
            # stamp the previous stage's episode 1 did, and must still be seen.
            self._seen_end = set()

    def call(self, name: str, data: bool | None = None, timeout: float = 30.0) -> str:
        """Call a service; returns its message. Raises StageError if it never answers."""
        cli = self.clients[name]
        if not cli.wait_for_service(timeout_sec=timeout):
            raise StageError(
                f'service {cli.srv_name} did not appear within {timeout:.0f} s (see logs/)'
            )
        req = self._types.get(name, self._Trigger).Request()
        if data is not None:
            req.data = data
        fut = cli.call_async(req)
        t0 = time.monotonic()
        while not fut.done():
            if time.monotonic() - t0 > timeout:
                raise StageError(f'service {cli.srv_name} did not answer within {timeout:.0f} s')
            time.sleep(0.002)
        res = fut.result()
        if not res.success:
            raise StageError(f'{cli.srv_name} failed: {res.message}')
        return res.message

    def close(self) -> None:
        import rclpy

        self._ex.shutdown(timeout_sec=1.0)
        self.node.destroy_node()
        rclpy.try_shutdown()


def _check(procs: ProfileProcesses, stage: str, log_dir: Path) -> None:
    dead = procs.failed()
    if dead:
        g, code = next(iter(dead.items()))
        procs.stop()
        raise StageError(
            f'{stage}: process group {g!r} exited with code {code}; see '
            f'{log_dir}/{procs.profile_name}.{g}.log'
        )


def _bar(total: int, desc: str, unit: str):
    import sys

    from tqdm import tqdm

    # In a log file (CI, nohup) redraw every 10 s instead of flooding it with \r lines.
    tty = sys.stderr.isatty()
    return tqdm(
        total=total,
        desc=desc,
        unit=unit,
        dynamic_ncols=True,
        leave=True,
        mininterval=0.2 if tty else 10.0,
    )


def _operate_episodes(
    op: Operator, procs: ProfileProcesses, run: Path, episodes: int, stage: str, desc: str
) -> list[EpisodeRecord]:
    """Record ``episodes`` episodes the way a person at the keyboard would.

    Start a bag, reset the sim, wait for the episode to end, label it, stop the bag.
    """
    # A fresh sim process restarts its clock and episode ids: forget the last stage's.
    op.reset_counts()
    kept: list[EpisodeRecord] = []
    bar = _bar(episodes, desc, 'episode')
    while len(kept) < episodes:
        _check(procs, stage, run / 'logs')
        op.call('start', timeout=60.0)
        # The reset answers "episode <id>: <instruction>"; wait for the end of *that*
        # episode, not of one it interrupted whose statuses may still be in flight.
        ep = int(op.call('reset', timeout=60.0).split(':', 1)[0].split()[-1])
        t0 = time.monotonic()
        rec = None
        while rec is None:
            _check(procs, stage, run / 'logs')
            if time.monotonic() - t0 > 180.0:
                raise StageError(f'{stage}: episode {ep} took over 180 s; see logs/')
            time.sleep(0.005)
            rec = next((r for r in op.records if r.episode == ep), None)
        op.call('success', data=(rec.outcome == 'success'))
        op.call('stop')
        kept.append(rec)
        bar.update(1)
        bar.set_postfix(
            success=f"{np.mean([r.outcome == 'success' for r in kept]):.2f}", refresh=False
        )
    bar.close()
    return kept


def record_stage(
    op: Operator, run: Path, episodes: int, seed: int
) -> tuple[Path, list[EpisodeRecord]]:
    bag_root = run / 'bags'
    # The camera is recorded at the resolution the deployed sim renders (sim_node.yaml),
    # so behaviour cloning sees the same images in training and in deployment.
    procs = ProfileProcesses(
        'sim_teleop',
        [
            'sim_node.mode=lockstep',
            'sim_node.autoreset=false',
            f'sim_node.seed={seed}',
            f'demo_recorder.output_dir={bag_root}',
            'demo_recorder.session=demos',
        ],
        log_dir=run / 'logs',
    )
    try:
        kept = _operate_episodes(op, procs, run, episodes, 'record', 'record demos')
    finally:
        procs.stop()
    return bag_root / 'demos', kept


def _deploy_overrides(checkpoint: Path) -> list[str]:
    """Return the sim/camera settings a checkpoint needs.

    Camera policies get camera_ingest at the checkpoint's image size; others run without
    rendering.
    """
    from robot_learning.policy import load_policy

    policy = load_policy(checkpoint)
    if not policy.needs_image:
        return ['sim_node.camera_every=0']
    w, h = policy.image_size
    return ['sim_node.camera_every=1', f'camera_ingest.width={w}', f'camera_ingest.height={h}']


def train_stage(
    run: Path,
    name: str,
    bags: list[Path],
    minutes: float,
    steps: int,
    seed: int,
    extra: list[str] | None = None,
) -> Path:
    """``robot-learning train`` in a child process (its log in logs/train_<name>.log).

    Returns ``checkpoints/last``, the policy trained to the budget, not ``best``: the
    validation loss of behaviour cloning (cross-entropy over action bins on held-out
    episodes) bottoms out early while closed-loop success keeps improving, as robomimic
    found (Mandlekar et al. 2021, "What Matters in Learning from Offline Human
    Demonstrations", sec. 5); ``bc/loss_curve.png`` shows it.
    """
    import subprocess
    import sys

    out = run / name
    cmd = [
        sys.executable,
        '-m',
        'robot_learning.train',
        '--algo',
        'bc',
        '--bags',
        *map(str, bags),
        '--out',
        str(out),
        '--seed',
        str(seed),
        '--minutes',
        str(minutes),
        '--steps',
        str(steps),
        *(extra or []),
    ]
    log = run / 'logs' / f'train_{name}.log'
    print(f'robot-learning demo: training {name} (<= {minutes:g} min), log in {log}', flush=True)
    with open(log, 'w') as f:
        proc = subprocess.run(cmd, stdout=f, stderr=subprocess.STDOUT)
    if proc.returncode != 0:
        tail = log.read_text().strip().splitlines()[-1:] or ['(no output)']
        raise StageError(f'train {name} failed (exit {proc.returncode}): {tail[0]}; see {log}')
    last = out / 'checkpoints' / 'last'
    if not (last / 'checkpoint.json').exists():
        raise StageError(f'train {name} wrote no checkpoint; see {log}')
    return last


def intervene_stage(
    op: Operator, run: Path, checkpoint: Path, episodes: int, seed: int
) -> tuple[Path, list[EpisodeRecord]]:
    """Deploy ``checkpoint`` with the scripted expert as a supervising human (HG-DAgger).

    The expert takes over when the robot stalls; every episode is recorded.
    """
    bag_root = run / 'bags'
    procs = ProfileProcesses(
        'sim_intervene',
        [
            'sim_node.mode=lockstep',
            'sim_node.autoreset=false',
            f'sim_node.seed={seed}',
            'sim_node.lockstep_resend_s=0.2',
            f'policy_node.checkpoint={checkpoint}',
            *_deploy_overrides(checkpoint),
            f'demo_recorder.output_dir={bag_root}',
            'demo_recorder.session=interventions',
        ],
        log_dir=run / 'logs',
    )
    try:
        kept = _operate_episodes(op, procs, run, episodes, 'intervene', 'deploy with takeovers')
    finally:
        procs.stop()
    return bag_root / 'interventions', kept


def learn_stage(
    op: Operator, run: Path, bag: Path, steps: int, minutes: float, rate: float, seed: int
) -> tuple[Path, int]:
    learner_dir = run / 'learner'
    procs = ProfileProcesses(
        'sim_learn',
        [
            f'sim_node.seed={seed}',
            f'sim_node.lockstep_max_rate={rate}',
            f'sac_learner.run_dir={learner_dir}',
            f'sac_learner.demo_bags=["{bag}"]',
            f'sac_learner.max_env_steps={steps}',
            f'sac_learner.sac.seed={seed}',
        ],
        log_dir=run / 'logs',
    )
    op.reset_counts()
    try:
        bar = _bar(steps, 'learn (SAC)', 'step')
        t0, last = time.monotonic(), 0
        recent = deque(maxlen=50)
        n_rec = 0
        last_progress = time.monotonic()
        while op.steps < steps and time.monotonic() - t0 < minutes * 60:
            _check(procs, 'learn', run / 'logs')
            time.sleep(0.5)
            s = op.steps
            if s > last:
                last_progress = time.monotonic()
            elif time.monotonic() - last_progress > 60:
                raise StageError('learn: no environment step for 60 s; see logs/sim_learn.*.log')
            bar.update(s - last)
            last = s
            for r in op.records[n_rec:]:
                recent.append(r.outcome == 'success')
            n_rec = len(op.records)
            if recent:
                bar.set_postfix(
                    episodes=n_rec, success_last50=f'{np.mean(recent):.2f}', refresh=False
                )
        bar.close()
        env_steps = op.steps
        latest = Path(op.call('save', timeout=60.0))
    finally:
        procs.stop()
    # The learner keeps the actor of its best rolling training success in checkpoints/best.
    best = latest.parent / 'best'
    return (best if (best / 'checkpoint.json').exists() else latest), env_steps


def eval_stage(
    op: Operator, run: Path, checkpoint: Path, episodes: int, seed: int, deterministic: bool = True
) -> list[EpisodeRecord]:
    procs = ProfileProcesses(
        'sim_deploy',
        [
            'sim_node.mode=lockstep',
            f'sim_node.seed={seed}',
            *_deploy_overrides(checkpoint),
            f'policy_node.checkpoint={checkpoint}',
            f'policy_node.deterministic={str(deterministic).lower()}',
        ],
        log_dir=run / 'logs',
    )
    op.reset_counts()
    try:
        bar = _bar(
            episodes, 'evaluate' if deterministic else 'evaluate (sampled actions)', 'episode'
        )
        t0, shown = time.monotonic(), 0
        while len(op.records) < episodes:
            _check(procs, 'eval', run / 'logs')
            if time.monotonic() - t0 > 30 + 10.0 * episodes:
                raise StageError('eval: episodes stopped coming; see logs/')
            time.sleep(0.2)
            n = min(len(op.records), episodes)
            bar.update(n - shown)
            shown = n
            if n:
                bar.set_postfix(
                    success=f'{np.mean([r.outcome == "success" for r in op.records[:n]]):.2f}',
                    refresh=False,
                )
        bar.close()
    finally:
        procs.stop()
    return op.records[:episodes]


def _trailing_mean(x: np.ndarray, window: int) -> np.ndarray:
    """Mean of the last ``window`` values at every index (fewer at the start)."""
    c = np.concatenate([[0.0], np.cumsum(x, dtype=np.float64)])
    idx = np.arange(1, len(x) + 1)
    lo = np.maximum(idx - window, 0)
    return (c[idx] - c[lo]) / (idx - lo)


def plot_learning_curve(
    episodes_jsonl: Path, out_png: Path, eval_rate: float | None = None, window: int = 50
) -> None:
    """Success rate and return (rolling mean over ``window`` episodes) against env steps."""
    import matplotlib

    matplotlib.use('Agg')
    import matplotlib.pyplot as plt

    rows = (
        [json.loads(line) for line in episodes_jsonl.read_text().splitlines() if line.strip()]
        if episodes_jsonl.exists()
        else []
    )
    fig, (ax1, ax2) = plt.subplots(2, 1, figsize=(8, 6), sharex=True)
    if rows:
        x = np.array([r['env_steps'] for r in rows])
        succ = np.array([float(r['success']) for r in rows])
        ret = np.array([r['return'] for r in rows])
        ax1.plot(x, succ, '.', alpha=0.15, color='tab:green')
        ax1.plot(
            x,
            _trailing_mean(succ, window),
            color='tab:green',
            label=f'training (last {window} episodes)',
        )
        ax2.plot(x, ret, '.', alpha=0.15, color='tab:blue')
        ax2.plot(x, _trailing_mean(ret, window), color='tab:blue')
        if eval_rate is not None:
            ax1.axhline(eval_rate, ls='--', color='k', label=f'final eval {eval_rate:.2f}')
    ax1.set_ylabel('success rate')
    ax1.set_ylim(-0.02, 1.02)
    ax1.legend(loc='lower right')
    ax2.set_ylabel('episode return')
    ax2.set_xlabel('environment steps')
    fig.suptitle('online SAC in the built-in simulator')
    fig.tight_layout()
    fig.savefig(out_png, dpi=100)
    plt.close(fig)


def _isolate_ros_graph() -> None:
    # A private DDS domain: the demo must not hear (or disturb) other robots on the LAN.
    if 'ROS_DOMAIN_ID' not in os.environ:
        os.environ['ROS_DOMAIN_ID'] = str(random.randint(120, 200))
    os.environ.setdefault('ROS_AUTOMATIC_DISCOVERY_RANGE', 'LOCALHOST')
    os.environ.setdefault('MUJOCO_GL', 'egl')


def _summary(records: list[EpisodeRecord], prefix: str) -> dict:
    from robot_learning.evaluation import closed_loop_metrics

    m = closed_loop_metrics(records)
    m.pop('episodes', None)
    return {
        prefix + k[len('eval_'):] if k.startswith('eval_') else prefix + k: v
        for k, v in m.items()
    }


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
    _isolate_ros_graph()
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
        bag, demos = record_stage(op, run, args.demo_episodes, args.seed)
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
            bc_evals = eval_stage(op, run, bc_ckpt, args.bc_eval_episodes, args.seed + 10_000)
            lap('bc_eval', t0)
            metrics.update(_summary(bc_evals, 'bc_eval_'))
            metrics['bc_checkpoint'] = str(bc_ckpt.resolve())
            plot_closed_loop(bc_evals, run / 'bc_eval.png', 'behaviour cloning')
        if 'dagger' in stages:
            t0 = time.monotonic()
            ibag, deployed = intervene_stage(
                op, run, bc_ckpt, args.intervention_episodes, args.seed + 20_000
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
                op, run, dagger_ckpt, args.bc_eval_episodes, args.seed + 10_000
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
                }
            )
            metrics.update(_summary(dagger_evals, 'bc_dagger_eval_'))
            plot_closed_loop(
                dagger_evals,
                run / 'bc_dagger_eval.png',
                'behaviour cloning + one round of interventions',
            )
        if 'sac' in stages:
            t0 = time.monotonic()
            ckpt, env_steps = learn_stage(
                op, run, bag, args.learn_steps, args.learn_minutes, args.rate, args.seed + 1
            )
            lap('sac_learn', t0)
            t0 = time.monotonic()
            evals = eval_stage(op, run, ckpt, args.eval_episodes, args.seed + 10_000)
            # Same episodes with actions sampled from the SAC policy instead of its mean: the
            # mean can stall where the stochastic policy does not (reported, not the headline).
            sampled = eval_stage(
                op, run, ckpt, args.eval_episodes, args.seed + 10_000, deterministic=False
            )
            lap('sac_eval', t0)
            metrics.update(_summary(evals, 'eval_'))
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
            plot_learning_curve(
                run / 'learner' / 'episodes.jsonl',
                run / 'learning_curve.png',
                metrics['eval_success_rate'],
            )
    finally:
        op.close()
    metrics['wall_clock_s'] = round(time.monotonic() - t_start, 1)
    metrics['stage_wall_clock_s'] = walls
    (run / 'metrics.json').write_text(json.dumps(metrics, indent=2) + '\n')
    headline = (
        'bc_eval_success_rate',
        'bc_dagger_eval_success_rate',
        'eval_success_rate',
        'eval_success_rate_sampled_actions',
        'demo_episodes',
        'env_steps',
        'wall_clock_s',
    )
    print(json.dumps({k: metrics[k] for k in headline if k in metrics}))
    for prefix, label in (
        ('bc_eval_', 'BC'),
        ('bc_dagger_eval_', 'BC + interventions'),
        ('eval_', 'SAC'),
    ):
        for instr, v in metrics.get(prefix + 'success_per_instruction', {}).items():
            print(f'  {label:20s} {instr:28s} {v["success_rate"]:.2f} ({v["episodes"]} episodes)')
    print(f'robot-learning demo: metrics in {run / "metrics.json"}')
    return 0


def run_eval_cli(args) -> int:
    """``robot-learning eval --checkpoint DIR --episodes N`` in the built-in sim."""
    from robot_learning.evaluation import closed_loop_metrics, plot_closed_loop
    from robot_learning.policy import load_policy

    from .launcher import config_dir, params_file_section

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
    _isolate_ros_graph()
    out = Path(args.out) if args.out else Path(args.checkpoint).resolve().parent.parent / 'eval'
    out.mkdir(parents=True, exist_ok=True)
    op = Operator()
    t0 = time.monotonic()
    try:
        evals = eval_stage(op, out, Path(args.checkpoint).resolve(), args.episodes, args.seed)
    finally:
        op.close()
    metrics = {
        'checkpoint': str(Path(args.checkpoint).resolve()),
        **closed_loop_metrics(evals),
        'wall_clock_s': round(time.monotonic() - t0, 1),
    }
    (out / 'metrics.json').write_text(json.dumps(metrics, indent=2) + '\n')
    plot_closed_loop(evals, out / 'eval.png', Path(args.checkpoint).name)
    print(json.dumps({k: v for k, v in metrics.items() if k != 'episodes'}, indent=2))
    print(f'robot-learning eval: metrics in {out / "metrics.json"}, plot in {out / "eval.png"}')
    return 0
