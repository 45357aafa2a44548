"""``robot-learning demo`` and ``robot-learning eval``: the whole loop over real topics.

Stages (each a profile started as child processes, driven by an operator node here):
  1. record  — ``sim_teleop``: the scripted expert drives, the recorder writes one MCAP
               bag per episode; the operator starts/labels/stops episodes through the
               recorder's std_srvs services, like a person with a keyboard would.
  2. learn   — ``sim_learn``: the SAC learner, its demo buffer seeded from those bags,
               learns online while the policy node acts (lockstep, rate-limited so the
               update-to-data ratio stays near ``sac.utd_ratio``).
  3. eval    — ``sim_deploy``: the final checkpoint alone, deterministic, fresh seeds.
Writes ``runs/demo-<timestamp>/`` (+ ``runs/latest``): metrics.json, learning_curve.png,
bags/, learner/ (checkpoints, TensorBoard, episodes.jsonl), logs/.
"""

from __future__ import annotations

import json
import os
import random
import threading
import time
from collections import deque
from pathlib import Path

import numpy as np

from robot_learning.errors import RobotLearningError
from robot_learning.transitions import EpisodeRecord, success_by_instruction

from .launcher import ProfileProcesses


class StageError(RobotLearningError):
    """A demo stage could not complete (a process died, a service never appeared)."""


class Operator:
    """In-process rclpy node: watches ``episode``, calls recorder / sim / learner services."""

    def __init__(self):
        import rclpy
        from diagnostic_msgs.msg import DiagnosticArray
        from rclpy.executors import SingleThreadedExecutor
        from std_srvs.srv import SetBool, Trigger

        from .common import DEEP_RELIABLE_QOS
        rclpy.init()
        self.node = rclpy.create_node('demo_operator', parameter_overrides=[
            rclpy.parameter.Parameter('use_sim_time', value=False)])
        self._lock = threading.Lock()
        self.steps = 0
        self.records: list[EpisodeRecord] = []
        self._last_stamp = -1
        self._seen_end: set = set()
        self.node.create_subscription(DiagnosticArray, 'episode', self._on_episode, DEEP_RELIABLE_QOS)
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

    def _on_episode(self, msg) -> None:
        from robot_learning.features import step_info_from_msg
        try:
            info = step_info_from_msg(msg)
        except RobotLearningError:
            return
        with self._lock:
            if info.stamp <= self._last_stamp:
                return  # a lockstep resend of a step already counted
            self._last_stamp = info.stamp
            if info.prev_stamp >= 0:
                self.steps += 1
            if (info.terminated or info.truncated) and (info.episode, info.stamp) not in self._seen_end:
                self._seen_end.add((info.episode, info.stamp))
                self.records.append(EpisodeRecord(info.episode, info.instruction, info.outcome,
                                                  info.episode_return, info.step, info.stamp))

    def reset_counts(self) -> None:
        with self._lock:
            self.steps = 0
            self.records = []
            self._last_stamp = -1

    def call(self, name: str, data: bool | None = None, timeout: float = 30.0) -> str:
        """Call a service; returns its message. Raises StageError if it never answers."""
        cli = self.clients[name]
        if not cli.wait_for_service(timeout_sec=timeout):
            raise StageError(f'service {cli.srv_name} did not appear within {timeout:.0f} s (see logs/)')
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
        raise StageError(f'{stage}: process group {g!r} exited with code {code}; see {log_dir}/{procs.profile_name}.{g}.log')


def _bar(total: int, desc: str, unit: str):
    import sys

    from tqdm import tqdm
    # In a log file (CI, nohup) redraw every 10 s instead of flooding it with \r lines.
    tty = sys.stderr.isatty()
    return tqdm(total=total, desc=desc, unit=unit, dynamic_ncols=True, leave=True,
                mininterval=0.2 if tty else 10.0)


def record_stage(op: Operator, run: Path, episodes: int, seed: int) -> tuple[Path, list[EpisodeRecord]]:
    bag_root = run / 'bags'
    procs = ProfileProcesses('sim_teleop', [
        'sim_node.mode=lockstep', 'sim_node.autoreset=false', f'sim_node.seed={seed}',
        'sim_node.camera_width=96', 'sim_node.camera_height=72',
        f'demo_recorder.output_dir={bag_root}', 'demo_recorder.session=demos'], log_dir=run / 'logs')
    kept: list[EpisodeRecord] = []
    try:
        bar = _bar(episodes, 'record demos', 'episode')
        while len(kept) < episodes:
            _check(procs, 'record', run / 'logs')
            op.call('start', timeout=60.0)
            # The reset answers "episode <id>: <instruction>"; wait for the end of *that*
            # episode, not of one it interrupted whose statuses may still be in flight.
            ep = int(op.call('reset', timeout=60.0).split(':', 1)[0].split()[-1])
            t0 = time.monotonic()
            rec = None
            while rec is None:
                _check(procs, 'record', run / 'logs')
                if time.monotonic() - t0 > 120.0:
                    raise StageError(f'record: episode {ep} took over 120 s; see logs/')
                time.sleep(0.005)
                rec = next((r for r in op.records if r.episode == ep), None)
            op.call('success', data=(rec.outcome == 'success'))
            op.call('stop')
            kept.append(rec)
            bar.update(1)
            bar.set_postfix(expert_success=f"{np.mean([r.outcome == 'success' for r in kept]):.2f}",
                            refresh=False)
        bar.close()
    finally:
        procs.stop()
    return bag_root / 'demos', kept


def learn_stage(op: Operator, run: Path, bag: Path, steps: int, minutes: float, rate: float,
                seed: int) -> tuple[Path, int]:
    learner_dir = run / 'learner'
    procs = ProfileProcesses('sim_learn', [
        f'sim_node.seed={seed}', f'sim_node.lockstep_max_rate={rate}',
        f'sac_learner.run_dir={learner_dir}', f'sac_learner.demo_bags=["{bag}"]',
        f'sac_learner.max_env_steps={steps}', f'sac_learner.sac.seed={seed}'], log_dir=run / 'logs')
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
                bar.set_postfix(episodes=n_rec, success_last50=f'{np.mean(recent):.2f}', refresh=False)
        bar.close()
        env_steps = op.steps
        latest = Path(op.call('save', timeout=60.0))
    finally:
        procs.stop()
    # The learner keeps the actor of its best rolling training success in checkpoints/best.
    best = latest.parent / 'best'
    return (best if (best / 'checkpoint.json').exists() else latest), env_steps


def eval_stage(op: Operator, run: Path, checkpoint: Path, episodes: int, seed: int,
               deterministic: bool = True) -> list[EpisodeRecord]:
    procs = ProfileProcesses('sim_deploy', [
        'sim_node.mode=lockstep', f'sim_node.seed={seed}', 'sim_node.camera_every=0',
        f'policy_node.checkpoint={checkpoint}',
        f'policy_node.deterministic={str(deterministic).lower()}'], log_dir=run / 'logs')
    op.reset_counts()
    try:
        bar = _bar(episodes, 'evaluate' if deterministic else 'evaluate (sampled actions)', 'episode')
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
                bar.set_postfix(success=f'{np.mean([r.outcome == "success" for r in op.records[:n]]):.2f}',
                                refresh=False)
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


def plot_learning_curve(episodes_jsonl: Path, out_png: Path, eval_rate: float | None = None,
                        window: int = 50) -> None:
    """Success rate and return (rolling mean over ``window`` episodes) against env steps."""
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    rows = [json.loads(l) for l in episodes_jsonl.read_text().splitlines() if l.strip()] \
        if episodes_jsonl.exists() else []
    fig, (ax1, ax2) = plt.subplots(2, 1, figsize=(8, 6), sharex=True)
    if rows:
        x = np.array([r['env_steps'] for r in rows])
        succ = np.array([float(r['success']) for r in rows])
        ret = np.array([r['return'] for r in rows])
        ax1.plot(x, succ, '.', alpha=0.15, color='tab:green')
        ax1.plot(x, _trailing_mean(succ, window), color='tab:green', label=f'training (last {window} episodes)')
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


def run_demo(args) -> int:
    """The main job (see module docstring). Returns 0 on completion."""
    _isolate_ros_graph()
    t_start = time.monotonic()
    runs = Path(args.runs_dir)
    run = runs / time.strftime('demo-%Y%m%d-%H%M%S')
    run.mkdir(parents=True, exist_ok=False)
    latest = runs / 'latest'
    if latest.is_symlink() or latest.exists():
        latest.unlink()
    latest.symlink_to(run.name)
    print(f'robot-learning demo: writing {run}')
    op = Operator()
    try:
        bag, demos = record_stage(op, run, args.demo_episodes, args.seed)
        t_rec = time.monotonic() - t_start
        ckpt, env_steps = learn_stage(op, run, bag, args.learn_steps, args.learn_minutes, args.rate, args.seed + 1)
        t_learn = time.monotonic() - t_start - t_rec
        evals = eval_stage(op, run, ckpt, args.eval_episodes, args.seed + 10_000)
        # Same episodes with actions sampled from the SAC policy instead of its mean: the
        # mean can stall where the stochastic policy does not (reported, not the headline).
        sampled = eval_stage(op, run, ckpt, args.eval_episodes, args.seed + 10_000, deterministic=False)
    finally:
        op.close()
    rate = float(np.mean([r.outcome == 'success' for r in evals]))
    metrics = {
        'eval_success_rate': rate,
        'eval_episodes': len(evals),
        'eval_return_mean': float(np.mean([r.episode_return for r in evals])),
        'eval_length_mean': float(np.mean([r.length for r in evals])),
        'eval_success_per_instruction': success_by_instruction(evals),
        'eval_outcomes': {o: sum(r.outcome == o for r in evals) for o in sorted({r.outcome for r in evals})},
        'eval_success_rate_sampled_actions': float(np.mean([r.outcome == 'success' for r in sampled])),
        'env_steps': env_steps,
        'wall_clock_s': round(time.monotonic() - t_start, 1),
        'stage_wall_clock_s': {'record': round(t_rec, 1), 'learn': round(t_learn, 1),
                               'eval': round(time.monotonic() - t_start - t_rec - t_learn, 1)},
        'demo_episodes': len(demos),
        'demo_expert_success_rate': float(np.mean([r.outcome == 'success' for r in demos])),
        'bag': str(bag.resolve()),
        'checkpoint': str(ckpt),
    }
    ck_meta = ckpt / 'checkpoint.json'
    if ck_meta.exists():
        meta = json.loads(ck_meta.read_text())
        metrics['checkpoint_env_steps'] = meta.get('env_steps')
        metrics['checkpoint_training_success'] = meta.get('best_training_success')
    latest_meta = ckpt.parent / 'latest' / 'checkpoint.json'
    if latest_meta.exists():
        metrics['learner_updates'] = json.loads(latest_meta.read_text()).get('updates')
    (run / 'metrics.json').write_text(json.dumps(metrics, indent=2) + '\n')
    plot_learning_curve(run / 'learner' / 'episodes.jsonl', run / 'learning_curve.png', rate)
    print(json.dumps({k: metrics[k] for k in ('eval_success_rate', 'eval_episodes', 'env_steps',
                                              'wall_clock_s', 'demo_episodes',
                                              'eval_success_rate_sampled_actions')}))
    for instr, v in metrics['eval_success_per_instruction'].items():
        print(f'  {instr:28s} {v["success_rate"]:.2f} ({v["episodes"]} episodes)')
    print(f'robot-learning demo: metrics in {run / "metrics.json"}, curve in {run / "learning_curve.png"}')
    return 0


def run_eval_cli(args) -> int:
    """``robot-learning eval --checkpoint DIR --episodes N`` in the built-in sim."""
    import yaml

    from robot_learning.policy import Policy

    from .launcher import config_dir
    # Fail fast, in one line, before starting anything: the checkpoint must fit what the
    # sim_deploy profile feeds it (lidar sectors, pillar colours, a 2-D Twist action).
    cdir = config_dir()
    lidar = yaml.safe_load((cdir / 'lidar_ingest.yaml').read_text())['lidar_ingest']['ros__parameters']
    sim = yaml.safe_load((cdir / 'sim_node.yaml').read_text())['sim_node']['ros__parameters']
    Policy.from_checkpoint(args.checkpoint, expected={
        'observation.num_sectors': lidar['num_sectors'], 'observation.colors': sim['colors'],
        'action_dim': 2})
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
        'eval_success_rate': float(np.mean([r.outcome == 'success' for r in evals])),
        'eval_episodes': len(evals),
        'eval_return_mean': float(np.mean([r.episode_return for r in evals])),
        'eval_length_mean': float(np.mean([r.length for r in evals])),
        'eval_success_per_instruction': success_by_instruction(evals),
        'wall_clock_s': round(time.monotonic() - t0, 1),
    }
    (out / 'metrics.json').write_text(json.dumps(metrics, indent=2) + '\n')
    print(json.dumps(metrics, indent=2))
    return 0
