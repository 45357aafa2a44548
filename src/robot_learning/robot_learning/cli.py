# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 robot_learning maintainers
"""``robot-learning`` — the user CLI.

Verbs:
  up <profile> [--set node.param=value ...] [--namespace NS]   run a profile's nodes
     [--params-file YAML] [--checkpoint DIR] [--log-level LEVEL]
  profiles                                                    list profiles
  demo [--demo-episodes N] [--learn-steps N] ...              the main job (make demo)
  train --algo bc|act|iql|sac|... --bags DIR... --out RUN    train from bags (torchrun-able)
  eval --checkpoint DIR [--episodes N] [--set node.param=v]   closed-loop evaluation in the sim
  eval --checkpoint DIR --offline --bags DIR...               action error on held-out episodes
  bag reindex DIR                                             recover crashed bags (as crashed)
  export --format lerobot --bags DIR... --out DIR             bags -> LeRobot v3.0 dataset
  export-world --sdf DIR [--seed N] [--episode K]             the built-in world as SDF (Gazebo)

This module is pure argparse. ``train``, ``eval --offline``, ``export`` and ``bag`` run in
the core; the ROS-facing verbs (``up``, ``profiles``, ``demo`` and closed-loop ``eval``) are found
through the entry-point group ``robot_learning.verbs`` (each a callable
``run(args: argparse.Namespace) -> int``, registered by ``robot_learning_bringup``), so
the core never imports rclpy and a core-only install says in one line what to install.
Every expected failure (bad profile, missing bag, wrong checkpoint, a missing package)
ends with exit code 2 and one line saying what to fix.
"""

from __future__ import annotations

import argparse
from importlib import metadata
import sys
from typing import Callable

from robot_learning import train
from robot_learning.errors import RobotLearningError, run_verb

#: Entry-point group of the ROS-facing verbs.
VERB_GROUP = 'robot_learning.verbs'
#: The verbs found there, and the package that provides them.
ROS_VERBS = ('up', 'profiles', 'demo', 'eval', 'export-world')
BRINGUP = 'robot_learning_bringup'
#: Verbs registered by another package than :data:`BRINGUP`.
VERB_PACKAGES = {'export-world': 'robot_learning_sim'}


class MissingPackage(RobotLearningError):
    """A verb needs a package (or Python module) that is not installed."""


def _install_hint(module: str) -> str:
    top = module.split('.')[0]
    if top.startswith('robot_learning'):
        return f'build it (colcon build --packages-up-to {top}) or install it'
    if top in ('rclpy', 'rosidl_runtime_py', 'launch', 'launch_ros') or top.endswith('_msgs'):
        return 'install ROS 2 Jazzy (requirements.txt has the pip wheels)'
    return 'pip install -r requirements.txt'


def verb_entry_points(name: str) -> list:
    """Return the entry points named ``name`` in :data:`VERB_GROUP` (empty: none installed)."""
    return list(metadata.entry_points(group=VERB_GROUP, name=name))


def find_verb(name: str) -> Callable[[argparse.Namespace], int]:
    """Return the ``run(args) -> int`` of the ``robot_learning.verbs`` entry point ``name``.

    Raises:
        MissingPackage: no such entry point (``robot_learning_bringup`` is not installed),
            or it names a module that cannot be imported.
    """
    found = verb_entry_points(name)
    if not found:
        package = VERB_PACKAGES.get(name, BRINGUP)
        raise MissingPackage(
            f'this verb needs the ROS package {package}, which is not installed: '
            f'{_install_hint(package)}'
        )
    try:
        return found[0].load()
    except ModuleNotFoundError as exc:
        raise MissingPackage(
            f'{found[0].value} needs the module {exc.name!r}, which is not installed: '
            f'{_install_hint(exc.name or "")}'
        ) from None


def _parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog='robot-learning', description=__doc__.split('\n')[0])
    sub = ap.add_subparsers(dest='verb', required=True)
    up = sub.add_parser('up', help="run a profile's nodes (what ros2 launch would)")
    up.add_argument('profile')
    up.add_argument('--set', action='append', default=[], metavar='NODE.PARAM=VALUE')
    up.add_argument('--namespace', default='')
    up.add_argument('--params-file', default='', help='parameter YAML layered over ours')
    up.add_argument('--checkpoint', default='', help='policy checkpoint (deploy profiles)')
    up.add_argument('--log-level', default='', help='debug, info, warn, error or fatal')
    up.add_argument(
        'switches',
        nargs='*',
        metavar='NAME:=VALUE',
        help="the profile's switches, e.g. interventions:=true (sim_learn, robot_learn)",
    )
    sub.add_parser('profiles', help='list run profiles')
    demo = sub.add_parser('demo', help='record demos, learn online with SAC, evaluate (make demo)')
    demo.add_argument(
        '--stages',
        default='record,bc,dagger,sac',
        help='comma-separated subset of record,bc,dagger,sac (in that order)',
    )
    demo.add_argument('--demo-episodes', type=int, default=50)
    demo.add_argument(
        '--bc-minutes',
        type=float,
        default=5.0,
        help='wall-clock cap of the first BC training (the DAgger round gets half); the '
        "demo's stages fit in 25 minutes on a 2-core machine with the defaults",
    )
    demo.add_argument(
        '--bc-steps',
        type=int,
        default=8000,
        help='gradient steps of BC training (the DAgger round fine-tunes for half)',
    )
    demo.add_argument(
        '--bc-eval-episodes',
        type=int,
        default=100,
        help='closed-loop episodes per BC evaluation (the issue-3 target is on 100)',
    )
    demo.add_argument(
        '--intervention-episodes',
        type=int,
        default=30,
        help='dagger: deployment episodes under expert supervision',
    )
    demo.add_argument(
        '--dagger-takeover',
        choices=('on_trouble', 'on_request'),
        default='on_trouble',
        help="dagger: when the expert takes over: 'on_trouble' = the robot stalls or nears "
        "an obstacle (HG-DAgger); 'on_request' = the policy's MC-dropout uncertainty "
        'exceeds --takeover-uncertainty, or it nears an obstacle (ThriftyDAgger)',
    )
    demo.add_argument(
        '--takeover-uncertainty',
        type=float,
        default=0.18,
        help='dagger, on_request: the uncertainty (std of the action, [-1, 1] units) above '
        "which policy_node asks for a takeover (0.18: the 0.98 quantile of the demo's BC "
        'policy on its demo frames, bench/takeover_gating.py)',
    )
    demo.add_argument(
        '--uncertainty-samples',
        type=int,
        default=8,
        help='dagger, on_request: MC-dropout passes per step',
    )
    demo.add_argument(
        '--learn-steps', type=int, default=42000, help='environment steps of online SAC'
    )
    demo.add_argument(
        '--learn-minutes', type=float, default=10.0, help='wall-clock cap of the learning stage'
    )
    demo.add_argument(
        '--task-node',
        choices=('off', 'dense', 'classifier', 'dense_classifier'),
        default='off',
        help="sac: 'off' learns from the sim's own episode stream (sim_learn); 'dense' / "
        "'classifier' from task_node's (sim_task_learn, the sim's stream off)",
    )
    demo.add_argument(
        '--classifier', default='', help='--task-node classifier: RUN/checkpoints/best'
    )
    demo.add_argument(
        '--sac-interventions',
        choices=('on', 'off'),
        default='off',
        help="sac: 'on' = the scripted expert supervises online learning and takes over "
        'when the robot stalls or nears an obstacle (HIL-SERL); off by default: it lowered '
        'unaided success in bench/online_ablation.py (README)',
    )
    demo.add_argument(
        '--sac-init',
        choices=('scratch', 'offline', 'calql'),
        default='scratch',
        help="sac: 'offline' = start from offline SAC pretraining on the demo bags "
        "(robot-learning train --algo sac), 'calql' = the same with Cal-QL's conservative "
        "critics (--set calql=true); 'scratch' = fresh networks",
    )
    demo.add_argument(
        '--sac-pretrain-minutes',
        type=float,
        default=2.0,
        help='--sac-init offline/calql: wall-clock cap of the offline pretraining',
    )
    demo.add_argument(
        '--sac-critic-warmup',
        type=int,
        default=1000,
        help='--sac-init offline/calql: critic-only updates before the actor moves',
    )
    demo.add_argument(
        '--eval-episodes', type=int, default=100, help='sac: closed-loop evaluation episodes'
    )
    demo.add_argument(
        '--rate',
        type=float,
        default=70.0,
        help='lockstep steps per second while learning: on 2 cores the learner '
        'keeps one update per step up to about this rate',
    )
    demo.add_argument(
        '--set',
        action='append',
        default=[],
        metavar='NODE.PARAM=VALUE',
        help="a parameter of every stage's nodes, e.g. sim_node.randomize=true",
    )
    demo.add_argument('--runs-dir', default='runs')
    demo.add_argument('--seed', type=int, default=0)
    train.add_arguments(
        sub.add_parser('train', help='train a policy from bags (bc, iql, sac pretraining)')
    )
    ev = sub.add_parser(
        'eval',
        help='evaluate a checkpoint closed-loop in the built-in sim, '
        'or offline on held-out bags',
    )
    ev.add_argument('--checkpoint', required=True)
    ev.add_argument('--episodes', type=int, default=50)
    ev.add_argument(
        '--set',
        action='append',
        default=[],
        metavar='NODE.PARAM=VALUE',
        help='closed loop: a node parameter, e.g. sim_node.appearance=shifted',
    )
    ev.add_argument(
        '--offline',
        action='store_true',
        help='no simulator: compare the policy with the recorded actions of --bags',
    )
    ev.add_argument(
        '--bags', nargs='*', default=[], metavar='DIR', help='held-out episode bags (--offline)'
    )
    ev.add_argument(
        '--dataset-config',
        default='',
        help='--offline: topics of bags not written by demo_recorder',
    )
    ev.add_argument(
        '--outcomes', default='success', help="--offline: episode outcomes ('all' = every episode)"
    )
    ev.add_argument(
        '--out', default='', help='directory for metrics.json (default: next to the checkpoint)'
    )
    ev.add_argument('--seed', type=int, default=1000)
    bag = sub.add_parser('bag', help='bag tools (reindex)')
    bag_sub = bag.add_subparsers(dest='bag_verb', required=True)
    rx = bag_sub.add_parser(
        'reindex',
        help='rebuild metadata.yaml and the MCAP index of crashed bags '
        '(as ros2 bag reindex), outcome crashed',
    )
    rx.add_argument('dir', metavar='DIR', help='one bag directory, or a directory of bags')
    lr = sub.add_parser(
        'export',
        help='write episode bags as a dataset of another ecosystem (LeRobot v3.0)',
    )
    lr.add_argument('--format', choices=('lerobot',), default='lerobot',
                    help='lerobot: parquet data, mp4 video per camera, meta/ (format v3.0)')
    lr.add_argument('--bags', nargs='+', required=True, metavar='DIR',
                    help='bag directories (a bag, a session of episode bags, or a tree)')
    lr.add_argument('--out', required=True, metavar='DIR',
                    help='dataset directory to create (must not exist or be empty)')
    lr.add_argument('--outcomes', default='all',
                    help="comma-separated episode outcomes to export ('all' = every episode)")
    lr.add_argument('--dataset-config', default='',
                    help='YAML with the topics of bags not written by demo_recorder')
    lr.add_argument('--fps', type=int, default=0,
                    help='dataset frame rate (0 = the median step interval of the bags)')
    lr.add_argument('--image-size', type=int, nargs=2, default=(0, 0), metavar=('W', 'H'),
                    help='video size in pixels (0 0 = the camera size)')
    lr.add_argument('--camera', default='front', help='video key: observation.images.<camera>')
    lr.add_argument('--codec', choices=('libx264', 'libsvtav1'), default='libx264',
                    help='video codec (H.264, or AV1 as LeRobot records)')
    lr.add_argument('--crf', type=int, default=18, help='encoder quality (lower = closer, larger)')
    lr.add_argument('--cache-dir', default='',
                    help='decoded-dataset cache (default ~/.cache/robot_learning/datasets)')
    lr.add_argument('--no-progress', action='store_true', help='no tqdm bar')
    ex = sub.add_parser(
        'export-world',
        help='write the built-in world of a seed and episode as SDF for Gazebo Harmonic',
    )
    ex.add_argument('--sdf', required=True, metavar='DIR',
                    help='output directory: world.sdf, robot.sdf, task.yaml, layout.yaml')
    ex.add_argument('--seed', type=int, default=0,
                    help="the built-in world's seed (sim_node seed)")
    ex.add_argument('--episode', type=int, default=0,
                    help="episode of that seed's layout stream (0 = the first)")
    return ap


def _dispatch(args: argparse.Namespace) -> int:
    if args.verb in ROS_VERBS and not (args.verb == 'eval' and args.offline):
        run = find_verb(args.verb)
        return run(args)
    if args.verb == 'train':
        return train.run(args)
    if args.verb == 'eval':
        from robot_learning.evaluation import run_offline_eval

        return run_offline_eval(args)
    if args.verb == 'export':
        return _export(args)
    if args.verb == 'bag':
        from robot_learning.data.bagrepair import reindex

        results = reindex(args.dir)
        for res in results:
            print(res.line())
        if not results:
            print(f'{args.dir}: every bag is complete, nothing to reindex')
        return 0
    return 1


def _export(args: argparse.Namespace) -> int:
    import dataclasses

    from robot_learning.data.bagconfig import DatasetConfig
    from robot_learning.data.lerobot_export import export_lerobot, LeRobotExportConfig

    cfg = LeRobotExportConfig(
        fps=args.fps, image_size=tuple(args.image_size), camera=args.camera,
        codec=args.codec, crf=args.crf,
    )
    # The export sets the image size itself (the camera's by default).
    dcfg = (
        DatasetConfig.from_yaml(args.dataset_config, image_size=(0, 0))
        if args.dataset_config
        else DatasetConfig()
    )
    outcomes = (
        ()
        if args.outcomes.strip() in ('all', '')
        else tuple(o.strip() for o in args.outcomes.split(',') if o.strip())
    )
    dcfg = dataclasses.replace(dcfg, outcomes=outcomes, **(
        {'cache_dir': args.cache_dir} if args.cache_dir else {}))
    summary = export_lerobot(
        args.bags, args.out, dcfg, cfg, progress=not args.no_progress,
        log=lambda line: print(line, file=sys.stderr),
    )
    print(summary.line())
    return 0


def _run(args: argparse.Namespace) -> int:
    try:
        return _dispatch(args)
    except ModuleNotFoundError as exc:
        # A dependency missing on this machine is a setup fault, not a bug: one line.
        raise MissingPackage(
            f'needs the module {exc.name!r}, which is not installed: '
            f'{_install_hint(exc.name or "")}'
        ) from None


def main(argv: list[str] | None = None) -> int:
    """Run ``robot-learning`` with ``argv`` (default ``sys.argv[1:]``); return the exit code."""
    args = _parser().parse_args(argv)
    return run_verb(args.verb, lambda: _run(args))


if __name__ == '__main__':
    sys.exit(main())
