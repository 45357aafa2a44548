# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 robot_learning maintainers
"""SAC learner node: online Soft Actor-Critic fed from live topics by one or more robots.

The learning itself (buffers, demo seeding, n-step returns per robot, the UTD gate,
save/resume, the best checkpoint) is the ROS-free
:class:`~robot_learning.algos.sac.online.OnlineLearner`; this node converts messages
(:mod:`.sac_learner_robots`), declares the parameters (:mod:`.sac_learner_params`), has
the updates run while the executor keeps taking messages, and publishes.

Update process (``update_process``, read-only, default true): :meth:`SAC.update` runs in a
child process of its own (:mod:`robot_learning.algos.sac.update_process`; the replay
buffers in shared memory, ``torch_threads`` its threads; this process keeps one), so the
executor's callbacks and the updates no longer share one interpreter lock; false runs them
in a thread of the node. A child that dies is restarted from the last state it sent, with
one error line and ``update_process_restarts`` on diagnostics; the robots act on their
last weights meanwhile. It exits with the node (no orphan after SIGINT, SIGTERM or SIGKILL).

Topics per robot and observation kind (``navigation``: LiDAR sectors, odometry,
detections, instruction, TwistStamped echo; ``joint_state``: ``joint_states`` and the
``joint_action`` echo) are listed in :mod:`.sac_learner_robots`.

Several robots (``robots``, e.g. ``['/robot1', '/robot2']``): every topic above is read
under each robot's namespace, all transitions go into one replay buffer, and every weight
version goes to each robot's ``policy/weights``. Per-robot counts and rates are on
``/diagnostics`` and in TensorBoard.

Resume: ``checkpoints/latest`` is written every ``checkpoint_every`` updates, on the
``learner/save_checkpoint`` service and on shutdown; with ``resume: true`` a learner
started on a run directory that has one continues from it (a learner killed with SIGKILL
loses only what came after that checkpoint).

Pacing: every ``progress_every`` updates the learner publishes ``learner/progress``
(std_msgs/UInt64, per robot: transitions trained through) so that a lockstep simulator can
keep the actor from running ahead of the learner (gym_bridge ``lockstep_max_lag``).
"""

from __future__ import annotations

import threading
import time

from rclpy.node import Node
from robot_learning.algos.sac import tune_cpu_allocator
from robot_learning.algos.sac.online import OnlineLearner
from robot_learning.errors import RobotLearningError
from std_msgs.msg import UInt64, UInt8MultiArray
from std_srvs.srv import Trigger
import torch

from .common import Diagnostics, live_parameters, spin_node
from .modes import joint_observations
from .sac_learner_params import declare_learner
from .sac_learner_report import learner_log, report
from .sac_learner_robots import RateMeter, RobotStream

#: Seconds between launch's SIGINT and its SIGKILL (sigterm_timeout 5 s + sigkill_timeout 5 s).
SHUTDOWN_WINDOW_S = 10.0
_SHUTDOWN_MARGIN_S = 1.5  # process exit, destroy_node, and a slow disk's last fsync
#: Bytes/s assumed before the first full save measured this node's disk (a slow SD card).
_ASSUMED_SAVE_RATE = 30e6


class SacLearner(Node):
    """See module docstring; :attr:`learner` is the :class:`OnlineLearner` it drives."""

    def __init__(self, **kwargs):
        super().__init__('sac_learner', **kwargs)
        try:
            p = declare_learner(self)
            remote = p.values['update_process']  # then torch_threads are the child's
            torch.set_num_threads(1 if remote else p.values['torch_threads'])
            # Keep freed activation buffers in the heap (glibc mallopt): 3-10 % per update
            # on CPU; the learner has its process to itself in every profile.
            tune_cpu_allocator()
            self.observation_type = p.observation_type
            self.joint_observations = joint_observations(p.observation_type)
            self.obs_cfg, self.act_cfg, self.sac_cfg = p.obs_cfg, p.act_cfg, p.sac_cfg
            self.push_every = p.values['push_every']
            self.progress_every = p.values['progress_every']
            self.learner = OnlineLearner(
                p.sac_cfg,
                p.obs_cfg,
                p.act_cfg,
                p.run_dir,
                p.online_cfg,
                init_from=p.values['init_from'],
                resume=p.resume,
                demo_bags=p.demo_bags,
                demo_outcomes=p.demo_outcomes,
                demo_reward=p.demo_reward or None,
                log=learner_log(self.get_logger()),
                title=f'SAC learner ({p.observation_type})',
                update_process=remote,
                update_threads=p.values['torch_threads'],
            )
        except RobotLearningError:
            Node.destroy_node(self)  # nothing else exists yet; spin_node prints the one line
            raise
        learner = self.learner
        self.diag = Diagnostics(self)
        # Inputs (transitions; drops are its errors) and the work (gradient updates).
        self.diag.task('transitions', stale_s=30.0, params=True)
        self.diag.task('updates')
        self._diag_counts = (learner.transitions, learner.updates)
        self._updates_meter = RateMeter(learner.updates)
        self._tb = None
        try:
            from torch.utils.tensorboard import SummaryWriter

            self._tb = SummaryWriter(str(learner.run_dir / 'tensorboard'))
        except ImportError:  # tensorboard is in requirements; stay usable without it
            self.get_logger().warning('tensorboard not installed: no event files')
        self.robots = [RobotStream(r, self) for r in (p.robots or [''])]
        self.create_service(Trigger, 'learner/save_checkpoint', self._on_save)
        self.create_timer(1.0, lambda: report(self))
        cfg = learner.cfg
        live_parameters(
            self,
            {
                'warmup_transitions': lambda v: setattr(cfg, 'warmup_transitions', v),
                'push_every': lambda v: setattr(self, 'push_every', v),
                'checkpoint_every': lambda v: setattr(cfg, 'checkpoint_every', v),
                'progress_every': lambda v: setattr(self, 'progress_every', v),
                'max_env_steps': lambda v: setattr(cfg, 'max_env_steps', v),
                'sac.demo_ratio': lambda v: setattr(self.sac_cfg, 'demo_ratio', float(v)),
            },
        )
        self.push_weights()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._train_loop, name='sac_updates', daemon=True)
        self._thread.start()
        origin = (
            f'resumed from {learner.resumed_from} at {learner.transitions} transitions, '
            f'{learner.updates} updates'
            if learner.resumed_from
            else 'fresh'
        )
        demo = learner.demo
        self.get_logger().info(
            f'SAC learner ({self.observation_type}, {origin}): obs_dim {self.obs_cfg.dim}, '
            f'action_dim {self.act_cfg.dim}, robots {[r.label for r in self.robots]}, demo '
            f'buffer {len(demo) if demo else 0} transitions from {learner.demo_episodes} '
            f'episodes, UTD {self.sac_cfg.utd_ratio}, critics {self.sac_cfg.num_critics}, '
            f'n-step {self.sac_cfg.n_step}, updates in '
            f'{"their own process" if remote else "a thread"}'
        )

    def on_episode(self, robot: RobotStream, rec) -> None:
        """Record a finished episode of ``robot`` (learner, TensorBoard)."""
        row = self.learner.on_episode(robot.label, rec)
        if self._tb is not None:
            step = row['env_steps']
            self._tb.add_scalar('episode/return', rec.episode_return, step)
            self._tb.add_scalar('episode/success', float(row['success']), step)
            self._tb.add_scalar('episode/length', rec.length, step)
            self._tb.add_scalar('episode/human_steps', row['human_steps'], step)
            self._tb.add_scalar('episode/intervention_rate', row['intervention_rate'], step)
            if len(self.robots) > 1:
                self._tb.add_scalar(f'robots/{robot.label}/return', rec.episode_return, step)

    def _train_loop(self) -> None:
        learner = self.learner
        while not self._stop.is_set():
            stats = learner.update()  # the UTD gate: None until a transition is due
            if stats is None:
                time.sleep(0.001)
                continue
            n = learner.updates
            if n % self.push_every == 0:
                self.push_weights()
            if self.progress_every and n % self.progress_every == 0:
                self._publish_progress()
            if self._tb is not None and n % 100 == 0:
                for k, v in stats.items():
                    self._tb.add_scalar(f'train/{k}', v, n)
            learner.checkpoint_if_due()

    def _publish_progress(self) -> None:
        """Publish, per robot, the transitions the learner has trained through."""
        for robot in self.robots:
            msg = UInt64(data=self.learner.trained_through(robot.label))
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

    def push_weights(self) -> None:
        """Publish the actor to every robot's ``policy/weights`` (a new weights version)."""
        msg = UInt8MultiArray()
        msg.data = self.learner.weights_blob()
        for robot in self.robots:
            if not self._publish_from_thread(robot.weights_pub, msg):
                return  # stopping: close() writes the final checkpoint

    def _on_save(self, _req, resp):
        try:
            path = self.learner.save('latest')
            resp.success, resp.message = True, str(path.resolve())
        except RobotLearningError as exc:
            resp.success, resp.message = False, str(exc)
        return resp

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
        learner = self.learner
        left = SHUTDOWN_WINDOW_S - _SHUTDOWN_MARGIN_S - (time.monotonic() - t0)
        estimate = learner.full_state_bytes() / (learner.save_rate or _ASSUMED_SAVE_RATE)
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
            path = learner.save('latest', plot=False)
        except (RobotLearningError, OSError) as exc:
            log.error(f'final checkpoint not written ({exc}); checkpoints/latest is unchanged')
            return
        done = time.monotonic()
        log.info(
            f'final checkpoint: {learner.transitions} transitions, {learner.updates} updates, '
            f'{len(learner.online)} buffer rows in {done - t_save:.2f} s '
            f'({done - t0:.2f} s after the stop) -> {path}'
        )
        # After the checkpoint is safe: the curve (importing matplotlib alone can take seconds
        # on a busy CPU), while launch's SIGKILL (10 s after SIGINT) is far enough away.
        if done - t0 < 3.0:
            learner.plot()

    def destroy_node(self):
        self._stop.set()
        self._thread.join(timeout=5.0)
        if self._tb is not None:
            self._tb.close()
        self.learner.close()
        return super().destroy_node()


def main(args=None) -> None:
    """Entry point ``sac_learner``."""
    spin_node(SacLearner, args)


if __name__ == '__main__':
    main()
