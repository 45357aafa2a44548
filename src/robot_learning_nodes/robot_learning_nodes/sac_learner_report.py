# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 robot_learning maintainers
"""The SAC learner's 1 Hz report: diagnostics values and TensorBoard scalars.

Kept out of :mod:`.sac_learner` so the node stays a thin shell; :func:`report` reads the
node's :class:`~robot_learning.algos.sac.online.OnlineLearner`, its robot streams and
meters, and writes nothing back but the node's ``_diag_counts`` (the counts seen at the
previous report, which the diagnostics rates are ticked from).
"""

from __future__ import annotations


def report(node) -> None:
    """Publish one report of a :class:`~.sac_learner.SacLearner` (its 1 s timer).

    Args:
        node: the learner node; uses ``learner``, ``diag``, ``_tb`` (a TensorBoard
            ``SummaryWriter`` or None), ``robots``, ``_updates_meter`` and
            ``_diag_counts`` (``(transitions, updates)`` at the previous report).
    """
    learner, diag, tb = node.learner, node.diag, node._tb
    updates_rate = node._updates_meter.update(learner.updates)
    seen, done = node._diag_counts
    node._diag_counts = (learner.transitions, learner.updates)
    if learner.transitions > seen:
        diag.tick('transitions', learner.transitions - seen)
    if learner.updates > done:
        diag.tick('updates', learner.updates - done)
    diag.set('transitions', learner.transitions, task='transitions')
    diag.set('updates', learner.updates, task='updates')
    diag.set('updates_per_s', f'{updates_rate:.1f}', task='updates')
    diag.set('weights_version', learner.version, task='updates')
    diag.set('update_process_restarts', learner.update_process_restarts, task='updates')
    diag.set('online_buffer', len(learner.online))
    diag.set('demo_buffer', len(learner.demo) if learner.demo else 0)
    diag.set('human_steps', learner.human_steps)
    dropped: dict[str, int] = {}
    step = learner.transitions
    for robot in node.robots:
        rate = robot.meter.update(robot.transitions)
        diag.set(f'transitions_{robot.label}', robot.transitions)
        diag.set(f'transitions_per_s_{robot.label}', f'{rate:.1f}')
        diag.set(f'episodes_{robot.label}', robot.state.episodes)
        for k, v in robot.diag_values().items():  # human_steps_<robot>, interventions
            diag.set(k, v)
        for k, v in robot.drops().items():
            dropped[k] = dropped.get(k, 0) + v
        if tb is not None:
            tb.add_scalar(f'robots/{robot.label}/transitions_per_s', rate, step)
            tb.add_scalar(f'robots/{robot.label}/transitions', robot.transitions, step)
    for k, v in dropped.items():
        diag.set(f'dropped_{k}', v)
    for k, v in learner.last_stats.items():
        diag.set(k, f'{v:.4g}', task='updates')
    if tb is not None:
        tb.add_scalar('learner/updates_per_s', updates_rate, step)
        tb.add_scalar('learner/weights_version', learner.version, step)


def learner_log(logger):
    """Return ``log(level, text)`` for :class:`OnlineLearner` that writes to ``logger``.

    rclpy refuses a second severity from one call site ("Logger severity cannot be changed
    between calls"), so each level has its own call.
    """
    def log(level: str, text: str) -> None:
        if level == 'error':
            logger.error(text)
        elif level == 'warning':
            logger.warning(text)
        else:
            logger.info(text)

    return log
