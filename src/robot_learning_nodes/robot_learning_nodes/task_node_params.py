# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 robot_learning maintainers
"""``task_node``'s parameters, its task file and its success classifier.

Every parameter is declared here with a description and range (``ros2 param describe``
shows them); bad values stop the node at start-up with one line (a
:class:`~robot_learning.errors.ConfigError`).
"""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path
from typing import Any, Optional

from rclpy.node import Node
from robot_learning.errors import CheckpointError, ConfigError
from robot_learning.task import CLASSIFIER_MODES, load_task, MODES, TaskConfig

from .params import declare, one_of


@dataclasses.dataclass
class TaskParams:
    """The node's start-up values (see :func:`declare_task` for their meaning)."""

    task: TaskConfig
    mode: str
    classifier: Any
    threshold: float
    consecutive: int
    values: dict


def declare_task(node: Node, classifier: Any = None) -> TaskParams:
    """Declare every parameter of ``task_node`` and load its task and classifier.

    Args:
        node: the task node.
        classifier: an object with the ``load_classifier`` API to use instead of the
            ``classifier`` checkpoint (tests; None: load the parameter's checkpoint).

    Raises:
        ConfigError: a bad parameter, task file or classifier checkpoint (one line).
    """
    d = {}

    def p(name, default, doc, **kw):
        d[name] = declare(node, name, default, doc, read_only=True, **kw)

    p('task_file', '', 'task YAML (config/tasks/*.yaml): goals, radii, time limit, rewards')
    p('reward_mode', 'dense', "'dense' (progress from poses, as the built-in world), "
      "'classifier' (sparse: success classifier), 'operator' (sparse: task/success only) "
      "or 'dense_classifier' (dense shaping, success from the classifier)")
    p('classifier', '', 'success classifier checkpoint directory (reward_mode classifier)')
    p('classifier_threshold', 0.0, "P(success) that counts as success (0: the checkpoint's)",
      min_value=0.0, max_value=1.0)
    p('classifier_consecutive', 1, 'steps in a row the classifier must say success',
      min_value=1, max_value=1000)
    p('pose_source', 'odom', "robot pose from 'odom' (nav_msgs/Odometry) or 'pose' "
      '(geometry_msgs/PoseWithCovarianceStamped, a localization)')
    p('trigger', 'scan', "one episode step per 'scan' (observation/scan) or 'image' "
      '(observation/image) message, stamped with it')
    p('reset_service', '', "the robot's reset service (std_srvs/Trigger) called on task/reset "
      "and autoreset ('sim/reset' in the built-in sim; '' = none)")
    p('base_frame', 'base_link', 'frame id of detections (the robot base)')
    p('goal', '', "instruct this goal every episode ('' = draw from the task's sample)")
    p('seed', 0, 'seed of the goal draw', min_value=0)
    p('max_steps', -1, "episode step limit (-1: the task file's; 0: none)", min_value=-1)
    p('max_seconds', -1.0, 'episode time limit in observation stamps, s (-1: the task '
      "file's; 0: none)", min_value=-1.0)
    p('collision_range', -1.0, 'dense: a scan sector closer than this (m) costs '
      "reward.collision per step (-1: the task file's; 0: no collision term)", min_value=-1.0)
    p('input_wait_s', 0.3, 'wall seconds a step waits for its pose / image before it is '
      'scored with what has arrived', min_value=0.0, max_value=60.0)
    p('pose_tolerance_s', 0.06, 'largest stamp difference of a step and its pose, s',
      min_value=0.0, max_value=10.0)
    p('localization_max_age_s', 2.0, "pose_source 'pose': without a pose within "
      'pose_tolerance_s a step takes the newest older pose up to this old, s (a '
      'localization publishes only on filter updates, ~1-10 Hz; 0: no hold)',
      min_value=0.0, max_value=60.0)
    p('image_tolerance_s', 0.02, 'largest stamp difference of a step and its image, s',
      min_value=0.0, max_value=10.0)
    p('pose_timeout_s', 2.0, 'wall seconds without a pose after which the inputs are STALE '
      '(dense: from start-up, and steps are then not published; classifier / operator: '
      'once poses came and stopped, detections are then NaN)', min_value=0.1,
      max_value=3600.0)
    p('reset_timeout_s', 10.0, 'wall seconds a reset_service call may take before it is '
      'abandoned and made again', min_value=0.1, max_value=3600.0)
    d['autoreset'] = declare(node, 'autoreset', True, 'after a terminal step start the next '
                             'episode (calls reset_service); false: wait for task/reset')
    mode = one_of(node, 'reward_mode', d['reward_mode'], MODES)
    one_of(node, 'pose_source', d['pose_source'], ('odom', 'pose'))
    one_of(node, 'trigger', d['trigger'], ('scan', 'image'))
    if not d['task_file']:
        raise ConfigError('task_node: task_file is empty (e.g. config/tasks/builtin_world.yaml)')
    try:
        task = load_task(resolve_task_file(d['task_file']))
    except ConfigError as exc:  # name the parameter to fix, as every other bad value does
        raise ConfigError(f'task_node: task_file: {exc}') from None
    over = {}
    if d['max_steps'] >= 0:
        over['max_steps'] = d['max_steps']
    if d['max_seconds'] >= 0:
        over['max_seconds'] = d['max_seconds']
    if d['collision_range'] >= 0:
        over['reward'] = dataclasses.replace(task.reward, collision_range=d['collision_range'])
    task = dataclasses.replace(task, **over)
    if d['goal']:
        try:
            task.goal(d['goal'])  # unknown goal: one line at start
        except ConfigError as exc:
            raise ConfigError(f'task_node: goal: {exc}') from None
    clf = classifier
    if clf is None and d['classifier']:
        clf = _classifier(d['classifier'])
    if mode in CLASSIFIER_MODES and clf is None:
        raise ConfigError(f'task_node: reward_mode {mode} needs a classifier checkpoint')
    threshold = d['classifier_threshold'] or (clf.threshold if clf is not None else 0.5)
    if not 0.0 < threshold < 1.0:
        raise ConfigError(f'task_node: classifier threshold {threshold} must be in (0, 1)')
    return TaskParams(task, mode, clf, float(threshold), d['classifier_consecutive'], d)


def resolve_task_file(path: str) -> Path:
    """Find a task file: as given (absolute, or from the working directory), else installed.

    ``config/tasks/x.yaml`` (and ``tasks/x.yaml``) are also looked up under
    ``share/robot_learning_bringup/`` of every ``AMENT_PREFIX_PATH`` entry, where the
    bringup package installs config/, so a profile works from any directory.
    """
    p = Path(path).expanduser()
    if p.is_absolute() or p.exists():
        return p
    for prefix in filter(None, os.environ.get('AMENT_PREFIX_PATH', '').split(os.pathsep)):
        share = Path(prefix) / 'share' / 'robot_learning_bringup'
        for cand in (share / p, share / 'config' / p):
            if cand.exists():
                return cand
    return p  # load_task names it in its one-line error


def _classifier(path: str) -> Optional[Any]:
    # Imported here: torch is loaded only by a node that runs a classifier.
    from robot_learning.algos.reward_classifier import load_classifier
    import torch

    # One small forward pass per step (~3 ms at 64x48): a second thread only competes
    # with the simulator and the learner for the robot computer's cores.
    torch.set_num_threads(1)

    try:
        return load_classifier(path)
    except CheckpointError as exc:
        raise ConfigError(f'task_node: classifier: {exc}') from None


def vocabulary_mismatch(clf: Any, task: TaskConfig) -> list[str]:
    """Return the task's instructions the classifier was not trained on."""
    known = set(getattr(clf, 'instructions', ()) or ())
    return [i for i in task.instructions() if i not in known]
