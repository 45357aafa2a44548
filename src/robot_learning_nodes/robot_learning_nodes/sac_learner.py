# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 robot_learning maintainers
"""SAC learner node: online Soft Actor-Critic fed from live topics by one or more robots.

Transitions come from each robot's observation topics, its stamped action echo and its
``episode`` statuses, assembled by the core
(:class:`~robot_learning.data.transitions.TransitionPipeline` for the navigation robot,
:class:`~robot_learning.data.transitions.TransitionAssembler` for joint-space robots and
gymnasium environments; the same code the bag dataset uses).
Gradient steps run in a worker thread, at most one :meth:`SAC.update` call (each of
``sac.utd_ratio`` critic steps) per received transition, while the executor keeps taking
messages. A demo buffer seeded from recorded bags supplies ``sac.demo_ratio`` of every
batch (RLPD, Ball et al. 2023). With ``sac.n_step`` > 1 each robot's transitions become
n-step transitions (:class:`~robot_learning.data.buffers.NStepAccumulator`) before the buffer.

Observation kinds (``observation_type``):

* ``navigation``: ``observation/scan`` (lidar_ingest sectors), ``odom``, ``detections``,
  ``instruction``; action echo ``action`` (TwistStamped).
* ``joint_state``: ``joint_states`` (sensor_msgs/JointState, vector = position ‖ velocity ‖
  effort, ``vector_observation.dim`` long); action echo ``joint_action`` (JointState
  stamped with the observation it answers, command in joint units, mapped to [-1, 1] by
  ``joint_action.low``/``high``).

Several robots (``robots``, e.g. ``['/robot1', '/robot2']``): every topic above is read
under each robot's namespace, each robot has its own assembler (stamps of different
robots never meet), all transitions go into one replay buffer, and every weight version
is published to each robot's ``policy/weights`` (the same blob). Per-robot transition
counts and rates are on ``/diagnostics`` and in TensorBoard.

Resume: ``checkpoints/latest`` holds everything needed to continue (networks, target
critics, Adam moments, temperature, RNG states, the online and demo replay buffers,
counters), written atomically every ``checkpoint_every`` updates and on shutdown. With
``resume: true`` a learner started on a run directory that has one continues from it
(a learner killed with SIGKILL loses only what came after that checkpoint); the policy
nodes keep acting on the last weights they received meanwhile.

Pacing: every ``progress_every`` updates the learner publishes ``learner/progress``
(std_msgs/UInt64, per robot: transitions trained through) so that a lockstep simulator can
keep the actor from running ahead of the learner (gym_bridge ``lockstep_max_lag``).

Bad input never enters the buffer: non-finite observations, actions or rewards and
messages of the wrong length are dropped, counted on diagnostics and reported in one
throttled line naming the expected length.
"""

from __future__ import annotations

from collections import deque
import json
from pathlib import Path
import threading
import time

from diagnostic_msgs.msg import DiagnosticArray
from geometry_msgs.msg import PoseArray, TwistStamped
from nav_msgs.msg import Odometry
import numpy as np
from rclpy.node import Node
from robot_learning.algos.sac.modeling_sac import SAC, SACConfig, tune_cpu_allocator
from robot_learning.common.checkpoint import (
    check_spec,
    load_checkpoint,
    METADATA_FILE,
    save_checkpoint,
    weights_to_bytes,
)
from robot_learning.common.curves import plot_learning_curve
from robot_learning.common.features import (
    ActionConfig,
    command_from_joint_state,
    detections_from_msg,
    JointActionConfig,
    ObservationConfig,
    sectors_from_msg,
    stamp_us,
    step_info_from_msg,
    vector_from_joint_state,
    VectorObservationConfig,
    velocity_from_odom,
)
from robot_learning.data.buffers import NStepAccumulator, ReplayBuffer, sample_mixed
from robot_learning.data.dataset import load_demo_transitions, stack_transitions
from robot_learning.data.transitions import (
    EpisodeRecord,
    EpisodeTracker,
    TransitionAssembler,
    TransitionPipeline,
)
from robot_learning.errors import CheckpointError, ConfigError, MessageError, RobotLearningError
from robot_learning.policy import ACTOR_PREFIX, policy_metadata
from sensor_msgs.msg import JointState, LaserScan
from std_msgs.msg import String, UInt64, UInt8MultiArray
from std_srvs.srv import Trigger
import torch

from .common import (
    declare,
    declare_dataclass,
    DEEP_RELIABLE_QOS,
    Diagnostics,
    LATCHED_QOS,
    live_parameters,
    spin_node,
)

_OBSERVATION_TYPES = ('navigation', 'joint_state')
#: Descriptor ranges (min, max) of the ``observation.*`` and ``sac.*`` parameters.
_OBS_RANGES = {
    'num_sectors': (1, 4096),
    'range_max': (1e-3, 1000.0),
    'detection_range': (1e-3, 1000.0),
    'max_linear': (1e-3, 100.0),
    'max_angular': (1e-3, 100.0),
}
_SAC_RANGES = {
    'gamma': (0.0, 1.0),
    'tau': (0.0, 1.0),
    'actor_lr': (0.0, 1.0),
    'critic_lr': (0.0, 1.0),
    'alpha_lr': (0.0, 1.0),
    'init_alpha': (0.0, 1e6),
    'batch_size': (1, 1 << 20),
    'utd_ratio': (1, 1000),
    'actor_update_every': (1, 1000),
    'num_critics': (2, 100),
    'num_target_critics': (1, 100),
    'n_step': (1, 1000),
    'demo_ratio': (0.0, 1.0),
    'seed': (0, 2**63 - 1),
}
#: Seconds between launch's SIGINT and its SIGKILL (sigterm_timeout 5 s + sigkill_timeout 5 s).
SHUTDOWN_WINDOW_S = 10.0
_SHUTDOWN_MARGIN_S = 1.5  # process exit, destroy_node, and a slow disk's last fsync
#: Bytes/s assumed before the first full save measured this node's disk (a slow SD card).
_ASSUMED_SAVE_RATE = 30e6
_BUFFER_PREFIX = {'online': 'buffer.online.', 'demo': 'buffer.demo.'}


def _topic(robot: str, name: str) -> str:
    """``name`` under ``robot``'s namespace ('' = the learner's own)."""
    return f'{robot.rstrip("/")}/{name}' if robot else name


class RateMeter:
    """Events per second of a growing counter, over windows of at least ``window_s``."""

    def __init__(self, count: int = 0, window_s: float = 1.0):
        self._mark = (time.monotonic(), count)
        self.window_s = window_s
        self.rate = 0.0

    def update(self, count: int) -> float:
        now = time.monotonic()
        t0, n0 = self._mark
        if now - t0 >= self.window_s:
            self.rate = (count - n0) / (now - t0)
            self._mark = (now, count)
        return self.rate


class RobotStream:
    """One robot's streams into the learner: its assembler, episode tracker and counters.

    Args:
        name: namespace prefix of its topics ('' = the learner's namespace, 'robot1' relative,
            '/robot1' absolute).
        learner: the owning :class:`SacLearner`.
    """

    def __init__(self, name: str, learner: 'SacLearner'):
        self.name = name
        self.label = name.strip('/').replace('/', '_') or 'robot'
        self.learner = learner
        self.transitions = 0
        self.episodes = 0
        self.dropped: dict[str, int] = {}
        self.meter = RateMeter()
        if learner.joint_mode:
            self.assembler = TransitionAssembler()
        else:
            self.pipeline = TransitionPipeline(learner.obs_cfg, learner.act_cfg)
        self.tracker = EpisodeTracker(lambda rec: learner._on_episode(self, rec))
        # n-step returns per robot (SACConfig.n_step): one robot's steps in time order.
        self.nstep = NStepAccumulator(learner.sac_cfg.n_step, learner.sac_cfg.gamma)
        self.last_stamp = -1
        self.progress_pub = learner.create_publisher(UInt64, _topic(name, 'learner/progress'), 10)
        self.weights_pub = learner.create_publisher(
            UInt8MultiArray, _topic(name, 'policy/weights'), LATCHED_QOS
        )

    def drop(self, why: str, message: str | None = None) -> None:
        self.dropped[why] = self.dropped.get(why, 0) + 1
        if message:
            self.learner.diag.error(f'error_{why}', f'{self.label}: {message}')


class SacLearner(Node):
    """See module docstring."""

    def __init__(self, **kwargs):
        super().__init__('sac_learner', **kwargs)
        self.run_dir = Path(
            declare(
                self,
                'run_dir',
                'runs/learner',
                'where checkpoints, episodes.jsonl and TensorBoard events go',
            )
        )
        demo_bags = declare(
            self,
            'demo_bags',
            [''],
            'bag directories (episodes or sessions) seeding the demo buffer',
        )
        demo_outcomes = declare(
            self, 'demo_outcomes', ['success'], 'episode outcomes taken from demo bags'
        )
        capacity = declare(
            self,
            'buffer_capacity',
            300000,
            'online replay buffer capacity (transitions)',
            min_value=1,
        )
        self.warmup = declare(
            self,
            'warmup_transitions',
            256,
            'online transitions before the first update',
            min_value=0,
        )
        self.push_every = declare(
            self, 'push_every', 100, 'send actor weights every N updates', min_value=1
        )
        self.checkpoint_every = declare(
            self,
            'checkpoint_every',
            5000,
            'write checkpoints/latest (with replay buffers) every N updates (0 = only on '
            'request/exit)',
            min_value=0,
        )
        self.progress_every = declare(
            self, 'progress_every', 10, 'publish learner/progress every N updates', min_value=0
        )
        self.best_window = declare(
            self,
            'best_window',
            50,
            'training episodes in the rolling success rate that selects checkpoints/best',
            min_value=1,
        )
        self.max_env_steps = declare(
            self,
            'max_env_steps',
            0,
            'stop updating after this many transitions (0 = never)',
            min_value=0,
        )
        self.init_from = declare(
            self,
            'init_from',
            '',
            'checkpoint directory whose full SAC state to start from '
            '(SACPretrainer.save or <run_dir>/checkpoints/latest); empty = fresh networks',
        )
        self.resume = declare(
            self,
            'resume',
            True,
            'continue from <run_dir>/checkpoints/latest when it holds a '
            'learner state (networks, optimizers, buffers, counters)',
            read_only=True,
        )
        robots = list(
            declare(
                self,
                'robots',
                [''],
                "robot namespaces feeding this learner ('' = the "
                "learner's own; e.g. ['/robot1', '/robot2'])",
                read_only=True,
            )
        )
        torch.set_num_threads(
            declare(
                self, 'torch_threads', 1, 'torch intra-op threads for updates', min_value=1
            )
        )
        # Keep freed activation buffers in the heap (glibc mallopt): 3-10 % per update on CPU
        # (sac.tune_cpu_allocator; the learner has its process to itself in every profile).
        tune_cpu_allocator()
        self.observation_type = declare(
            self,
            'observation_type',
            'navigation',
            "'navigation' (LiDAR sectors, detections, odometry, instruction) or "
            "'joint_state' (joint_states vector, joint_action commands)",
            read_only=True,
        )
        if self.observation_type not in _OBSERVATION_TYPES:
            Node.destroy_node(self)
            raise ConfigError(
                f'sac_learner: observation_type {self.observation_type!r} must be one of '
                f'{list(_OBSERVATION_TYPES)}'
            )
        self.joint_mode = self.observation_type == 'joint_state'
        try:
            if self.joint_mode:
                dim = declare(
                    self,
                    'vector_observation.dim',
                    0,
                    'length of the joint_states vector (position+'
                    'velocity+effort); 0 = take the spec from gym/spec (gym_bridge)',
                    read_only=True,
                    min_value=0,
                )
                names = [
                    n
                    for n in declare(
                        self, 'vector_observation.names', [''], 'names (documentation)'
                    )
                    if n
                ]
                low = declare(
                    self,
                    'joint_action.low',
                    [0.0],
                    'command that action -1 maps to, per joint (joint units)',
                )
                high = declare(
                    self, 'joint_action.high', [0.0], 'command that action +1 maps to, per joint'
                )
                joints = [n for n in declare(self, 'joint_action.names', [''], 'joint names') if n]
                spec_timeout = declare(
                    self,
                    'spec_timeout_s',
                    30.0,
                    'how long to wait for gym/spec when ' 'vector_observation.dim is 0',
                    min_value=0.0,
                )
                if dim <= 0:
                    spec = self._wait_for_spec(
                        _topic(robots[0] if robots else '', 'gym/spec'), spec_timeout
                    )
                    dim = int(spec['obs_dim'])
                    names = list(spec.get('observation_names') or spec.get('joint_names') or names)
                    low, high = list(spec['action_low']), list(spec['action_high'])
                    joints = list(spec.get('action_names') or joints)
                self.obs_cfg = VectorObservationConfig(dim=dim, names=tuple(names))
                self.act_cfg = JointActionConfig(
                    low=tuple(low), high=tuple(high), names=tuple(joints)
                )
            else:
                self.obs_cfg = declare_dataclass(
                    self, ObservationConfig, 'observation.', ranges=_OBS_RANGES
                )
                self.act_cfg = ActionConfig(
                    linear=tuple(
                        declare(
                            self,
                            'action.linear',
                            [-0.3, 0.6],
                            'linear speed range (m/s) of action -1..1',
                        )
                    ),
                    angular=tuple(
                        declare(
                            self,
                            'action.angular',
                            [-1.5, 1.5],
                            'yaw rate range (rad/s) of action -1..1',
                        )
                    ),
                )
            self.sac_cfg = declare_dataclass(
                self,
                SACConfig,
                'sac.',
                skip=('device',),
                ranges=_SAC_RANGES,
                obs_dim=self.obs_cfg.dim,
                action_dim=self.act_cfg.dim,
            )
        except RobotLearningError:
            Node.destroy_node(self)
            raise
        self.demo_ratio = self.sac_cfg.demo_ratio
        self.sac = SAC(self.sac_cfg)
        self.rng = np.random.default_rng(self.sac_cfg.seed)
        self.online = ReplayBuffer(
            self.obs_cfg.dim, self.act_cfg.dim, capacity, seed=self.sac_cfg.seed
        )
        self.demo: ReplayBuffer | None = None
        self.demo_episodes = 0
        self.transitions = 0
        self.updates = 0
        self.version = 0
        self.best_success = -1.0
        self._recent = deque(maxlen=max(1, self.best_window))
        self._rows: list[dict] = []  # finished episodes (learning curve)
        self._robot_counts: dict[str, int] = {}
        self.resumed_from: Path | None = None
        self._resume_meta: dict = {}
        try:
            latest = self._latest_checkpoint() if self.resume else None
            if latest is not None:
                self._resume(latest)
            elif self.init_from:
                self._load_init(Path(self.init_from))
            bags = [b for b in demo_bags if b]
            if bags and self.demo is None:
                self._seed_demos(bags, tuple(demo_outcomes))
        except RobotLearningError:
            Node.destroy_node(self)  # nothing else exists yet; spin_node prints the one line
            raise

        self.diag = Diagnostics(self)
        # Inputs (transitions; drops are its errors) and the work (gradient updates).
        self.diag.task('transitions', stale_s=30.0, params=True)
        self.diag.task('updates')
        self._diag_counts = (self.transitions, self.updates)
        self.lock = threading.Lock()  # buffers and counters
        self.train_lock = threading.Lock()  # networks: updates vs. checkpoint saves
        self._save_rate = 0.0  # bytes/s of the last full save (see close())
        self.last_stats: dict[str, float] = {}
        self.t0 = time.monotonic()
        self._wall_offset = (
            float(self._resume_meta.get('wall_s', 0.0)) if self.resumed_from else 0.0
        )
        self._updates_meter = RateMeter(self.updates)
        self.run_dir.mkdir(parents=True, exist_ok=True)
        self._episodes_file = open(self.run_dir / 'episodes.jsonl', 'a', buffering=1)
        self._tb = None
        try:
            from torch.utils.tensorboard import SummaryWriter

            self._tb = SummaryWriter(str(self.run_dir / 'tensorboard'))
        except ImportError:  # tensorboard is in requirements; stay usable without it
            self.get_logger().warning('tensorboard not installed: no event files')

        self.robots = [RobotStream(r, self) for r in (robots or [''])]
        for robot in self.robots:
            robot.transitions = self._robot_counts.get(robot.label, 0)
            robot.meter = RateMeter(robot.transitions)
            self._subscribe(robot)
        self.create_service(Trigger, 'learner/save_checkpoint', self._on_save)
        self.create_timer(1.0, self._report)
        live_parameters(
            self,
            {
                'warmup_transitions': lambda v: setattr(self, 'warmup', v),
                'push_every': lambda v: setattr(self, 'push_every', v),
                'checkpoint_every': lambda v: setattr(self, 'checkpoint_every', v),
                'progress_every': lambda v: setattr(self, 'progress_every', v),
                'max_env_steps': lambda v: setattr(self, 'max_env_steps', v),
                'sac.demo_ratio': self._set_demo_ratio,
            },
        )
        self.push_weights()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._train_loop, name='sac_updates', daemon=True)
        self._thread.start()
        origin = (
            f'resumed from {self.resumed_from} at {self.transitions} transitions, {self.updates} '
            'updates'
            if self.resumed_from
            else 'fresh'
        )
        self.get_logger().info(
            f'SAC learner ({self.observation_type}, {origin}): obs_dim {self.obs_cfg.dim}, '
            'action_dim '
            f'{self.act_cfg.dim}, robots {[r.label for r in self.robots]}, demo buffer '
            f'{len(self.demo) if self.demo else 0} transitions from {self.demo_episodes} '
            'episodes, '
            f'UTD {self.sac_cfg.utd_ratio}, critics {self.sac_cfg.num_critics}, n-step '
            f'{self.sac_cfg.n_step}'
        )

    def _wait_for_spec(self, topic: str, timeout: float) -> dict:
        """Read the JSON spec the gym bridge latches on ``gym/spec``.

        Observation dim and action bounds, read before the networks can be built.

        Raises:
            ConfigError: nothing within ``timeout`` seconds, or the spec is unreadable.
        """
        import rclpy
        from rclpy.executors import SingleThreadedExecutor

        got: list[str] = []
        sub = self.create_subscription(String, topic, lambda m: got.append(m.data), LATCHED_QOS)
        executor = SingleThreadedExecutor(context=self.context)
        executor.add_node(self)
        deadline = time.monotonic() + float(timeout)
        try:
            while not got and time.monotonic() < deadline and rclpy.ok(context=self.context):
                executor.spin_once(timeout_sec=0.1)
        finally:
            executor.remove_node(self)
            self.destroy_subscription(sub)
        if not got:
            raise ConfigError(
                f'sac_learner: no spec on {self.resolve_topic_name(topic)} within {timeout:.0f} '
                's: start '
                'gym_bridge first or set vector_observation.dim and joint_action.low/high'
            )
        try:
            spec = json.loads(got[-1])
            if 'obs_dim' not in spec and 'observation_dim' in spec:
                spec['obs_dim'] = spec['observation_dim']
            int(spec['obs_dim']), list(spec['action_low']), list(spec['action_high'])
            if any(v is None for v in spec['action_low'] + spec['action_high']):
                raise ValueError('unbounded action space: set joint_action.low/high')
        except (ValueError, KeyError, TypeError) as exc:
            raise ConfigError(
                f'sac_learner: unreadable gym/spec ({exc}): {got[-1][:120]}'
            ) from None
        self.get_logger().info(f'spec from {self.resolve_topic_name(topic)}: {got[-1]}')
        return spec

    def _subscribe(self, robot: RobotStream) -> None:
        q = DEEP_RELIABLE_QOS
        t = robot.name
        if self.joint_mode:
            self.create_subscription(
                JointState, _topic(t, 'joint_states'), lambda m: self._on_joint_state(robot, m), q
            )
            self.create_subscription(
                JointState, _topic(t, 'joint_action'), lambda m: self._on_joint_action(robot, m), q
            )
        else:
            p = robot.pipeline
            self.create_subscription(
                LaserScan,
                _topic(t, 'observation/scan'),
                lambda m: self._add(robot, p.push_scan(stamp_us(m.header), sectors_from_msg(m))),
                q,
            )
            self.create_subscription(
                Odometry,
                _topic(t, 'odom'),
                lambda m: self._add(robot, p.push_odom(stamp_us(m.header), velocity_from_odom(m))),
                q,
            )
            self.create_subscription(
                PoseArray, _topic(t, 'detections'), lambda m: self._on_detections(robot, m), q
            )
            self.create_subscription(
                String, _topic(t, 'instruction'), lambda m: p.push_instruction(m.data), LATCHED_QOS
            )
            self.create_subscription(
                TwistStamped,
                _topic(t, 'action'),
                lambda m: self._add(
                    robot, p.push_action(stamp_us(m.header), m.twist.linear.x, m.twist.angular.z)
                ),
                q,
            )
        self.create_subscription(
            DiagnosticArray, _topic(t, 'episode'), lambda m: self._on_episode_msg(robot, m), q
        )

    # --- checkpoints in -------------------------------------------------------------
    def _expected_spec(self) -> dict:
        expected = {'obs_dim': self.obs_cfg.dim, 'action_dim': self.act_cfg.dim}
        expected.update({f'observation.{k}': v for k, v in self.obs_cfg.to_dict().items()})
        expected.update({f'action.{k}': v for k, v in self.act_cfg.to_dict().items()})
        return expected

    def _check_network(self, path: Path, meta: dict, what: str) -> None:
        saved = meta.get('sac_config') or {}
        for name in ('hidden', 'critic_layer_norm', 'num_critics'):
            if not hasattr(self.sac_cfg, name):
                continue
            mine = getattr(self.sac_cfg, name)
            mine = list(mine) if isinstance(mine, tuple) else mine
            theirs = saved.get(name, {'num_critics': 2}.get(name, mine))
            theirs = list(theirs) if isinstance(theirs, (list, tuple)) else theirs
            if theirs != mine:
                raise CheckpointError(
                    f'{what} {path} has sac.{name} {theirs}, this learner {mine}: '
                    f'set sac.{name} to {theirs} or use another checkpoint'
                )

    def _load_sac_state(self, path: Path, tensors: dict, meta: dict, what: str) -> None:
        check_spec(meta, self._expected_spec())
        self._check_network(path, meta, what)
        state = {k[len('sac.'):]: v for k, v in tensors.items() if k.startswith('sac.')}
        if not state:
            raise CheckpointError(
                f'{what} {path} holds no SAC state (algorithm {meta.get("algorithm")!r}): '
                'use a checkpoint of SACPretrainer or of sac_learner'
            )
        self.sac.load_state_dict(state)
        # load_state_dict restores the checkpoint's Adam hyperparameters; this node's govern.
        groups = (
            (self.sac.critic_optimizer.param_groups[0], self.sac_cfg.critic_lr),
            (self.sac.actor_optimizer.param_groups[0], self.sac_cfg.actor_lr),
            (self.sac.actor_optimizer.param_groups[1], self.sac_cfg.alpha_lr),
        )
        for group, lr in groups:
            group['lr'] = lr

    def _load_init(self, path: Path) -> None:
        """Load networks, target critics, temperature and (if saved) Adam state from ``path``.

        The node's learning rates stay in force.

        Raises:
            CheckpointError: unreadable checkpoint, another observation/action spec or
                network size (one line naming the mismatch), or no SAC state in it.
        """
        tensors, meta = load_checkpoint(path)
        self._load_sac_state(path, tensors, meta, 'init_from')
        optim = 'with' if any(k.startswith('sac.optim.') for k in tensors) else 'without'
        origin = 'offline pretraining' if meta.get('pretrained') == 'offline' else 'sac_learner'
        self.get_logger().info(
            f'init_from {path}: SAC state of {origin} ({meta.get("algorithm")}, '
            f'{meta.get("updates", "?")} updates, '
            f'{meta.get("env_steps", "?")} env steps), alpha {self.sac.alpha:.4g}, {optim} '
            'optimizer state'
        )

    def _latest_checkpoint(self) -> Path | None:
        """Return ``checkpoints/latest`` if it holds a learner state.

        After a kill in the instant between moving the old one aside and renaming the new one
        in (checkpoint.save_checkpoint), the old one left next to it.
        """
        latest = self.run_dir / 'checkpoints' / 'latest'
        candidates = [latest] + sorted(
            (self.run_dir / 'checkpoints').glob('.latest.old-*/checkpoint')
        )
        for path in candidates:
            meta_file = path / METADATA_FILE
            if not meta_file.is_file():
                continue
            try:
                if json.loads(meta_file.read_text()).get('learner_state'):
                    return path
            except (OSError, ValueError):
                continue
        return None

    def _resume(self, path: Path) -> None:
        """Continue from a learner state written by :meth:`save` (``full=True``).

        Raises:
            CheckpointError: unreadable, or another observation/action spec or network
                (one line naming the mismatch), or its buffers do not fit.
        """
        tensors, meta = load_checkpoint(path)
        self._load_sac_state(path, tensors, meta, 'resume: checkpoint')
        try:
            for name, prefix in _BUFFER_PREFIX.items():
                state = {
                    k[len(prefix):]: v.numpy() for k, v in tensors.items() if k.startswith(prefix)
                }
                if not state:
                    continue
                buffer = ReplayBuffer.from_state(state)
                if (buffer.obs_dim, buffer.action_dim) != (self.obs_cfg.dim, self.act_cfg.dim):
                    raise CheckpointError(
                        f'resume: {path} {name} buffer is {buffer.obs_dim}/{buffer.action_dim} '
                        f'wide, this learner needs {self.obs_cfg.dim}/{self.act_cfg.dim}'
                    )
                if name == 'online':
                    if buffer.capacity != self.online.capacity:
                        self.get_logger().warning(
                            f'resume: the saved replay buffer has capacity {buffer.capacity}, '
                            'buffer_capacity '
                            f'is {self.online.capacity}: keeping the saved one'
                        )
                    self.online = buffer
                else:
                    self.demo = buffer
        except ConfigError as exc:
            raise CheckpointError(f'resume: {path}: {exc}') from None
        self.transitions = int(meta.get('env_steps', 0))
        self.updates = int(meta.get('updates', 0))
        self.version = int(meta.get('version', 0))
        self.demo_episodes = int(meta.get('demo_episodes', 0))
        self.best_success = float(meta.get('best_training_success_so_far', -1.0))
        self._recent.extend(bool(x) for x in meta.get('recent_success', []))
        self._robot_counts = {
            str(k): int(v) for k, v in (meta.get('robot_transitions') or {}).items()
        }
        self._resume_meta = meta
        self.resumed_from = path
        rows = self.run_dir / 'episodes.jsonl'
        if rows.is_file():
            for line in rows.read_text().splitlines():
                try:
                    row = json.loads(line)
                except ValueError:
                    continue
                if row.get('env_steps', 0) <= self.transitions:
                    self._rows.append(row)

    # --- data -----------------------------------------------------------------------
    def _seed_demos(self, bags, outcomes) -> None:
        if self.joint_mode:
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
        self.demo = ReplayBuffer(
            self.obs_cfg.dim, self.act_cfg.dim, len(transitions), seed=self.sac_cfg.seed + 1
        )
        self.demo.add_many(
            arr['observations'],
            arr['actions'],
            arr['rewards'],
            arr['next_observations'],
            arr['terminated'],
        )
        self.demo_episodes = len(episodes)

    def _add(self, robot: RobotStream, transitions) -> None:
        if not transitions:
            return
        good = []
        for t in transitions:
            # The assemblers already drop non-finite actions, rewards and (navigation)
            # observations; this is the last gate before the buffer, for every kind.
            if not (
                np.isfinite(t.observation).all()
                and np.isfinite(t.next_observation).all()
                and np.isfinite(t.action).all()
                and np.isfinite(t.reward)
            ):
                robot.drop(
                    'nonfinite', 'non-finite transition dropped (observation, action or reward)'
                )
                continue
            good.append(t)
        if not good:
            return
        rows = []
        for t in good:
            if t.info.prev_stamp != robot.last_stamp and len(robot.nstep):
                # A step went missing (dropped or lost): never splice across the gap.
                rows += robot.nstep.flush()
            robot.last_stamp = t.info.stamp
            rows += robot.nstep.add(
                t.observation, t.action, t.reward, t.next_observation, t.terminated, t.truncated
            )
        with self.lock:
            for r in rows:
                self.online.add(
                    r.obs, r.action, r.reward, r.next_obs, float(r.terminated), n_steps=r.n_steps
                )
            # Counted per received 1-step transition (what UTD and learner/progress refer to);
            # n-step rows reach the buffer up to n-1 steps later.
            self.transitions += len(good)
            robot.transitions += len(good)

    def _on_detections(self, robot: RobotStream, msg: PoseArray) -> None:
        try:
            det = detections_from_msg(msg)
        except (AttributeError, ValueError) as exc:
            robot.drop('detections', f'malformed detections: {exc}')
            return
        self._add(robot, robot.pipeline.push_detections(stamp_us(msg.header), det))

    def _on_joint_state(self, robot: RobotStream, msg: JointState) -> None:
        vec = vector_from_joint_state(msg)
        if vec.size != self.obs_cfg.dim:
            robot.drop(
                'observation_length',
                f'joint_states has {vec.size} values (position+velocity+effort), '
                f'expected {self.obs_cfg.dim} (vector_observation.dim)',
            )
            return
        if not np.isfinite(vec).all():
            robot.drop('nonfinite_observation', 'joint_states has non-finite values: dropped')
            return
        self._add(
            robot, robot.assembler.add_observation(stamp_us(msg.header), vec.astype(np.float32))
        )

    def _on_joint_action(self, robot: RobotStream, msg: JointState) -> None:
        command = command_from_joint_state(msg)
        try:
            action = self.act_cfg.from_command(command)
        except MessageError:
            robot.drop(
                'action_length',
                f'joint_action has {command.size} values, expected {self.act_cfg.dim} '
                f'(joint_action.low/high): rejected',
            )
            return
        if not np.isfinite(command).all():
            robot.drop('nonfinite_action', 'joint_action has non-finite values: dropped')
            return
        self._add(robot, robot.assembler.add_action(stamp_us(msg.header), action))

    def _on_episode_msg(self, robot: RobotStream, msg: DiagnosticArray) -> None:
        try:
            info = step_info_from_msg(msg)
        except RobotLearningError as exc:
            robot.drop('episode_msg', str(exc))
            return
        if not np.isfinite(info.reward):
            robot.drop(
                'nonfinite_reward',
                f'non-finite reward at step {info.step} of episode {info.episode}: '
                'transition dropped',
            )
        elif self.joint_mode:
            self._add(robot, robot.assembler.add_step(info))
        else:
            self._add(robot, robot.pipeline.push_step(info))
        robot.tracker.add_step(info)

    def _on_episode(self, robot: RobotStream, rec: EpisodeRecord) -> None:
        robot.episodes += 1
        row = {
            'episode': rec.episode,
            'robot': robot.label,
            'instruction': rec.instruction,
            'outcome': rec.outcome,
            'success': rec.outcome == 'success',
            'return': rec.episode_return,
            'length': rec.length,
            'env_steps': self.transitions,
            'updates': self.updates,
            'weights_version': self.version,
            'wall_s': round(self._wall_s(), 2),
        }
        self._episodes_file.write(json.dumps(row) + '\n')
        self._rows.append(row)
        if self._tb is not None:
            self._tb.add_scalar('episode/return', rec.episode_return, self.transitions)
            self._tb.add_scalar('episode/success', float(row['success']), self.transitions)
            self._tb.add_scalar('episode/length', rec.length, self.transitions)
            if len(self.robots) > 1:
                self._tb.add_scalar(
                    f'robots/{robot.label}/return', rec.episode_return, self.transitions
                )
        # Keep the actor with the best rolling training success (SB3's EvalCallback keeps a
        # best model the same way, from separate evaluation episodes): online SAC here
        # plateaus and wobbles, and the last weights are not always the best ones.
        self._recent.append(row['success'])
        if len(self._recent) == self._recent.maxlen:
            rate = float(np.mean(self._recent))
            if rate > self.best_success:
                self.best_success = rate
                self.save('best', full=False, best_training_success=rate)

    # --- learning -------------------------------------------------------------------
    def _train_loop(self) -> None:
        while not self._stop.is_set():
            n = self.transitions
            # One update() call per received transition; each call takes utd_ratio critic
            # steps (SACConfig.utd_ratio), so the update-to-data ratio holds whatever the
            # relative speed of robot and learner.
            capped = self.max_env_steps and self.updates >= self.max_env_steps
            if n < self.warmup or self.updates >= n or capped:
                time.sleep(0.001)
                continue
            with self.lock:
                batch = sample_mixed(
                    self.online, self.demo, self.sac.rows_per_update, self.demo_ratio, self.rng
                )
            with self.train_lock:
                stats = self.sac.update(batch)
            self.updates += 1
            self.last_stats = stats
            if self.updates % self.push_every == 0:
                self.push_weights()
            if self.progress_every and self.updates % self.progress_every == 0:
                self._publish_progress()
            if self._tb is not None and self.updates % 100 == 0:
                for k, v in stats.items():
                    self._tb.add_scalar(f'train/{k}', v, self.updates)
            if self.checkpoint_every and self.updates % self.checkpoint_every == 0:
                self.save('latest')

    def _publish_progress(self) -> None:
        """Count, per robot, the transitions the learner has trained through.

        Its share of ``updates``, one update per transition.
        """
        total = max(self.transitions, 1)
        done = min(self.updates, total)
        for robot in self.robots:
            msg = UInt64(data=int(done * robot.transitions // total))
            if not self._publish_from_thread(robot.progress_pub, msg):
                return

    def _publish_from_thread(self, publisher, msg) -> bool:
        """Publish from the update thread; False once a shutdown has begun.

        A shutdown signal invalidates the rclpy context while the update thread may be
        between two checks of ``_stop``, so the publish raises rclpy's ``RCLError``; that is
        the stop (``close()`` joins the thread and writes the final checkpoint), not a
        crash. Any other failure, with the context still valid, is raised.
        """
        try:
            publisher.publish(msg)
        except Exception:
            if self.context.ok():
                raise
            self._stop.set()
            return False
        return True

    def _wall_s(self) -> float:
        return self._wall_offset + time.monotonic() - self.t0

    def _metadata(self) -> dict:
        return policy_metadata(
            self.obs_cfg,
            self.act_cfg,
            self.sac_cfg.hidden,
            'sac',
            version=self.version,
            env_steps=self.transitions,
            updates=self.updates,
            demo_episodes=self.demo_episodes,
            init_from=self.init_from,
            sac_config={
                k: (list(v) if isinstance(v, tuple) else v) for k, v in vars(self.sac_cfg).items()
            },
        )

    def push_weights(self) -> None:
        """Publish the actor to every robot's ``policy/weights``.

        Safetensors bytes; the metadata carries ``version`` and the send time ``sent_unix``.
        """
        sent = time.time()
        self.version += 1
        tensors = {ACTOR_PREFIX + k: v.detach().clone() for k, v in self.sac.actor_state().items()}
        msg = UInt8MultiArray()
        msg.data = weights_to_bytes(tensors, {**self._metadata(), 'sent_unix': sent})
        for robot in self.robots:
            if not self._publish_from_thread(robot.weights_pub, msg):
                return  # stopping: close() writes the final checkpoint

    def save(self, name: str = 'latest', full: bool = True, plot: bool = True, **extra) -> Path:
        """Write ``<run_dir>/checkpoints/<name>`` atomically.

        Actor + full SAC state, and with ``full`` also the replay buffers and counters (a
        learner state :attr:`resume` continues from). ``extra`` goes into the sidecar.
        """
        with self.train_lock, self.lock:
            tensors = {
                ACTOR_PREFIX + k: v.detach().clone() for k, v in self.sac.actor_state().items()
            }
            tensors.update(
                {'sac.' + k: v.detach().clone() for k, v in self.sac.state_dict().items()}
            )
            meta = {**self._metadata(), **extra}
            if full:
                buffers = (('online', self.online), ('demo', self.demo))
                for buf_name, buffer in buffers:
                    if buffer is None:
                        continue
                    for k, v in buffer.state().items():
                        tensors[_BUFFER_PREFIX[buf_name] + k] = torch.from_numpy(
                            np.ascontiguousarray(v)
                        )
                meta.update(
                    learner_state=True,
                    wall_s=round(self._wall_s(), 2),
                    robot_transitions={r.label: r.transitions for r in self.robots},
                    best_training_success_so_far=self.best_success,
                    recent_success=[bool(x) for x in self._recent],
                )
        t0 = time.monotonic()
        path = save_checkpoint(self.run_dir / 'checkpoints' / name, tensors, meta)
        if full:  # the rate predicts whether the final checkpoint fits launch's window
            nbytes = sum(t.numel() * t.element_size() for t in tensors.values())
            self._save_rate = nbytes / max(time.monotonic() - t0, 1e-3)
            if plot:
                self._plot()
        return path

    def _plot(self) -> None:
        try:
            plot_learning_curve(
                list(self._rows),
                self.run_dir / 'learning_curve.png',
                title=f'SAC learner ({self.observation_type})',
            )
        except (OSError, ValueError) as exc:
            self.get_logger().warning(f'learning curve not written: {exc}')

    def _on_save(self, _req, resp):
        try:
            path = self.save('latest')
            resp.success, resp.message = True, str(path.resolve())
        except RobotLearningError as exc:
            resp.success, resp.message = False, str(exc)
        return resp

    def _set_demo_ratio(self, value: float) -> None:
        self.demo_ratio = self.sac_cfg.demo_ratio = float(value)

    def _report(self) -> None:
        updates_rate = self._updates_meter.update(self.updates)
        seen, done = self._diag_counts
        self._diag_counts = (self.transitions, self.updates)
        if self.transitions > seen:
            self.diag.tick('transitions', self.transitions - seen)
        if self.updates > done:
            self.diag.tick('updates', self.updates - done)
        self.diag.set('transitions', self.transitions, task='transitions')
        self.diag.set('updates', self.updates, task='updates')
        self.diag.set('updates_per_s', f'{updates_rate:.1f}', task='updates')
        self.diag.set('weights_version', self.version, task='updates')
        self.diag.set('online_buffer', len(self.online))
        self.diag.set('demo_buffer', len(self.demo) if self.demo else 0)
        dropped: dict[str, int] = {}
        for robot in self.robots:
            rate = robot.meter.update(robot.transitions)
            self.diag.set(f'transitions_{robot.label}', robot.transitions)
            self.diag.set(f'transitions_per_s_{robot.label}', f'{rate:.1f}')
            self.diag.set(f'episodes_{robot.label}', robot.episodes)
            pipeline_drops = robot.pipeline.dropped if not self.joint_mode else {}
            for k, v in {**pipeline_drops, **robot.dropped}.items():
                dropped[k] = dropped.get(k, 0) + v
            if self._tb is not None:
                self._tb.add_scalar(
                    f'robots/{robot.label}/transitions_per_s', rate, self.transitions
                )
                self._tb.add_scalar(
                    f'robots/{robot.label}/transitions', robot.transitions, self.transitions
                )
        for k, v in dropped.items():
            self.diag.set(f'dropped_{k}', v)
        for k, v in self.last_stats.items():
            self.diag.set(k, f'{v:.4g}', task='updates')
        if self._tb is not None:
            self._tb.add_scalar('learner/updates_per_s', updates_rate, self.transitions)
            self._tb.add_scalar('learner/weights_version', self.version, self.transitions)

    def _full_state_bytes(self) -> int:
        """Approximate size of a full checkpoint (networks + filled buffer rows), bytes."""
        n = sum(p.numel() * p.element_size() for p in self.sac.state_dict().values())
        for buffer in (self.online, self.demo):
            if buffer is not None:
                n += len(buffer) * 4 * (2 * buffer.obs_dim + buffer.action_dim + 3)
        return int(n)

    def close(self) -> None:
        """Stop updating and write the final checkpoint (called on shutdown).

        ``launch`` stops a node with SIGINT, SIGTERM 5 s later and SIGKILL 5 s after that
        (its ``sigterm_timeout``/``sigkill_timeout``). SIGTERM does not interrupt the save
        (rclpy's handler only shuts the already stopped context down again), so the final
        checkpoint has :data:`SHUTDOWN_WINDOW_S` less a margin. When the write rate seen so
        far (or :data:`_ASSUMED_SAVE_RATE` before the first save) says it would not fit,
        it is skipped with one line and ``checkpoints/latest`` stays the previous complete
        one (writes are atomic). One line reports the outcome either way.
        """
        t0 = time.monotonic()
        self._stop.set()
        self._thread.join(timeout=2.0)
        left = SHUTDOWN_WINDOW_S - _SHUTDOWN_MARGIN_S - (time.monotonic() - t0)
        estimate = self._full_state_bytes() / (self._save_rate or _ASSUMED_SAVE_RATE)
        # A child logger: the node's own would also try the rosout publisher, whose context
        # the shutdown signal already invalidated (one 'Failed to publish' line per call).
        import rclpy.logging

        log = rclpy.logging.get_logger(f'{self.get_logger().name}.shutdown')
        if estimate > left:
            log.error(
                f'final checkpoint not written: it would take ~{estimate:.1f} s, launch '
                f'allows {left:.1f} s more; checkpoints/latest keeps its last state (a '
                'smaller checkpoint_every loses less)'
            )
            return
        try:
            t_save = time.monotonic()
            path = self.save('latest', plot=False)
        except (RobotLearningError, OSError) as exc:
            log.error(f'final checkpoint not written ({exc}); checkpoints/latest is unchanged')
            return
        done = time.monotonic()
        log.info(
            f'final checkpoint: {self.transitions} transitions, {self.updates} updates, '
            f'{len(self.online)} buffer rows in {done - t_save:.2f} s '
            f'({done - t0:.2f} s after the stop) -> {path}'
        )
        # After the checkpoint is safe: the curve (importing matplotlib alone can take seconds
        # on a busy CPU), while launch's SIGKILL (10 s after SIGINT) is far enough away.
        if done - t0 < 3.0:
            self._plot()

    def destroy_node(self):
        self._stop.set()
        self._thread.join(timeout=5.0)
        if self._tb is not None:
            self._tb.close()
        self._episodes_file.close()
        return super().destroy_node()


def main(args=None) -> None:
    """Entry point ``sac_learner``."""
    spin_node(SacLearner, args)


if __name__ == '__main__':
    main()
