"""SAC learner node: online Soft Actor-Critic fed from live topics.

Transitions come from the observation topics, ``action`` and ``episode`` through the
core :class:`~robot_learning.transitions.TransitionPipeline` (the same one the bag
dataset uses). A demo buffer is seeded from recorded bags and every batch is half demo,
half online (RLPD, Ball et al. 2023). Gradient steps run in a worker thread, capped at
``sac.utd_ratio`` updates per received transition, while the executor keeps taking
messages. Every ``push_every`` updates the actor goes to the policy node as a versioned
safetensors blob on ``policy/weights``; checkpoints (safetensors + JSON sidecar) land in
``<run_dir>/checkpoints/``. ``init_from`` starts from the full SAC state of a checkpoint
(``robot_learning.offline_rl.SACPretrainer.save`` or this node's own ``checkpoints/latest``)
instead of fresh networks.
"""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from pathlib import Path

import numpy as np
import torch
from diagnostic_msgs.msg import DiagnosticArray
from geometry_msgs.msg import PoseArray, TwistStamped
from nav_msgs.msg import Odometry
from rclpy.node import Node
from sensor_msgs.msg import LaserScan
from std_msgs.msg import String, UInt8MultiArray
from std_srvs.srv import Trigger

from robot_learning.buffers import ReplayBuffer, sample_mixed
from robot_learning.checkpoint import (check_spec, load_checkpoint, save_checkpoint,
                                       weights_to_bytes)
from robot_learning.dataset import load_demo_transitions, stack_transitions
from robot_learning.errors import CheckpointError, RobotLearningError
from robot_learning.features import (ActionConfig, ObservationConfig, detections_from_msg,
                                     sectors_from_msg, stamp_us, step_info_from_msg,
                                     velocity_from_odom)
from robot_learning.policy import ACTOR_PREFIX, policy_metadata
from robot_learning.sac import SAC, SACConfig
from robot_learning.transitions import EpisodeRecord, EpisodeTracker, TransitionPipeline

from .common import DEEP_RELIABLE_QOS, LATCHED_QOS, Diagnostics, declare, declare_dataclass, spin_node


class SacLearner(Node):
    """See module docstring."""

    def __init__(self, **kwargs):
        super().__init__('sac_learner', **kwargs)
        self.run_dir = Path(declare(self, 'run_dir', 'runs/learner', 'where checkpoints, episodes.jsonl and TensorBoard events go'))
        demo_bags = declare(self, 'demo_bags', [''], 'bag directories (episodes or sessions) seeding the demo buffer')
        demo_outcomes = declare(self, 'demo_outcomes', ['success'], 'episode outcomes taken from demo bags')
        self.demo_fraction = declare(self, 'demo_fraction', 0.5, 'share of each batch drawn from demos (RLPD: 0.5)')
        capacity = declare(self, 'buffer_capacity', 300000, 'online replay buffer capacity (transitions)')
        self.warmup = declare(self, 'warmup_transitions', 256, 'online transitions before the first update')
        self.push_every = declare(self, 'push_every', 100, 'send actor weights every N updates')
        self.checkpoint_every = declare(self, 'checkpoint_every', 5000, 'write a checkpoint every N updates (0 = only on request/exit)')
        self.best_window = declare(self, 'best_window', 50, 'training episodes in the rolling success rate that selects checkpoints/best')
        self.max_env_steps = declare(self, 'max_env_steps', 0, 'stop updating after this many transitions (0 = never)')
        self.init_from = declare(self, 'init_from', '', 'checkpoint directory whose full SAC state to start from '
                                 '(SACPretrainer.save or <run_dir>/checkpoints/latest); empty = fresh networks')
        torch.set_num_threads(declare(self, 'torch_threads', 1, 'torch intra-op threads for updates'))
        self.obs_cfg = declare_dataclass(self, ObservationConfig, 'observation.')
        self.act_cfg = ActionConfig(
            linear=tuple(declare(self, 'action.linear', [-0.3, 0.6], 'linear speed range (m/s) of action -1..1')),
            angular=tuple(declare(self, 'action.angular', [-1.5, 1.5], 'yaw rate range (rad/s) of action -1..1')))
        self.sac_cfg = declare_dataclass(self, SACConfig, 'sac.', skip=('device',),
                                         obs_dim=self.obs_cfg.dim, action_dim=self.act_cfg.dim)
        self.sac = SAC(self.sac_cfg)
        if self.init_from:
            try:
                self._load_init(Path(self.init_from))
            except RobotLearningError:
                Node.destroy_node(self)  # nothing else exists yet; spin_node prints the one line
                raise
        self.rng = np.random.default_rng(self.sac_cfg.seed)
        self.online = ReplayBuffer(self.obs_cfg.dim, self.act_cfg.dim, capacity, seed=self.sac_cfg.seed)
        self.demo: ReplayBuffer | None = None
        self.demo_episodes = 0
        bags = [b for b in demo_bags if b]
        if bags:
            self._seed_demos(bags, tuple(demo_outcomes))

        self.diag = Diagnostics(self)
        self.pipeline = TransitionPipeline(self.obs_cfg, self.act_cfg)
        self.tracker = EpisodeTracker(self._on_episode)
        self.lock = threading.Lock()        # buffers and counters
        self.train_lock = threading.Lock()  # networks: updates vs. checkpoint saves
        self.transitions = 0
        self.updates = 0
        self.version = 0
        self.last_stats: dict[str, float] = {}
        self._recent = deque(maxlen=max(1, self.best_window))
        self.best_success = -1.0
        self.t0 = time.monotonic()
        self.run_dir.mkdir(parents=True, exist_ok=True)
        self._episodes_file = open(self.run_dir / 'episodes.jsonl', 'a', buffering=1)
        self._tb = None
        try:
            from torch.utils.tensorboard import SummaryWriter
            self._tb = SummaryWriter(str(self.run_dir / 'tensorboard'))
        except ImportError:  # tensorboard is in requirements; stay usable without it
            self.get_logger().warning('tensorboard not installed: no event files')

        self.weights_pub = self.create_publisher(UInt8MultiArray, 'policy/weights', LATCHED_QOS)
        q = DEEP_RELIABLE_QOS
        self.create_subscription(LaserScan, 'observation/scan', self._on_scan, q)
        self.create_subscription(Odometry, 'odom', self._on_odom, q)
        self.create_subscription(PoseArray, 'detections', self._on_detections, q)
        self.create_subscription(String, 'instruction', lambda m: self.pipeline.push_instruction(m.data), LATCHED_QOS)
        self.create_subscription(TwistStamped, 'action', self._on_action, q)
        self.create_subscription(DiagnosticArray, 'episode', self._on_episode_msg, q)
        self.create_service(Trigger, 'learner/save_checkpoint', self._on_save)
        self.create_timer(1.0, self._report)
        self.push_weights()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._train_loop, name='sac_updates', daemon=True)
        self._thread.start()
        self.get_logger().info(
            f'SAC learner: obs_dim {self.obs_cfg.dim}, demo buffer {len(self.demo) if self.demo else 0} '
            f'transitions from {self.demo_episodes} episodes, UTD {self.sac_cfg.utd_ratio}')

    def _load_init(self, path: Path) -> None:
        """Load networks, target critics, temperature and (if saved) Adam state from the
        checkpoint at ``path``; the node's learning rates stay in force.

        Raises:
            CheckpointError: unreadable checkpoint, another observation/action spec or
                network size (one line naming the mismatch), or no SAC state in it.
        """
        tensors, meta = load_checkpoint(path)
        expected = {'obs_dim': self.obs_cfg.dim, 'action_dim': self.act_cfg.dim}
        expected.update({f'observation.{k}': v for k, v in self.obs_cfg.to_dict().items()})
        expected.update({f'action.{k}': v for k, v in self.act_cfg.to_dict().items()})
        check_spec(meta, expected)
        state = {k[len('sac.'):]: v for k, v in tensors.items() if k.startswith('sac.')}
        if not state:
            raise CheckpointError(f'init_from {path} holds no SAC state (algorithm {meta.get("algorithm")!r}): '
                                  'use a checkpoint of SACPretrainer or of sac_learner')
        saved = meta.get('sac_config') or {}
        for name in ('hidden', 'critic_layer_norm'):
            mine = getattr(self.sac_cfg, name)
            theirs = saved.get(name, list(mine) if isinstance(mine, tuple) else mine)
            if (list(theirs) if isinstance(theirs, (list, tuple)) else theirs) != (
                    list(mine) if isinstance(mine, tuple) else mine):
                raise CheckpointError(f'init_from {path} has sac.{name} {theirs}, this learner {mine}: '
                                      f'set sac.{name} to {theirs} or use another checkpoint')
        self.sac.load_state_dict(state)
        # load_state_dict restores the checkpoint's Adam hyperparameters; this node's govern.
        groups = ((self.sac.critic_optimizer.param_groups[0], self.sac_cfg.critic_lr),
                  (self.sac.actor_optimizer.param_groups[0], self.sac_cfg.actor_lr),
                  (self.sac.actor_optimizer.param_groups[1], self.sac_cfg.alpha_lr))
        for group, lr in groups:
            group['lr'] = lr
        optim = 'with' if any(k.startswith('optim.') for k in state) else 'without'
        origin = 'offline pretraining' if meta.get('pretrained') == 'offline' else 'sac_learner'
        self.get_logger().info(
            f'init_from {path}: SAC state of {origin} ({meta.get("algorithm")}, {meta.get("updates", "?")} updates, '
            f'{meta.get("env_steps", "?")} env steps), alpha {self.sac.alpha:.4g}, {optim} optimizer state')

    # --- data -----------------------------------------------------------------------
    def _seed_demos(self, bags, outcomes) -> None:
        transitions, episodes = load_demo_transitions(bags, self.obs_cfg, self.act_cfg, outcomes)
        if not transitions:
            raise RobotLearningError(f'demo bags {bags} gave no transitions: were action and episode recorded?')
        arr = stack_transitions(transitions)
        self.demo = ReplayBuffer(self.obs_cfg.dim, self.act_cfg.dim, len(transitions), seed=self.sac_cfg.seed + 1)
        self.demo.add_many(arr['observations'], arr['actions'], arr['rewards'],
                           arr['next_observations'], arr['terminated'])
        self.demo_episodes = len(episodes)

    def _add(self, transitions) -> None:
        if not transitions:
            return
        with self.lock:
            for t in transitions:
                self.online.add(t.observation, t.action, t.reward, t.next_observation, float(t.terminated))
            self.transitions += len(transitions)

    def _on_scan(self, msg: LaserScan) -> None:
        self._add(self.pipeline.push_scan(stamp_us(msg.header), sectors_from_msg(msg)))

    def _on_odom(self, msg: Odometry) -> None:
        self._add(self.pipeline.push_odom(stamp_us(msg.header), velocity_from_odom(msg)))

    def _on_detections(self, msg: PoseArray) -> None:
        self._add(self.pipeline.push_detections(stamp_us(msg.header), detections_from_msg(msg)))

    def _on_action(self, msg: TwistStamped) -> None:
        self._add(self.pipeline.push_action(stamp_us(msg.header), msg.twist.linear.x, msg.twist.angular.z))

    def _on_episode_msg(self, msg: DiagnosticArray) -> None:
        try:
            info = step_info_from_msg(msg)
        except RobotLearningError as exc:
            self.diag.error('error_episode_msg', str(exc))
            return
        self._add(self.pipeline.push_step(info))
        self.tracker.add_step(info)

    def _on_episode(self, rec: EpisodeRecord) -> None:
        row = {'episode': rec.episode, 'instruction': rec.instruction, 'outcome': rec.outcome,
               'success': rec.outcome == 'success', 'return': rec.episode_return,
               'length': rec.length, 'env_steps': self.transitions, 'updates': self.updates,
               'weights_version': self.version, 'wall_s': round(time.monotonic() - self.t0, 2)}
        self._episodes_file.write(json.dumps(row) + '\n')
        if self._tb is not None:
            self._tb.add_scalar('episode/return', rec.episode_return, self.transitions)
            self._tb.add_scalar('episode/success', float(row['success']), self.transitions)
            self._tb.add_scalar('episode/length', rec.length, self.transitions)
        # Keep the actor with the best rolling training success (SB3's EvalCallback keeps a
        # best model the same way, from separate evaluation episodes): online SAC here
        # plateaus and wobbles, and the last weights are not always the best ones.
        self._recent.append(row['success'])
        if len(self._recent) == self._recent.maxlen:
            rate = float(np.mean(self._recent))
            if rate > self.best_success:
                self.best_success = rate
                self.save('best', best_training_success=rate)

    # --- learning -------------------------------------------------------------------
    def _train_loop(self) -> None:
        while not self._stop.is_set():
            n = self.transitions
            # One update() call per received transition; each call takes utd_ratio critic
            # steps (SACConfig.utd_ratio), so the update-to-data ratio holds whatever the
            # relative speed of robot and learner.
            capped = self.max_env_steps and self.updates >= self.max_env_steps
            if n < self.warmup or self.updates >= n or capped:
                time.sleep(0.002)
                continue
            with self.lock:
                batch = sample_mixed(self.online, self.demo, self.sac.rows_per_update,
                                     self.demo_fraction, self.rng)
            with self.train_lock:
                stats = self.sac.update(batch)
            self.updates += 1
            self.last_stats = stats
            if self.updates % self.push_every == 0:
                self.push_weights()
            if self._tb is not None and self.updates % 100 == 0:
                for k, v in stats.items():
                    self._tb.add_scalar(f'train/{k}', v, self.updates)
            if self.checkpoint_every and self.updates % self.checkpoint_every == 0:
                self.save('latest')

    def _metadata(self) -> dict:
        return policy_metadata(self.obs_cfg, self.act_cfg, self.sac_cfg.hidden, 'sac',
                               version=self.version, env_steps=self.transitions, updates=self.updates,
                               demo_episodes=self.demo_episodes, init_from=self.init_from,
                               sac_config={k: (list(v) if isinstance(v, tuple) else v)
                                           for k, v in vars(self.sac_cfg).items()})

    def push_weights(self) -> None:
        """Publish the actor (safetensors bytes, metadata carries ``version``)."""
        self.version += 1
        tensors = {ACTOR_PREFIX + k: v.detach().clone() for k, v in self.sac.actor_state().items()}
        msg = UInt8MultiArray()
        msg.data = weights_to_bytes(tensors, self._metadata())
        self.weights_pub.publish(msg)

    def save(self, name: str = 'latest', **extra) -> Path:
        """Write ``<run_dir>/checkpoints/<name>`` (actor + full SAC state) atomically;
        ``extra`` goes into the sidecar."""
        with self.train_lock:
            tensors = {ACTOR_PREFIX + k: v.detach().clone() for k, v in self.sac.actor_state().items()}
            tensors.update({'sac.' + k: v.detach().clone() for k, v in self.sac.state_dict().items()})
            meta = {**self._metadata(), **extra}
        return save_checkpoint(self.run_dir / 'checkpoints' / name, tensors, meta)

    def _on_save(self, _req, resp):
        try:
            path = self.save('latest')
            resp.success, resp.message = True, str(path.resolve())
        except RobotLearningError as exc:
            resp.success, resp.message = False, str(exc)
        return resp

    def _report(self) -> None:
        el = time.monotonic() - self.t0
        self.diag.set('transitions', self.transitions)
        self.diag.set('updates', self.updates)
        self.diag.set('updates_per_s', f'{self.updates / max(el, 1e-6):.1f}')
        self.diag.set('weights_version', self.version)
        self.diag.set('online_buffer', len(self.online))
        self.diag.set('demo_buffer', len(self.demo) if self.demo else 0)
        for k, v in self.pipeline.dropped.items():
            self.diag.set(f'dropped_{k}', v)
        for k, v in self.last_stats.items():
            self.diag.set(k, f'{v:.4g}')
        if self._tb is not None:
            self._tb.add_scalar('learner/updates_per_s', self.updates / max(el, 1e-6), self.transitions)
            self._tb.add_scalar('learner/weights_version', self.version, self.transitions)

    def close(self) -> None:
        """Stop updating and leave the last checkpoint behind (called on shutdown)."""
        self._stop.set()
        self._thread.join(timeout=5.0)
        self.save('latest')

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
