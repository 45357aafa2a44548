# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 robot_learning maintainers
"""The stages of ``robot-learning demo``: each one starts a profile and drives it to the end.

``record_stage`` (``sim_teleop``), ``train_stage`` (``robot-learning train`` in a child
process), ``intervene_stage`` (``sim_intervene``, HG-DAgger), ``learn_stage``
(``sim_learn``, online SAC) and ``eval_stage`` (``sim_deploy``) each start their processes
through :class:`~robot_learning_bringup.launcher.ProfileProcesses`, let the
:class:`~robot_learning_bringup.demo_operator.Operator` work them, and stop them, also on
error. Logs go to ``<run>/logs/``.
"""

from __future__ import annotations

from collections import deque
from pathlib import Path
import time
from typing import Sequence

import numpy as np
from robot_learning.data.transitions import EpisodeRecord
from robot_learning.errors import RobotLearningError

from .demo_operator import Operator, StageError
from .launcher import ProfileProcesses

__all__ = [
    'check_stage_set', 'eval_stage', 'intervene_stage', 'learn_stage', 'record_stage',
    'stage_set', 'train_stage',
]

#: The profiles the demo's stages run (record, eval, dagger, sac).
STAGE_PROFILES = ('sim_teleop', 'sim_deploy', 'sim_intervene', 'sim_learn', 'sim_task_learn')


def _node_names(profile: str) -> set[str]:
    from .profiles import load_profile, node_name

    return {node_name(spec) for nodes in load_profile(profile)['groups'].values()
            for spec in nodes}


def stage_set(profile: str, sim_set: Sequence[str]) -> list[str]:
    """Return the ``demo --set`` entries that name a node of ``profile`` (in order)."""
    names = _node_names(profile)
    return [o for o in sim_set if o.split('.', 1)[0] in names]


def check_stage_set(sim_set: Sequence[str]) -> None:
    """Check ``demo --set`` entries before any stage starts.

    Raises:
        StageError: an entry is not ``node.param=value`` or names a node no stage runs.
    """
    names = set().union(*(_node_names(p) for p in STAGE_PROFILES))
    for entry in sim_set:
        node = entry.split('.', 1)[0]
        if '.' not in entry or '=' not in entry or node not in names:
            raise StageError(
                f"--set {entry}: give node.param=value for a node of the demo's stages "
                f'({", ".join(sorted(names))})'
            )


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
    """Record ``episodes`` episodes the way a person with a gamepad would.

    Press start (the profile's operator_node starts a bag), reset the sim, wait for the
    episode to end, press success or failure (label and stop the bag). Each press waits
    for ``recorder/state`` to confirm it.
    """
    # A fresh sim process restarts its clock and episode ids: forget the last stage's.
    op.reset_counts()
    kept: list[EpisodeRecord] = []
    bar = _bar(episodes, desc, 'episode')
    while len(kept) < episodes:
        _check(procs, stage, run / 'logs')
        op.pad.press('start', timeout=60.0)
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
        op.pad.press('success' if rec.outcome == 'success' else 'failure')
        kept.append(rec)
        bar.update(1)
        bar.set_postfix(
            success=f"{np.mean([r.outcome == 'success' for r in kept]):.2f}", refresh=False
        )
    bar.close()
    return kept


def _recorded_stage(
    op: Operator,
    run: Path,
    profile: str,
    overrides: list[str],
    session: str,
    episodes: int,
    stage: str,
    desc: str,
) -> tuple[Path, list[EpisodeRecord]]:
    """Run ``profile`` (lockstep, reset by the operator) and record ``episodes`` episodes.

    Returns:
        ``run/bags/<session>`` and one record per episode.
    """
    bag_root = run / 'bags'
    procs = ProfileProcesses(
        profile,
        [
            'sim_node.mode=lockstep',
            'sim_node.autoreset=false',
            *overrides,
            f'demo_recorder.output_dir={bag_root}',
            f'demo_recorder.session={session}',
        ],
        log_dir=run / 'logs',
    )
    try:
        kept = _operate_episodes(op, procs, run, episodes, stage, desc)
    finally:
        procs.stop()
    return bag_root / session, kept


def record_stage(
    op: Operator, run: Path, episodes: int, seed: int, sim_set: Sequence[str] = ()
) -> tuple[Path, list[EpisodeRecord]]:
    """Record ``episodes`` scripted-expert demos (``sim_teleop``) into ``run/bags/demos``.

    ``sim_set``: further ``node.param=value`` overrides (``robot-learning demo --set``).

    Returns:
        The session directory of the bags and one record per episode.
    """
    # The camera is recorded at the resolution the deployed sim renders (sim_node.yaml),
    # so behaviour cloning sees the same images in training and in deployment.
    return _recorded_stage(
        op, run, 'sim_teleop', [f'sim_node.seed={seed}', *stage_set('sim_teleop', sim_set)],
        'demos', episodes,
        'record', 'record demos',
    )


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
    algo: str = 'bc',
) -> Path:
    """``robot-learning train --algo <algo>`` in a child process (log: logs/train_<name>.log).

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
        algo,
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
    op: Operator, run: Path, checkpoint: Path, episodes: int, seed: int,
    takeover: str = 'on_trouble', uncertainty: float = 0.18, samples: int = 8,
    sim_set: Sequence[str] = (),
) -> tuple[Path, list[EpisodeRecord]]:
    """Deploy ``checkpoint`` with the scripted expert as a supervising human (HG-DAgger).

    The expert takes over when the robot stalls (``takeover='on_trouble'``) or when the
    policy asks, its MC-dropout uncertainty over ``samples`` passes above ``uncertainty``
    (``'on_request'``, ThriftyDAgger); near obstacles in both. Every episode is recorded.

    Returns:
        ``run/bags/interventions`` and one record per episode.
    """
    overrides = [
        f'sim_node.seed={seed}',
        'sim_node.lockstep_resend_s=0.2',
        f'policy_node.checkpoint={checkpoint}',
        *_deploy_overrides(checkpoint),
    ]
    if takeover == 'on_request':
        overrides += [
            'expert_teleop.takeover=on_request',
            f'policy_node.uncertainty_samples={samples}',
            f'policy_node.takeover_uncertainty={float(uncertainty):.6e}',  # YAML: '1.0e-3'
        ]
    overrides += stage_set('sim_intervene', sim_set)
    return _recorded_stage(
        op, run, 'sim_intervene', overrides, 'interventions', episodes, 'intervene',
        'deploy with takeovers',
    )


def learn_stage(
    op: Operator, run: Path, bag: Path, steps: int, minutes: float, rate: float, seed: int,
    task_node: str = 'off', classifier: str = '', extra: Sequence[str] = (),
    interventions: bool = False, sim_set: Sequence[str] = (),
) -> tuple[Path, int]:
    """Learn online with SAC until ``steps`` env steps or ``minutes``.

    Args:
        task_node: 'off' (``sim_learn``: the sim's own episodes and reward), 'dense' or
            'classifier' (``sim_task_learn``: task_node's episodes, with the dense reward
            from poses or the sparse reward of the success classifier ``classifier``).
        classifier: the classifier checkpoint (task_node 'classifier').
        extra: more ``node.param=value`` overrides, applied last (e.g. pacing by the
            learner's progress, ``sim_node.lockstep_max_lag=50``, for a comparison whose
            UTD ratio must not depend on how busy the machine is; ``sac_learner.init_from``).
        interventions: the profile's ``interventions`` switch: the scripted expert
            supervises and takes over on trouble (HIL-SERL human steps).
        sim_set: ``demo --set`` entries; those naming a node of the profile apply last.

    Returns:
        The learner's best checkpoint (else its latest) and the env steps taken.
    """
    learner_dir = run / 'learner'
    profile = 'sim_learn' if task_node == 'off' else 'sim_task_learn'
    if interventions and task_node != 'off':
        raise StageError('--sac-interventions runs sim_learn: it needs --task-node off')
    procs = ProfileProcesses(
        profile,
        [
            f'sim_node.seed={seed}',
            f'sim_node.lockstep_max_rate={rate}',
            f'sac_learner.run_dir={learner_dir}',
            f'sac_learner.demo_bags=["{bag}"]',
            f'sac_learner.max_env_steps={steps}',
            f'sac_learner.sac.seed={seed}',
            *_task_overrides(task_node, classifier, seed),
            *extra,
            *stage_set(profile, sim_set),
        ],
        log_dir=run / 'logs',
        switches={'interventions': True} if interventions else None,
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
            # Before the first step the learner is still starting (torch, demo bags, its
            # update process, the first weights): on a busy machine that takes a while.
            elif time.monotonic() - last_progress > (60 if last else 300):
                raise StageError(
                    f'learn: no environment step for {60 if last else 300} s; see '
                    f'logs/{profile}.*.log'
                )
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


def _task_overrides(task_node: str, classifier: str, seed: int) -> list[str]:
    """``sim_task_learn`` overrides of a task_node reward mode (none for 'off')."""
    if task_node == 'off':
        return []
    out = [f'task_node.seed={seed}', f'task_node.reward_mode={task_node}']
    if task_node in ('classifier', 'dense_classifier'):
        if not classifier:
            raise StageError('--task-node classifier needs --classifier RUN/checkpoints/best')
        from robot_learning.algos.reward_classifier import load_classifier

        try:
            clf = load_classifier(classifier)
        except RobotLearningError as exc:
            raise StageError(f'--classifier: {exc}') from None
        # The classifier sees camera_ingest's images: the size it was trained on.
        out += [
            f'task_node.classifier={classifier}',
            'sim_node.camera_every=1',
            f'camera_ingest.width={clf.image_width}',
            f'camera_ingest.height={clf.image_height}',
        ]
    if task_node == 'classifier':
        # The demo bags hold the sim's dense reward: relabel them with the task's sparse
        # one, so that the demo and online halves of each batch agree on the reward.
        from robot_learning.task import load_task

        from .profiles import config_dir

        sp = load_task(config_dir() / 'tasks' / 'builtin_world.yaml').sparse
        out.append(f'sac_learner.demo_sparse_reward=[{sp.time}, {sp.success}, {sp.failure}]')
    return out


def eval_stage(
    op: Operator, run: Path, checkpoint: Path, episodes: int, seed: int,
    deterministic: bool = True, sim_set: Sequence[str] = (),
) -> list[EpisodeRecord]:
    """Run ``checkpoint`` in ``sim_deploy`` for ``episodes`` episodes; their records.

    ``sim_set``: further ``node.param=value`` overrides, e.g. ``sim_node.appearance=shifted``.
    """
    procs = ProfileProcesses(
        'sim_deploy',
        [
            'sim_node.mode=lockstep',
            f'sim_node.seed={seed}',
            *_deploy_overrides(checkpoint),
            f'policy_node.checkpoint={checkpoint}',
            f'policy_node.deterministic={str(deterministic).lower()}',
            *stage_set('sim_deploy', sim_set),
        ],
        log_dir=run / 'logs',
    )
    op.reset_counts()
    try:
        bar = _bar(
            episodes, 'evaluate' if deterministic else 'evaluate (sampled actions)', 'episode'
        )
        t_last, shown = time.monotonic(), 0
        while len(op.records) < episodes:
            _check(procs, 'eval', run / 'logs')
            # An episode is at most max_episode_steps (200) lockstep steps: minutes only
            # on a machine busy with other work; the first also waits for the startup.
            quiet = time.monotonic() - t_last
            if quiet > (180.0 if shown else 300.0):
                raise StageError(f'eval: no episode ended for {quiet:.0f} s; see logs/')
            time.sleep(0.2)
            n = min(len(op.records), episodes)
            if n > shown:
                t_last = time.monotonic()
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
