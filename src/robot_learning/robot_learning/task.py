# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 robot_learning maintainers
"""Episodes, rewards and outcomes of a task from sources a real robot has (ROS-free).

``task_node`` (robot_learning_nodes) converts messages and calls this module; the tests
drive it without rclpy. A task is a YAML file (``config/tasks/*.yaml``)::

    task:
      frame: odom                     # frame of the goal positions and of the robot pose
      instruction: go to the {goal} pillar
      success_radius: 0.4             # m, robot centre to goal centre
      wrong_radius: 0.4               # m, a wrong goal this close ends the episode (0: off)
      max_steps: 200                  # truncation ('timeout') after this many steps (0: off)
      max_seconds: 0.0                # ... or this many seconds of observation stamps (0: off)
      goals:                          # order = order of the ``detections`` poses
        - {name: red, topic: sim/objects/red}    # geometry_msgs/PoseStamped ground truth
        - {name: dock, position: [1.5, -0.5]}    # fixed, in ``frame``
      sample: [red, dock]             # goals an episode may instruct (default: all)
      reward:                         # dense mode; defaults are the built-in world's
        progress: 10.0                # per metre of progress toward the goal
        time: -0.05                   # every step
        success: 10.0                 # reaching the goal (terminal, 'success')
        wrong: -5.0                   # reaching a wrong goal (terminal, 'failure')
        collision: -0.5               # per step with a scan sector closer than collision_range
        collision_range: 0.0          # m (0: no collision term)
      sparse:                         # classifier / operator modes
        success: 10.0
        failure: -5.0
        time: -0.05

The dense reward is the built-in world's (``robot_learning_sim/world.py``, :class:`World`
docstring; the defaults of ``world_config.py``): progress toward the instructed goal, a
time penalty, +10 at the goal within the success radius, -5 and 'failure' at a wrong
one. Collisions are not measured on a real robot; the optional term here comes from the
LiDAR (a scan sector closer than ``collision_range``), off by default. The sparse modes
(HIL-SERL, Luo et al. 2024) reward only the end: the success classifier's P(success)
>= threshold for ``consecutive`` steps (``classifier``) or an operator's
``task/success`` (``operator``, and in every mode). ``dense_classifier`` keeps the dense
terms (progress, time, wrong goal; the pose is needed) but success, its bonus and the
termination come from the classifier instead of the success radius: the shaping of
the dense reward with a success signal that needs no goal radius a person has to trust.

Disarmed goals (dense): where nothing moves the robot back between episodes (Gazebo or a
real robot without a ``reset_service``), an episode starts where the last one ended,
often inside a goal's radius. A goal whose radius (``success_radius`` for the instructed
goal, ``wrong_radius`` for the others) already holds the robot at the step-0 pose is
disarmed: it ends nothing (no success, no 'wrong goal') until the robot has once been
outside that radius; progress toward the goal is still rewarded.
"""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path
from typing import Any, NamedTuple, Optional, Sequence

import numpy as np
from robot_learning.errors import ConfigError, one_line
import yaml

#: Reward modes: dense progress from poses, sparse success from classifier / operator, or
#: the dense shaping with the classifier's verdict in place of the success radius.
MODES = ('dense', 'classifier', 'operator', 'dense_classifier')
#: Modes whose reward needs the robot pose; modes that call the success classifier.
POSE_MODES = ('dense', 'dense_classifier')
CLASSIFIER_MODES = ('classifier', 'dense_classifier')
#: Operator events (``task/<event>`` services).
EVENTS = ('success', 'failure', 'discard')


@dataclasses.dataclass(frozen=True)
class Goal:
    """One goal of a task: a fixed position or a ground-truth pose topic."""

    name: str
    position: Optional[tuple[float, float]] = None  # (x m, y m) in the task frame
    topic: str = ''  # geometry_msgs/PoseStamped topic (when position is None)


@dataclasses.dataclass(frozen=True)
class DenseReward:
    """Dense reward terms (defaults: ``robot_learning_sim/world_config.py``)."""

    progress: float = 10.0
    time: float = -0.05
    success: float = 10.0
    wrong: float = -5.0
    collision: float = -0.5
    collision_range: float = 0.0


@dataclasses.dataclass(frozen=True)
class SparseReward:
    """Sparse reward terms: the end of an episode and a per-step time penalty."""

    success: float = 10.0
    failure: float = -5.0
    time: float = -0.05


@dataclasses.dataclass(frozen=True)
class TaskConfig:
    """A task: goals, instruction template, radii, time limits and reward terms."""

    goals: tuple[Goal, ...]
    frame: str = 'odom'
    instruction: str = 'go to the {goal} pillar'
    success_radius: float = 0.4
    wrong_radius: float = 0.4
    max_steps: int = 200
    max_seconds: float = 0.0
    sample: tuple[str, ...] = ()
    reward: DenseReward = DenseReward()
    sparse: SparseReward = SparseReward()

    @property
    def names(self) -> tuple[str, ...]:
        """Goal names in detection order."""
        return tuple(g.name for g in self.goals)

    def goal(self, name: str) -> Goal:
        """Return the goal called ``name``.

        Raises:
            ConfigError: no goal has that name (one line listing the known ones).
        """
        for g in self.goals:
            if g.name == name:
                return g
        raise ConfigError(f'task: unknown goal {name!r}; the task has {list(self.names)}')

    def instruction_for(self, name: str) -> str:
        """Return the instruction text of goal ``name``."""
        return self.instruction.format(goal=name)

    def instructions(self) -> tuple[str, ...]:
        """Return the instruction of every goal an episode may instruct."""
        return tuple(self.instruction_for(n) for n in (self.sample or self.names))


def _fields(cls, raw: Any, where: str) -> dict:
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise ConfigError(f'task: {where} must be a mapping, got {type(raw).__name__}')
    known = {f.name for f in dataclasses.fields(cls)}
    unknown = sorted(set(raw) - known)
    if unknown:
        raise ConfigError(f'task: unknown {where} field(s) {unknown}; known: {sorted(known)}')
    out = {}
    for k, v in raw.items():
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
            raise ConfigError(f'task: {where}.{k} must be a finite number, got {v!r}')
        out[k] = float(v)
    return out


def _goal(raw: Any, i: int) -> Goal:
    if not isinstance(raw, dict) or not isinstance(raw.get('name'), str) or not raw['name']:
        raise ConfigError(f'task: goals[{i}] must be a mapping with a name, got {raw!r}')
    name = raw['name']
    extra = sorted(set(raw) - {'name', 'position', 'topic'})
    if extra:
        raise ConfigError(f'task: goal {name!r} has unknown field(s) {extra}')
    pos, topic = raw.get('position'), raw.get('topic', '')
    if (pos is None) == (not topic):
        raise ConfigError(f'task: goal {name!r} needs exactly one of position: [x, y] or topic:')
    if pos is not None:
        ok = isinstance(pos, (list, tuple)) and len(pos) == 2 and all(
            isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)
            for v in pos
        )
        if not ok:
            raise ConfigError(f'task: goal {name!r} position must be [x, y] in m, got {pos!r}')
        return Goal(name, (float(pos[0]), float(pos[1])))
    if not isinstance(topic, str):
        raise ConfigError(f'task: goal {name!r} topic must be a string, got {topic!r}')
    return Goal(name, None, topic)


def task_from_dict(raw: Any, source: str = 'task') -> TaskConfig:
    """Build and check a :class:`TaskConfig` from the parsed YAML (the ``task:`` mapping).

    Raises:
        ConfigError: one line naming the bad field (unknown goal, missing position, a
            negative radius, ...).
    """
    if isinstance(raw, dict) and 'task' in raw:
        raw = raw['task']
    if not isinstance(raw, dict):
        raise ConfigError(f'{source}: expected a mapping under task:, got {type(raw).__name__}')
    top = {'goals', 'frame', 'instruction', 'success_radius', 'wrong_radius', 'max_steps',
           'max_seconds', 'sample', 'reward', 'sparse'}
    unknown = sorted(set(raw) - top)
    if unknown:
        raise ConfigError(f'{source}: unknown field(s) {unknown}; known: {sorted(top)}')
    goals = raw.get('goals')
    if not isinstance(goals, list) or not goals:
        raise ConfigError(f'{source}: goals must be a non-empty list')
    parsed = tuple(_goal(g, i) for i, g in enumerate(goals))
    names = [g.name for g in parsed]
    if len(set(names)) != len(names):
        raise ConfigError(f'{source}: goal names must be distinct, got {names}')
    kw: dict[str, Any] = {'goals': parsed}
    for key in ('frame', 'instruction'):
        if key in raw:
            if not isinstance(raw[key], str) or not raw[key]:
                raise ConfigError(f'{source}: {key} must be a non-empty string')
            kw[key] = raw[key]
    if '{goal}' not in kw.get('instruction', '{goal}'):
        raise ConfigError(f'{source}: instruction must contain {{goal}}')
    for key in ('success_radius', 'wrong_radius', 'max_seconds'):
        if key in raw:
            v = raw[key]
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not v >= 0:
                raise ConfigError(f'{source}: {key} must be a number >= 0, got {v!r}')
            kw[key] = float(v)
    if 'max_steps' in raw:
        v = raw['max_steps']
        if isinstance(v, bool) or not isinstance(v, int) or v < 0:
            raise ConfigError(f'{source}: max_steps must be an integer >= 0, got {v!r}')
        kw['max_steps'] = v
    if kw.get('success_radius', 0.4) <= 0:
        raise ConfigError(f'{source}: success_radius must be > 0')
    sample = raw.get('sample') or ()
    if not isinstance(sample, (list, tuple)):
        raise ConfigError(f'{source}: sample must be a list of goal names')
    for s in sample:
        if s not in names:
            raise ConfigError(f'{source}: sample names unknown goal {s!r}; goals: {names}')
    kw['sample'] = tuple(sample)
    kw['reward'] = DenseReward(**_fields(DenseReward, raw.get('reward'), 'reward'))
    kw['sparse'] = SparseReward(**_fields(SparseReward, raw.get('sparse'), 'sparse'))
    if kw['reward'].collision_range < 0:
        raise ConfigError(f'{source}: reward.collision_range must be >= 0')
    return TaskConfig(**kw)


def load_task(path: str | Path) -> TaskConfig:
    """Read a task YAML file.

    Raises:
        ConfigError: the file is missing, not YAML, or its fields are bad (one line).
    """
    p = Path(path)
    try:
        raw = yaml.safe_load(p.read_text())
    except OSError as exc:
        raise ConfigError(f'task file {p}: {exc.strerror or exc}') from None
    except yaml.YAMLError as exc:
        raise ConfigError(f'task file {p}: not YAML: {one_line(exc, 200)}') from None
    return task_from_dict(raw, f'task file {p}')


class StepResult(NamedTuple):
    """What one observation step of an episode was worth (the ``episode`` status)."""

    reward: float
    terminated: bool
    truncated: bool
    outcome: str  # running | success | failure | timeout
    step: int
    episode_return: float


class TaskTracker:
    """Per-step (pose, classifier probability, operator event) -> reward and episode end.

    Args:
        cfg: the task.
        mode: ``dense`` (poses: progress, goal radii), ``classifier`` (P(success) >=
            ``threshold`` for ``consecutive`` steps) or ``operator`` (only
            :meth:`request`). Operator events end an episode in every mode; the time
            limit truncates in every mode.
        threshold: classifier decision threshold in (0, 1).
        consecutive: steps in a row the classifier must say success.
    """

    def __init__(self, cfg: TaskConfig, mode: str = 'dense', threshold: float = 0.5,
                 consecutive: int = 1):
        if mode not in MODES:
            raise ConfigError(f'task: reward mode {mode!r} must be one of {list(MODES)}')
        if not 0.0 < threshold < 1.0:
            raise ConfigError(f'task: classifier threshold {threshold} must be in (0, 1)')
        if consecutive < 1:
            raise ConfigError(f'task: consecutive {consecutive} must be >= 1')
        self.cfg, self.mode = cfg, mode
        self.threshold, self.consecutive = float(threshold), int(consecutive)
        self.episode = -1
        self.goal = ''
        self.instruction = ''
        self.running = False
        self.outcome = 'running'
        self.step_index = 0
        self.episode_return = 0.0
        self._start_stamp = 0.0
        self._d_prev = math.nan
        self._hits = 0
        self._event: Optional[str] = None
        self._disarmed: set[int] = set()

    def begin(self, goal: str, stamp: float, pose: Optional[Sequence[float]] = None,
              goals: Optional[np.ndarray] = None) -> StepResult:
        """Start the next episode at its step-0 observation (stamp ``stamp`` s).

        Args:
            goal: name of the instructed goal.
            stamp: the step-0 observation's stamp, s.
            pose: robot (x, y, yaw) or None (unknown).
            goals: float (n, 2) goal positions in task order (NaN: unknown) or None.

        Goals whose radius already holds the robot at ``pose`` are disarmed until it has
        left that radius (module docstring, :attr:`disarmed`).

        Returns:
            The step-0 result: reward 0, running.
        """
        self.cfg.goal(goal)
        self.episode += 1
        self.goal, self.instruction = goal, self.cfg.instruction_for(goal)
        self.running, self.outcome = True, 'running'
        self.step_index, self.episode_return = 0, 0.0
        self._start_stamp = float(stamp)
        self._hits, self._event = 0, None
        self._d_prev = self._distance(pose, goals)
        self._disarmed = set(self._inside(pose, goals))
        return StepResult(0.0, False, False, 'running', 0, 0.0)

    @property
    def disarmed(self) -> tuple[str, ...]:
        """Names of the goals that end nothing until the robot has left their radius."""
        return tuple(self.cfg.names[i] for i in sorted(self._disarmed))

    def request(self, event: str) -> tuple[bool, str]:
        """Ask to end the running episode with an operator event at its next step.

        Returns:
            (accepted, reason): refused when no episode runs, it already ended, or an
            event is already pending (a button pressed twice is never counted twice).
        """
        if event not in EVENTS:
            return False, f'unknown event {event!r}'
        if self.episode < 0:
            return False, 'no episode has started'
        if not self.running:
            return False, f'episode {self.episode} already ended ({self.outcome})'
        if self._event is not None:
            return False, f'episode {self.episode} already ends with {self._event}'
        self._event = event
        return True, f'episode {self.episode}: {event} at the next step'

    @property
    def pending(self) -> Optional[str]:
        """Return the operator event waiting for the next step (None: none)."""
        return self._event

    def discard_now(self) -> bool:
        """End the running episode without a terminal step (discarded: never counted).

        Returns:
            Whether an episode was running.
        """
        was = self.running
        self.running, self.outcome, self._event = False, 'discarded', None
        return was

    def step(self, stamp: float, pose: Optional[Sequence[float]] = None,
             goals: Optional[np.ndarray] = None, probability: Optional[float] = None,
             min_range: Optional[float] = None) -> StepResult:
        """Score one observation step of the running episode.

        Args:
            stamp: the observation's stamp, s.
            pose: robot (x m, y m, yaw rad) in the task frame, None when unknown.
            goals: float (n, 2) goal positions in task order (NaN rows unknown), or None.
            probability: the classifier's P(success) of this observation, None when it
                has none (no classifier, a mismatching input).
            min_range: the closest scan sector, m (None: no scan), for the collision term.

        Returns:
            The step's :class:`StepResult`; once terminal, :attr:`running` is False.

        Raises:
            RuntimeError: no episode is running.
        """
        if not self.running:
            raise RuntimeError('TaskTracker.step: no episode is running')
        self.step_index += 1
        sp = self.cfg.sparse
        reward, outcome = 0.0, 'running'
        if self.mode in CLASSIFIER_MODES and probability is not None:
            self._hits = self._hits + 1 if probability >= self.threshold else 0
        said_success = self._hits >= self.consecutive
        if self.mode in POSE_MODES:
            r = self.cfg.reward
            if self._disarmed and pose is not None and goals is not None:
                self._disarmed &= set(self._inside(pose, goals))  # left its radius: armed
            d = self._distance(pose, goals)
            if math.isfinite(d) and math.isfinite(self._d_prev):
                reward += r.progress * (self._d_prev - d)
            if math.isfinite(d):
                self._d_prev = d
            reward += r.time
            if (r.collision_range > 0 and min_range is not None
                    and min_range < r.collision_range):
                reward += r.collision
            gi = self.cfg.names.index(self.goal)
            if self.mode == 'dense_classifier':
                # The pose outranks the camera: at a wrong goal it is a failure.
                at_goal = said_success and not self._wrong(pose, goals)
            else:
                at_goal = math.isfinite(d) and d < self.cfg.success_radius
            if at_goal and gi not in self._disarmed:
                reward, outcome = reward + r.success, 'success'
            elif self._wrong(pose, goals):
                reward, outcome = reward + r.wrong, 'failure'
        else:
            reward += sp.time
            if self.mode == 'classifier' and said_success:
                reward, outcome = reward + sp.success, 'success'
        event, self._event = self._event, None
        if event is not None and outcome == 'running':
            # Dense mode keeps its own scale for an operator's verdict.
            big = self.cfg.reward if self.mode in POSE_MODES else None
            if event == 'success':
                reward += big.success if big else sp.success
                outcome = 'success'
            elif event == 'failure':
                reward += big.wrong if big else sp.failure
                outcome = 'failure'
        terminated = outcome != 'running'
        truncated = False
        if not terminated and self._time_up(stamp):
            truncated, outcome = True, 'timeout'
        self.episode_return += reward
        self.outcome = outcome
        self.running = not (terminated or truncated)
        return StepResult(float(reward), terminated, truncated, outcome, self.step_index,
                          self.episode_return)

    def _time_up(self, stamp: float) -> bool:
        c = self.cfg
        if c.max_steps and self.step_index >= c.max_steps:
            return True
        return bool(c.max_seconds) and stamp - self._start_stamp >= c.max_seconds - 1e-9

    def _distance(self, pose, goals) -> float:
        if pose is None or goals is None:
            return math.nan
        g = goals[self.cfg.names.index(self.goal)]
        return math.hypot(float(g[0]) - pose[0], float(g[1]) - pose[1])

    def _inside(self, pose, goals) -> list[int]:
        # Indices of the goals whose radius holds the robot (the instructed goal's
        # success_radius, the others' wrong_radius; 0: never).
        if pose is None or goals is None:
            return []
        gi = self.cfg.names.index(self.goal)
        out = []
        for i, g in enumerate(goals):
            radius = self.cfg.success_radius if i == gi else self.cfg.wrong_radius
            if radius > 0 and np.isfinite(g).all():
                if math.hypot(float(g[0]) - pose[0], float(g[1]) - pose[1]) < radius:
                    out.append(i)
        return out

    def _wrong(self, pose, goals) -> bool:
        gi = self.cfg.names.index(self.goal)
        return any(i != gi and i not in self._disarmed for i in self._inside(pose, goals))


def pick_goal(cfg: TaskConfig, rng: np.random.Generator,
              goals: Optional[np.ndarray] = None, fixed: str = '') -> Optional[str]:
    """Draw the goal of the next episode.

    Args:
        cfg: the task.
        rng: the node's generator (seeded: the same seed gives the same goal sequence).
        goals: float (n, 2) current goal positions in task order; a goal whose row is NaN
            is absent this episode and never drawn (None: every goal is present).
        fixed: a goal name to use every episode ('' = draw uniformly from ``cfg.sample``,
            or from every goal when it is empty).

    Returns:
        The goal name, or None when no candidate is present.

    Raises:
        ConfigError: ``fixed`` names no goal of the task.
    """
    names = cfg.names
    if fixed:
        cfg.goal(fixed)
        candidates = [fixed]
    else:
        candidates = list(cfg.sample or names)
    if goals is not None:
        candidates = [n for n in candidates if np.isfinite(goals[names.index(n)]).all()]
    if not candidates:
        return None
    return candidates[int(rng.integers(len(candidates)))]


def closest_range(sectors: Optional[np.ndarray]) -> Optional[float]:
    """Closest return of a scan, m, for the collision term.

    Args:
        sectors: float32 (n,) ranges, m (REP-117: -inf closer than range_min counts as 0,
            +inf and NaN as no return); None: no scan.

    Returns:
        The smallest range, or None when there is no finite return.
    """
    if sectors is None or not sectors.size:
        return None
    s = np.where(np.isneginf(sectors), 0.0, sectors)
    return float(np.nanmin(s[np.isfinite(s)])) if np.isfinite(s).any() else None
