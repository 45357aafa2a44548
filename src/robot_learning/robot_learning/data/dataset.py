# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 robot_learning maintainers
"""Bags -> transitions: seeds the learner's demo buffer from recorded episodes.

:func:`load_demo_transitions` is a thin layer over :mod:`robot_learning.data.bagdataset`
(the cached, multi-bag dataset); :func:`episode_transitions` replays one bag directly.

Each episode is one rosbag2 directory (``demo_recorder`` layout) whose metadata
``custom_data`` holds ``instruction`` and ``outcome``. Messages are read in log-time
order with ``rosbags`` and fed to the same :class:`TransitionPipeline` the online
learner uses on live topics (design.md: one transition assembler).
"""

from __future__ import annotations

from dataclasses import dataclass, field
import logging
from pathlib import Path
from typing import Any, Callable, Iterable, Sequence

import numpy as np
from robot_learning.common.features import (
    ActionConfig,
    detections_from_msg,
    ObservationConfig,
    sectors_from_msg,
    stamp_us,
    step_info_from_msg,
    StepInfo,
    velocity_from_odom,
)
from robot_learning.data.bagconfig import DatasetConfig, DatasetTopics
from robot_learning.data.bagdataset import BagDataset
from robot_learning.data.bagfiles import find_bag_dirs, read_custom_data
from robot_learning.data.bagwriter import jazzy_typestore
from robot_learning.data.transitions import Transition, TransitionPipeline
from robot_learning.errors import BagError


@dataclass
class BagTopics(DatasetTopics):
    """Return topic names as recorded (absolute) for :func:`episode_transitions`.

    It reads the sectors ``lidar_ingest`` published rather than the raw scan.
    """

    scan: str = '/observation/scan'


@dataclass
class EpisodeBag:
    """One recorded episode: its bag directory and metadata."""

    path: Path
    instruction: str
    outcome: str
    custom: dict = field(default_factory=dict)


def find_episode_bags(paths: Iterable[str | Path]) -> list[EpisodeBag]:
    """Return every closed episode bag at or below ``paths`` (a bag, a session, or a tree).

    The bags are those of :func:`~robot_learning.data.bagfiles.find_bag_dirs` that have
    a ``metadata.yaml``; a crashed recording becomes an episode once
    ``robot-learning bag reindex`` has rebuilt it.

    Raises:
        BagError: a path does not exist, or holds no closed bag.
    """
    paths = list(paths)
    found = [
        EpisodeBag(d, custom.get('instruction', ''), custom.get('outcome', 'unknown'), custom)
        for d in find_bag_dirs(paths)
        if (d / 'metadata.yaml').exists()
        for custom in (read_custom_data(d),)
    ]
    if not found:
        names = ', '.join(str(p) for p in paths)
        raise BagError(
            f'{names}: no closed rosbag2 bag (no metadata.yaml below it; '
            f'`robot-learning bag reindex DIR` recovers a crashed one)'
        )
    return found


def episode_transitions(
    bag: EpisodeBag,
    obs_cfg: ObservationConfig,
    act_cfg: ActionConfig,
    topics: BagTopics = BagTopics(),
) -> list[Transition]:
    """Replay one episode bag through the transition pipeline.

    Raises:
        BagError: the bag lacks the action, episode or observation topics.
    """
    from rosbags.highlevel import AnyReader

    pipe = TransitionPipeline(obs_cfg, act_cfg)
    if bag.instruction:
        pipe.push_instruction(bag.instruction)
    out: list[Transition] = []
    with AnyReader([bag.path], default_typestore=jazzy_typestore()) as reader:
        by_topic = {c.topic: c for c in reader.connections}
        need = [topics.scan, topics.odom, topics.detections, topics.action, topics.episode]
        missing = [t for t in need if t not in by_topic]
        if missing:
            raise BagError(
                f'{bag.path}: missing topic(s) {", ".join(missing)}; record them '
                f'(demo_recorder topics) or map names with BagTopics'
            )
        conns = [by_topic[t] for t in need + [topics.instruction] if t in by_topic]
        for conn, _t, raw in reader.messages(connections=conns):
            msg = reader.deserialize(raw, conn.msgtype)
            topic = conn.topic
            if topic == topics.scan:
                out += pipe.push_scan(stamp_us(msg.header), sectors_from_msg(msg))
            elif topic == topics.odom:
                out += pipe.push_odom(stamp_us(msg.header), velocity_from_odom(msg))
            elif topic == topics.detections:
                out += pipe.push_detections(stamp_us(msg.header), detections_from_msg(msg))
            elif topic == topics.action:
                out += pipe.push_action(
                    stamp_us(msg.header), msg.twist.linear.x, msg.twist.angular.z
                )
            elif topic == topics.episode:
                out += pipe.push_step(step_info_from_msg(msg))
            elif topic == topics.instruction:
                pipe.push_instruction(msg.data)
    return out


def load_demo_transitions(
    paths: Sequence[str | Path],
    obs_cfg: ObservationConfig,
    act_cfg: ActionConfig,
    outcomes: Sequence[str] = ('success',),
    topics: BagTopics = BagTopics(),
    cache_dir: str = '',
    log: Callable[[str], None] | None = None,
) -> tuple[list[Transition], list[EpisodeBag]]:
    """Transitions of every episode under ``paths`` whose outcome is in ``outcomes``.

    Built with :class:`~robot_learning.data.bagdataset.BagDataset` (cached; no images), so
    the observations are the frames' ``observation`` vectors and a broken bag is
    skipped (one ``log`` line, default: a warning of logger ``robot_learning.data.dataset``)
    instead of stopping the learner.

    Returns:
        (transitions, episodes used). ``Transition.info`` carries the stamps (µs) of the
        two observations, the reward, the termination flags and the episode outcome.

    Raises:
        BagError: a missing path, or no usable episode with a wanted outcome.
    """
    t = DatasetTopics(
        image='',
        scan=topics.scan,
        odom=topics.odom,
        detections=topics.detections,
        instruction=topics.instruction,
        action=topics.action,
        intervention=topics.intervention,
        episode=topics.episode,
    )
    cfg = DatasetConfig(topics=t, image_size=(0, 0), outcomes=tuple(outcomes), cache_dir=cache_dir)
    ds = BagDataset.build(
        paths,
        cfg,
        obs_cfg,
        act_cfg,
        progress=False,
        log=log or logging.getLogger('robot_learning.data.dataset').warning,
    )
    f, tr = ds.frames, ds.transitions
    obs = np.asarray(f['observation'])
    stamp = np.asarray(f['stamp'])
    out: list[Transition] = []
    for e, ep in enumerate(ds.episodes):
        for k in range(*ep.transitions):
            o, n = int(tr['obs'][k]), int(tr['next_obs'][k])
            term, trunc = bool(tr['terminated'][k]), bool(tr['truncated'][k])
            info = StepInfo(
                int(stamp[n]),
                int(stamp[o]),
                float(tr['reward'][k]),
                term,
                trunc,
                ep.outcome if (term or trunc) else 'running',
                e,
                k - ep.transitions[0] + 1,
                float('nan'),
                ep.instruction,
            )
            out.append(
                Transition(
                    obs[o],
                    np.array(tr['action'][k]),
                    float(tr['reward'][k]),
                    obs[n],
                    term,
                    trunc,
                    bool(tr['intervention'][k]),
                    info,
                )
            )
    bags = [
        EpisodeBag(Path(ep.path), ep.instruction, ep.outcome, dict(ep.custom))
        for ep in ds.episodes
    ]
    return out, bags


def stack_transitions(transitions: Sequence[Transition]) -> dict[str, np.ndarray]:
    """Stack a list of transitions into arrays.

    observations (N, obs_dim) float32, actions (N, A), rewards (N,), next_observations
    (N, obs_dim), terminated (N,) float32.
    """
    return {
        'observations': np.stack([t.observation for t in transitions]).astype(np.float32),
        'actions': np.stack([t.action for t in transitions]).astype(np.float32),
        'rewards': np.array([t.reward for t in transitions], np.float32),
        'next_observations': np.stack([t.next_observation for t in transitions]).astype(
            np.float32
        ),
        'terminated': np.array([t.terminated for t in transitions], np.float32),
    }


def sparse_rewards(
    transitions: Sequence[Any], time: float, success: float, failure: float
) -> np.ndarray:
    """Return the sparse reward of each transition, float32 (N,).

    ``time`` every step, plus ``success`` (``failure``) on a terminated step whose
    outcome is 'success' ('failure'): the reward task_node's ``classifier`` and
    ``operator`` modes give (``robot_learning/task.py``, the ``sparse`` block).

    Args:
        transitions: :class:`~robot_learning.data.transitions.Transition` records with
            ``terminated`` and ``info.outcome``.
        time: reward of every step.
        success: added on the terminal step of a successful episode.
        failure: added on the terminal step of a failed episode.
    """
    out = np.full(len(transitions), time, np.float32)
    for i, t in enumerate(transitions):
        if t.terminated:
            outcome = getattr(t.info, 'outcome', '')
            out[i] += success if outcome == 'success' else failure if outcome == 'failure' else 0
    return out
