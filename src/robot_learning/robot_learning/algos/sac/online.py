# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 robot_learning maintainers
"""The online SAC learner without ROS: buffers, n-step returns, the UTD gate, checkpoints.

:class:`OnlineLearner` is what the ``sac_learner`` node drives: the node turns messages
into numpy transitions (:meth:`OnlineLearner.add`) and finished episodes
(:meth:`OnlineLearner.on_episode`), runs :meth:`OnlineLearner.update` in a worker thread
and publishes :meth:`OnlineLearner.weights_blob`; everything that decides what is learned
and what is saved is here, testable without rclpy.

- Replay: one online :class:`~robot_learning.data.buffers.ReplayBuffer` for every robot,
  and a demo buffer seeded from recorded bags that supplies ``sac.demo_ratio`` of every
  batch (symmetric sampling, RLPD: Ball et al., ICML 2023, arXiv:2302.02948).
- n-step returns per robot (``SACConfig.n_step``; Sutton and Barto 2018, sec. 7.1): each
  robot has its own :class:`~robot_learning.data.buffers.NStepAccumulator`, fed in stamp
  order; a gap in a robot's stamps (a lost step) flushes it, so no return spans the gap
  and robots never mix.
- Interventions (HIL-SERL, Luo et al. 2024, arXiv:2410.21845): a transition a human
  drove (``add(..., human=True)``) goes into the online buffer and into the demo
  (prior-data) buffer, which keeps ``OnlineConfig.intervention_capacity`` rows free for
  them (an empty one is made when there are no demo bags); human steps are counted per
  robot, per episode (``episodes.jsonl``: ``human_steps``, ``intervention_rate``) and in
  total (:attr:`OnlineLearner.human_steps`, kept across resumes).
- UTD gate: at most one :meth:`SAC.update` call (each ``utd_ratio`` critic steps) per
  received 1-step transition, after ``warmup_transitions`` and up to ``max_env_steps``,
  so the update-to-data ratio holds whatever the relative speed of robot and learner.
- Checkpoints (layout: :mod:`.checkpoint_sac`): ``checkpoints/latest`` holds a learner
  state (networks, Adam moments, temperature, RNG states, both buffers, counters), written
  every ``checkpoint_every`` updates and on request; a learner built on a run directory
  that has one continues from it (``resume``), else optionally from ``init_from``.
  ``checkpoints/best`` keeps the actor with the best rolling training success over
  ``best_window`` episodes (SB3's ``EvalCallback`` keeps a best model the same way).
- Files: ``<run_dir>/episodes.jsonl`` (one row per finished episode) and
  ``learning_curve.png`` (:func:`~robot_learning.common.curves.plot_learning_curve`).

Thread safety: :attr:`lock` guards buffers and counters, :attr:`train_lock` the networks
(an update against a checkpoint save); :meth:`add` and :meth:`on_episode` run on one
thread, :meth:`update` on another (or in a child process: :mod:`.update_process`).

Nothing here imports rclpy.
"""

from __future__ import annotations

from collections import deque
import json
import logging
from pathlib import Path
import threading
import time
from typing import Any, Callable, Iterable, Sequence

import numpy as np
from robot_learning.common.checkpoint import save_checkpoint, weights_to_bytes
from robot_learning.common.curves import plot_learning_curve
from robot_learning.data.buffers import NStepAccumulator, ReplayBuffer, sample_mixed
from robot_learning.data.dataset import load_demo_transitions, sparse_rewards, stack_transitions
from robot_learning.errors import CheckpointError, ConfigError, RobotLearningError

from .checkpoint_sac import (
    ACTOR_PREFIX,
    buffer_states,
    checkpoint_tensors,
    latest_learner_state,
    load_sac_state,
    read_checkpoint,
    sac_metadata,
    SAC_PREFIX,
)
from .configuration_sac import OnlineConfig, SACConfig
from .modeling_sac import SAC
from .update_process import RemoteUpdates

__all__ = ['OnlineLearner', 'RobotState', 'sparse_rewards']

_LOG = logging.getLogger(__name__)


class RobotState:
    """One robot's share of the learner: its n-step accumulator, last stamp and count.

    Attributes:
        label: the robot's name in counters, sidecars and ``episodes.jsonl``.
        nstep: :class:`~robot_learning.data.buffers.NStepAccumulator` of its steps.
        last_stamp: stamp (µs) of its last transition, -1 before the first.
        transitions: 1-step transitions received from it.
        episodes: finished episodes received from it (this process).
        human_steps: its 1-step transitions a human drove (interventions, across resumes).
        episode_human: human steps since its last finished episode.
        pending_human: the human flag of each step still in ``nstep``, oldest first (an
            n-step row carries the flag of its first step).
    """

    def __init__(
        self, label: str, cfg: SACConfig, transitions: int = 0, human_steps: int = 0
    ) -> None:
        self.label = label
        self.nstep = NStepAccumulator(cfg.n_step, cfg.gamma)
        self.last_stamp = -1
        self.transitions = transitions
        self.episodes = 0
        self.human_steps, self.episode_human = human_steps, 0
        self.pending_human: deque[bool] = deque()


class OnlineLearner:
    """Online SAC over replay and demo buffers, with save, resume and the best checkpoint.

    Args:
        sac_cfg: :class:`SACConfig` (``obs_dim``/``action_dim`` those of the spec).
        obs_cfg: observation spec (``ObservationConfig`` or ``VectorObservationConfig``).
        act_cfg: action spec (``ActionConfig`` or ``JointActionConfig``).
        run_dir: where ``checkpoints/``, ``episodes.jsonl`` and the curve go.
        cfg: :class:`OnlineConfig`.
        init_from: checkpoint directory whose full SAC state to start from when there is
            nothing to resume ('' = fresh networks).
        resume: continue from ``<run_dir>/checkpoints/latest`` when it is a learner state.
        demo_bags: bag directories seeding the demo buffer (navigation spec only); not
            read when the resumed state has a demo buffer.
        demo_outcomes: episode outcomes taken from the demo bags.
        demo_reward: ``(time, success, failure)``: relabel the demo rewards with a sparse
            reward (``time`` every step, plus ``success`` / ``failure`` on the terminal
            step of a successful / failed episode), so that demos and online data share
            one reward when the robot's comes from task_node's sparse modes (the bags hold
            the simulator's dense reward); None keeps the bags' rewards.
        log: ``log(level, message)`` with level ``'info'`` or ``'warning'``; default the
            :mod:`logging` module.
        title: title of the learning curve.
        update_process: run :meth:`SAC.update` in a process of its own, the buffers in
            shared memory (:mod:`.update_process`); False: in the caller's thread.
        update_threads: ``torch`` threads of that process (0 = the caller's count).

    Raises:
        CheckpointError: a checkpoint to resume or start from is unreadable or of another
            spec, network or buffer width (one line naming the mismatch).
        ConfigError: demo bags with a joint-space spec, or a bad config.
        RobotLearningError: the demo bags gave no transitions.
    """

    def __init__(
        self,
        sac_cfg: SACConfig,
        obs_cfg: Any,
        act_cfg: Any,
        run_dir: str | Path,
        cfg: OnlineConfig | None = None,
        init_from: str = '',
        resume: bool = True,
        demo_bags: Iterable[str] = (),
        demo_outcomes: Iterable[str] = ('success',),
        demo_reward: Sequence[float] | None = None,
        log: Callable[[str, str], None] | None = None,
        title: str = 'SAC learner',
        update_process: bool = False,
        update_threads: int = 0,
    ) -> None:
        self.sac_cfg, self.obs_cfg, self.act_cfg = sac_cfg, obs_cfg, act_cfg
        self.cfg = cfg if cfg is not None else OnlineConfig()
        self.run_dir = Path(run_dir)
        self.init_from, self.title = init_from, title
        self._log = log or (lambda level, message: getattr(_LOG, level)(message))
        self.sac = SAC(sac_cfg)
        self.rng = np.random.default_rng(sac_cfg.seed)
        self.online = ReplayBuffer(
            obs_cfg.dim, act_cfg.dim, self.cfg.buffer_capacity, seed=sac_cfg.seed
        )
        self.demo: ReplayBuffer | None = None
        self.demo_episodes = self.transitions = self.updates = self.version = 0
        self.human_steps = 0  # 1-step transitions a human drove (all robots, across resumes)
        self.best_success = -1.0
        self.recent: deque[bool] = deque(maxlen=self.cfg.best_window)
        self.rows: list[dict] = []  # finished episodes (learning curve)
        self.robots: dict[str, RobotState] = {}
        self._saved_robots: dict[str, int] = {}
        self._saved_human: dict[str, int] = {}
        self.resumed_from: Path | None = None
        self.resume_meta: dict = {}
        self.last_stats: dict[str, float] = {}
        self.save_rate = 0.0  # bytes/s of the last full save
        self.lock = threading.Lock()
        self.train_lock = threading.Lock()
        latest = latest_learner_state(self.run_dir) if resume else None
        self.critic_warmup_until = 0  # updates below it train the critics only
        if latest is not None:
            self._resume(latest)
            if self.resume_meta.get('init_from'):  # a warm-up cut short goes on
                self.critic_warmup_until = self.cfg.critic_warmup_updates
        elif init_from:
            self._load_init(Path(init_from))
            self.critic_warmup_until = self.updates + self.cfg.critic_warmup_updates
        bags = [b for b in demo_bags if b]
        if bags and (self.demo is None or not len(self.demo)):
            self._seed_demos(bags, tuple(demo_outcomes), demo_reward)
        if self.demo is None and self.cfg.intervention_capacity:
            # Interventions are prior data even without demo bags; made now (empty: every
            # batch row comes from the online buffer until the first human step).
            self.demo = ReplayBuffer(
                self.obs_cfg.dim,
                self.act_cfg.dim,
                self.cfg.intervention_capacity,
                seed=self.sac_cfg.seed + 1,
            )
        self._t0 = time.monotonic()
        self._wall_offset = float(self.resume_meta.get('wall_s', 0.0))
        self.run_dir.mkdir(parents=True, exist_ok=True)
        self._episodes_file = open(self.run_dir / 'episodes.jsonl', 'a', buffering=1)
        self.update_process_restarts = 0  # dead update processes restarted
        self._remote = RemoteUpdates(self, update_threads) if update_process else None

    # --- checkpoints in -------------------------------------------------------------
    def _load_init(self, path: Path) -> None:
        tensors, meta = read_checkpoint(path, self.obs_cfg, self.act_cfg, f'init_from {path}')
        load_sac_state(self.sac, tensors, meta, f'init_from {path}')
        optim = 'with' if any(k.startswith(SAC_PREFIX + 'optim.') for k in tensors) else 'without'
        origin = 'offline pretraining' if meta.get('pretrained') == 'offline' else 'sac_learner'
        self._log(
            'info',
            f'init_from {path}: SAC state of {origin} ({meta.get("algorithm")}, '
            f'{meta.get("updates", "?")} updates, {meta.get("env_steps", "?")} env steps), '
            f'alpha {self.sac.alpha:.4g}, {optim} optimizer state',
        )

    def _resume(self, path: Path) -> None:
        tensors, meta = read_checkpoint(path, self.obs_cfg, self.act_cfg)
        load_sac_state(self.sac, tensors, meta, f'resume: checkpoint {path}')
        try:
            for name, state in buffer_states(tensors).items():
                buffer = ReplayBuffer.from_state(state)
                if (buffer.obs_dim, buffer.action_dim) != (self.obs_cfg.dim, self.act_cfg.dim):
                    raise CheckpointError(
                        f'resume: {path} {name} buffer is {buffer.obs_dim}/{buffer.action_dim} '
                        f'wide, this learner needs {self.obs_cfg.dim}/{self.act_cfg.dim}'
                    )
                if name == 'demo':
                    self.demo = buffer
                    continue
                if buffer.capacity != self.online.capacity:
                    self._log(
                        'warning',
                        f'resume: the saved replay buffer has capacity {buffer.capacity}, '
                        f'buffer_capacity is {self.online.capacity}: keeping the saved one',
                    )
                self.online = buffer
        except ConfigError as exc:
            raise CheckpointError(f'resume: {path}: {exc}') from None
        self.transitions = int(meta.get('env_steps', 0))
        self.updates = int(meta.get('updates', 0))
        self.version = int(meta.get('version', 0))
        self.demo_episodes = int(meta.get('demo_episodes', 0))
        self.best_success = float(meta.get('best_training_success_so_far', -1.0))
        self.recent.extend(bool(x) for x in meta.get('recent_success', []))
        saved = meta.get('robot_transitions') or {}
        self._saved_robots = {str(k): int(v) for k, v in saved.items()}
        self.human_steps = int(meta.get('human_steps', 0))
        saved = meta.get('robot_human_steps') or {}
        self._saved_human = {str(k): int(v) for k, v in saved.items()}
        self.resume_meta, self.resumed_from = meta, path
        rows = self.run_dir / 'episodes.jsonl'
        if rows.is_file():
            for line in rows.read_text().splitlines():
                try:
                    row = json.loads(line)
                except ValueError:
                    continue
                if row.get('env_steps', 0) <= self.transitions:
                    self.rows.append(row)

    def _seed_demos(
        self, bags: list[str], outcomes: tuple[str, ...], reward: Sequence[float] | None
    ) -> None:
        if getattr(self.obs_cfg, 'kind', '') == 'vector':
            raise ConfigError(
                'demo_bags: only navigation demos (recorded by demo_recorder) can seed the '
                'demo buffer; leave demo_bags empty with observation_type joint_state'
            )
        transitions, episodes = load_demo_transitions(bags, self.obs_cfg, self.act_cfg, outcomes)
        if not transitions:
            raise RobotLearningError(
                f'demo bags {bags} gave no transitions: were action and episode recorded?'
            )
        arr = stack_transitions(transitions)
        if reward is not None:
            arr['rewards'] = sparse_rewards(transitions, *reward)
        # Room for the interventions to come; the capacity is saved with the buffer, so a
        # resumed learner keeps the room that is left.
        self.demo = ReplayBuffer(
            self.obs_cfg.dim,
            self.act_cfg.dim,
            len(transitions) + self.cfg.intervention_capacity,
            seed=self.sac_cfg.seed + 1,
        )
        self.demo.add_many(
            arr['observations'],
            arr['actions'],
            arr['rewards'],
            arr['next_observations'],
            arr['terminated'],
        )
        self.demo_episodes = len(episodes)

    # --- data -----------------------------------------------------------------------
    def robot(self, label: str) -> RobotState:
        """Return robot ``label``'s state, created on first use (count from a resumed state)."""
        if label not in self.robots:
            self.robots[label] = RobotState(
                label,
                self.sac_cfg,
                self._saved_robots.get(label, 0),
                self._saved_human.get(label, 0),
            )
        return self.robots[label]

    def add(
        self,
        robot: str,
        observation: np.ndarray,
        action: np.ndarray,
        reward: float,
        next_observation: np.ndarray,
        terminated: bool,
        truncated: bool,
        stamp: int,
        prev_stamp: int,
        human: bool = False,
    ) -> bool:
        """Take one 1-step transition of ``robot`` into the online buffer (n-step first).

        Args:
            robot: the robot's label (:meth:`robot`).
            observation, next_observation: ``(obs_dim,)`` float32.
            action: ``(action_dim,)`` float32 in [-1, 1].
            reward: the step's reward.
            terminated: a true termination (no bootstrap); truncated: a time limit.
            stamp, prev_stamp: µs keys of ``next_observation`` and ``observation``; a
                ``prev_stamp`` other than the robot's last ``stamp`` is a gap, which ends
                the pending n-step returns there.
            human: a human drove this step (an intervention): its n-step row also goes
                into the demo buffer (HIL-SERL), and it is counted in ``human_steps``.

        Returns:
            False when it was dropped: a non-finite observation, action or reward.
        """
        if not (
            np.isfinite(observation).all()
            and np.isfinite(next_observation).all()
            and np.isfinite(action).all()
            and np.isfinite(reward)
        ):
            return False
        state = self.robot(robot)
        rows = []
        if prev_stamp != state.last_stamp and len(state.nstep):
            rows += state.nstep.flush()  # a step went missing: never splice across the gap
        state.last_stamp = stamp
        state.pending_human.append(bool(human))
        rows += state.nstep.add(
            observation, action, reward, next_observation, terminated, truncated
        )
        with self.lock:
            for r in rows:
                # Every 1-step transition starts exactly one row, in order: its flag.
                first_human = state.pending_human.popleft()
                self.online.add(
                    r.obs, r.action, r.reward, r.next_obs, float(r.terminated), n_steps=r.n_steps
                )
                if first_human and self.cfg.intervention_capacity and self.demo is not None:
                    self.demo.add(
                        r.obs,
                        r.action,
                        r.reward,
                        r.next_obs,
                        float(r.terminated),
                        n_steps=r.n_steps,
                    )
            # Counted per received 1-step transition (what UTD and progress refer to);
            # n-step rows reach the buffer up to n-1 steps later.
            self.transitions += 1
            state.transitions += 1
            if human:
                self.human_steps += 1
                state.human_steps += 1
                state.episode_human += 1
        return True

    def add_transitions(
        self, robot: str, transitions: Iterable[Any], human_flags: Iterable[bool] | None = None
    ) -> int:
        """Take :class:`~robot_learning.data.transitions.Transition` records; return drops.

        Args:
            robot: the robot's label.
            transitions: the records, in stamp order.
            human_flags: one flag per record (a human drove it); None = each record's
                own ``intervention`` field (False where it has none).

        Raises:
            ValueError: ``human_flags`` is not one flag per record.
        """
        dropped = 0
        transitions = list(transitions or ())
        flags = (
            [bool(getattr(t, 'intervention', False)) for t in transitions]
            if human_flags is None
            else [bool(f) for f in human_flags]
        )
        if len(flags) != len(transitions):
            raise ValueError(
                f'add_transitions: {len(flags)} human_flags for {len(transitions)} transitions'
            )
        for t, human in zip(transitions, flags):
            dropped += not self.add(
                robot,
                t.observation,
                t.action,
                t.reward,
                t.next_observation,
                t.terminated,
                t.truncated,
                t.info.stamp,
                t.info.prev_stamp,
                human=human,
            )
        return dropped

    # --- learning -------------------------------------------------------------------
    def ready(self) -> bool:
        """Return whether the UTD gate lets one more update through now."""
        n, cfg = self.transitions, self.cfg
        capped = cfg.max_env_steps and self.updates >= cfg.max_env_steps
        return n >= cfg.warmup_transitions and self.updates < n and not capped

    def update(self) -> dict[str, float] | None:
        """Run one :meth:`SAC.update` if :meth:`ready` (then see :meth:`checkpoint_if_due`).

        Returns:
            The update's metrics (of the update process's next one), or None.
        """
        if self._remote is not None:
            return self._remote.poll()
        if not self.ready():
            return None
        with self.lock:
            cfg = self.sac_cfg  # one block of demo + online rows per UTD minibatch
            batch = sample_mixed(
                self.online, self.demo, self.sac.rows_per_update, cfg.demo_ratio, self.rng,
                cfg.utd_ratio,
            )
        # critic_warmup_updates: critics only until the loaded ones fit the online data.
        actor = self.updates >= self.critic_warmup_until
        with self.train_lock:
            stats = self.sac.update(batch, update_actor=actor)
        self.updates += 1
        self.last_stats = stats
        return stats

    def checkpoint_if_due(self) -> Path | None:
        """Write ``checkpoints/latest`` when ``updates`` is a multiple of ``checkpoint_every``.

        Called after each update (and after publishing its weights, so that the saved
        ``version`` is the one the robots have). Returns the path, or None when not due.
        """
        every = self.cfg.checkpoint_every
        if every and self.updates and self.updates % every == 0:
            return self.save('latest')
        return None

    def trained_through(self, robot: str) -> int:
        """Return ``robot``'s transitions trained through: its share of ``updates``."""
        total = max(self.transitions, 1)
        return int(min(self.updates, total) * self.robot(robot).transitions // total)

    def on_episode(self, robot: str, episode: Any) -> dict[str, Any]:
        """Record a finished episode; keep the actor if the rolling success is a new best.

        ``checkpoints/best`` is written when the success rate of the last ``best_window``
        episodes (all robots) beats every earlier full window: online SAC plateaus and
        wobbles, and the last weights are not always the best ones.

        Args:
            robot: the robot's label.
            episode: an :class:`~robot_learning.data.transitions.EpisodeRecord`.

        Returns:
            The row appended to ``episodes.jsonl``.
        """
        state = self.robot(robot)
        state.episodes += 1
        human, state.episode_human = state.episode_human, 0
        row = {
            'episode': episode.episode,
            'robot': robot,
            'instruction': episode.instruction,
            'outcome': episode.outcome,
            'success': episode.outcome == 'success',
            'return': episode.episode_return,
            'length': episode.length,
            'human_steps': human,
            'intervention_rate': round(human / max(episode.length, 1), 4),
            'env_steps': self.transitions,
            'updates': self.updates,
            'weights_version': self.version,
            'wall_s': round(self.wall_s(), 2),
        }
        self._episodes_file.write(json.dumps(row) + '\n')
        self.rows.append(row)
        self.recent.append(row['success'] and not human)  # rescued: not the actor's success
        if len(self.recent) == self.recent.maxlen:
            rate = float(np.mean(self.recent))
            if rate > self.best_success:
                self.best_success = rate
                self.save('best', full=False, best_training_success=rate)
        return row

    # --- checkpoints out ------------------------------------------------------------
    def wall_s(self) -> float:
        """Return seconds of learning, across resumes."""
        return self._wall_offset + time.monotonic() - self._t0

    def metadata(self) -> dict[str, Any]:
        """Return the sidecar of the current weights (:func:`.checkpoint_sac.sac_metadata`)."""
        counts = {'version': self.version, 'env_steps': self.transitions, 'updates': self.updates}
        fields = {**counts, 'demo_episodes': self.demo_episodes, 'init_from': self.init_from}
        return sac_metadata(self.obs_cfg, self.act_cfg, self.sac_cfg, **fields)

    def weights_blob(self) -> bytes:
        """Count a new weights version and return the actor as a safetensors blob.

        The blob of :func:`~robot_learning.common.checkpoint.weights_to_bytes`, whose
        metadata carries ``version`` and the send time ``sent_unix`` (s since the epoch).
        """
        sent = time.time()
        self.version += 1
        if self._remote is not None:
            self._remote.pull_actor()
        tensors = {ACTOR_PREFIX + k: v for k, v in self.sac.actor_state().items()}
        return weights_to_bytes(tensors, {**self.metadata(), 'sent_unix': sent})

    def save(self, name: str = 'latest', full: bool = True, plot: bool = True, **extra) -> Path:
        """Write ``<run_dir>/checkpoints/<name>`` atomically.

        Actor and full SAC state; with ``full`` also the replay buffers and counters (a
        learner state that ``resume`` continues from) and then the learning curve (with
        ``plot``). ``extra`` goes into the sidecar.

        Raises:
            CheckpointError: the directory cannot be written (one line).
        """
        with self.train_lock, self.lock:
            if self._remote is not None:  # the update process's state, not this one's
                self._remote.pull_state()
            buffers = {}
            if full:  # a best checkpoint holds no buffers: no copy of them either
                buffers['online'] = self.online.state()
                if self.demo is not None:
                    buffers['demo'] = self.demo.state()
            tensors = checkpoint_tensors(self.sac, buffers)
            meta = {**self.metadata(), **extra}
            if full:
                meta.update(
                    learner_state=True,
                    wall_s=round(self.wall_s(), 2),
                    robot_transitions={r.label: r.transitions for r in self.robots.values()},
                    human_steps=self.human_steps,
                    robot_human_steps={r.label: r.human_steps for r in self.robots.values()},
                    best_training_success_so_far=self.best_success,
                    recent_success=[bool(x) for x in self.recent],
                )
        t0 = time.monotonic()
        path = save_checkpoint(self.run_dir / 'checkpoints' / name, tensors, meta)
        if full:  # the rate predicts how long the final checkpoint takes
            nbytes = sum(t.numel() * t.element_size() for t in tensors.values())
            self.save_rate = nbytes / max(time.monotonic() - t0, 1e-3)
            if plot:
                self.plot()
        return path

    def plot(self) -> None:
        """Write ``learning_curve.png`` from the episodes so far (a warning if it cannot)."""
        try:
            plot_learning_curve(
                list(self.rows), self.run_dir / 'learning_curve.png', title=self.title
            )
        except (OSError, ValueError) as exc:
            self._log('warning', f'learning curve not written: {exc}')

    def full_state_bytes(self) -> int:
        """Approximate size of a full checkpoint (networks + filled buffer rows), bytes."""
        n = sum(p.numel() * p.element_size() for p in self.sac.state_dict().values())
        for buffer in (self.online, self.demo):
            if buffer is not None:
                n += len(buffer) * 4 * (2 * buffer.obs_dim + buffer.action_dim + 3)
        return int(n)

    def close(self) -> None:
        """Close ``episodes.jsonl``; stop the update process and unlink its shared memory."""
        if self._remote is not None:
            self._remote.close()
        self._episodes_file.close()
