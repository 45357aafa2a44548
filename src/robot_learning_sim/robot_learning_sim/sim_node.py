# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 robot_learning maintainers
"""``sim_node``: the built-in MuJoCo world as a ROS 2 robot (docs/interfaces.md, Simulator).

Per control step it publishes, in this order and all with the same ``header.stamp`` (the
sim time of the step): ``/clock``, ``episode``, ``odom``, ``detections``,
``camera/image_raw`` (every ``camera_every`` steps), ``scan`` (last: observers trigger on
it). At each episode start it first publishes ``instruction`` and ``sim/goal`` (latched),
then the step-0 observation whose ``episode`` status has step 0, reward 0, prev_stamp -1.

``cmd_vel`` is geometry_msgs/TwistStamped (what the policy node publishes by default and
Jazzy's diff_drive_controller takes), plain Twist with ``cmd_vel_stamped: false``.

When to step is :mod:`robot_learning_sim.lockstep`'s (shared with ``gym_bridge``):
``realtime`` (a wall timer at ``control_rate`` applying the latest ``cmd_vel``) or
``lockstep`` (one step per command; while a publisher of ``action`` (TwistStamped,
stamped with the observation it answers, as the policy node publishes with every
``cmd_vel``) is matched only the first ``action`` for the current step advances), with
resends (``lockstep_resend_s``), ``lockstep_max_rate``, pacing by ``learner/progress``
(``lockstep_max_lag``) and ``autoreset``.

With ``publish_task: false`` (read-only) the episodes are a ``task_node``'s: the node
publishes no ``episode``, ``instruction``, ``detections`` or ``sim/goal`` and never ends
an episode itself (no termination, no truncation; ``sim/reset`` still starts a new
layout). Either way, at each episode start it publishes the ground-truth pillar poses
``sim/objects/<colour>`` (PoseStamped, latched, odom frame, stamped with the step-0
stamp, NaN when the colour is absent) before the step-0 observation.

Curriculum (``curriculum``, ``curriculum.*``) and domain randomisation (``randomize``,
``randomize.*``, ``appearance``): parameters and behaviour in
:mod:`robot_learning_sim.sim_node_params`. The diagnostics ``simulation`` task reports
``curriculum_level`` and ``goal_distance_max`` (with a curriculum), ``appearance`` and
``randomize``.

The node drives sim time itself (it publishes ``/clock`` = world time); its own timers run
on the steady wall clock, so it works with or without ``use_sim_time``.
"""

from __future__ import annotations

import math

from geometry_msgs.msg import PoseStamped, Twist, TwistStamped
from rclpy.node import Node
from robot_learning_nodes.common import (
    COMMAND_QOS,
    Diagnostics,
    LATCHED_QOS,
    live_parameters,
    s_to_stamp,
    spin_node,
)
from robot_learning_nodes.episode_status import EpisodeStatus
from robot_learning_sim.lockstep import Lockstep
from robot_learning_sim.sim_node_params import declare_curriculum, declare_world
from robot_learning_sim.sim_sensors import ObjectPoses, SimSensors
from robot_learning_sim.world import World
from std_msgs.msg import String


class SimNode(Node):
    """The simulator node. Parameters are declared (with descriptions) in ``__init__``."""

    def __init__(self, **kwargs):
        super().__init__('sim_node', **kwargs)
        self.diag = Diagnostics(self)
        self.lockstep = Lockstep(
            self,
            self.diag,
            step=self._step,
            new_episode=self._new_episode,
            republish=self._republish,
            mode='realtime',
            resend_s=1.0,
            unstamped='cmd_vel',
            stamped='action',
        )
        self.mode = self.lockstep.mode
        p = declare_world(self)
        cfg, rate, frames = p.world, p.rate, p.frames
        self.camera_every, self.publish_task = p.camera_every, p.publish_task
        self.odom_frame = frames['odom']
        self.world = World(cfg)
        self.curriculum = declare_curriculum(self, cfg)
        if self.curriculum is not None:
            self.world.set_goal_distance_max(self.curriculum.value)
        # Steps (and episode counts), and the commands that drive them.
        self.diag.task('simulation', params=True)
        self.diag.task(
            'commands',
            keys=(
                'stale_actions',
                'cmds_while_waiting_for_reset',
                'commands_ignored_while_paired',
            ),
            errors=('error_bad_cmd_vel',),
        )
        self.diag.set('mode', self.mode)
        self.diag.set('appearance', cfg.appearance.appearance, task='simulation')
        self.diag.set('randomize', cfg.appearance.randomize, task='simulation')

        task = self.publish_task
        self.status = EpisodeStatus(self, episode=task)
        self.sensors = SimSensors(self, self.world, frames, detections=task)
        self.objects = ObjectPoses(self, self.world, self.odom_frame)
        if task:
            self._pub_instruction = self.create_publisher(String, 'instruction', LATCHED_QOS)
            self._pub_goal = self.create_publisher(PoseStamped, 'sim/goal', LATCHED_QOS)
        self.create_subscription(
            TwistStamped if p.cmd_stamped else Twist, 'cmd_vel', self._on_cmd, COMMAND_QOS
        )
        self._action_sub = None
        if self.mode == 'lockstep' and not self.lockstep.unstamped_only:
            self._action_sub = self.create_subscription(
                TwistStamped, 'action', self._on_action, COMMAND_QOS
            )
        self._return = 0.0
        self.lockstep.start(
            rate, (0.0, 0.0), self._action_sub,
            lambda: f'{self.world.episode}: {self.world.instruction}',
        )
        self._new_episode(first=True)
        live_parameters(
            self,
            {'camera_every': lambda v: setattr(self, 'camera_every', v), **self.lockstep.live()},
        )
        self.get_logger().info(
            f'sim_node up: mode={self.mode} control_rate={rate} Hz, {self.world.instruction}'
        )

    # ------------------------------------------------------------------ publishing
    def _publish(self, reward: float, terminated: bool, truncated: bool, outcome: str) -> None:
        """Publish the current world state: /clock, episode, odom, detections, [camera], scan."""
        w = self.world
        stamp = s_to_stamp(w.time)
        self.status.publish(
            stamp,
            reward,
            terminated,
            truncated,
            outcome,
            w.episode,
            w.episode_steps,
            self._return,
            w.instruction,
        )
        every = self.camera_every
        self.sensors.publish(w, stamp, every > 0 and w.episode_steps % every == 0)
        self.lockstep.published(stamp)

    def _republish(self) -> None:
        """Lockstep resend: the last step's messages again, unchanged (same stamp)."""
        self.status.republish()
        self.sensors.republish()

    # ------------------------------------------------------------------ episodes
    def _new_episode(self, first: bool = False) -> None:
        """Reset the world, publish instruction and goal, then the step-0 observation."""
        w = self.world
        if not first:
            w.reset()
        self.lockstep.ended = False
        self._return = 0.0
        self.status.new_episode()
        stamp = s_to_stamp(w.time)
        self.objects.publish(w, stamp)
        if self.publish_task:
            self._pub_instruction.publish(String(data=w.instruction))
            g = PoseStamped()
            g.header.stamp, g.header.frame_id = stamp, self.odom_frame
            g.pose.position.x, g.pose.position.y = w.goal_position()
            g.pose.orientation.w = 1.0
            self._pub_goal.publish(g)
        self._publish(0.0, False, False, 'running')
        self.diag.count('episodes')
        self.diag.set('episode', w.episode)
        self.diag.set('instruction', w.instruction)

    def _step(self, command: tuple[float, float]) -> bool:
        """Apply one (v m/s, w rad/s) command for one control period and publish the step."""
        r = self.world.step(*command)
        if not self.publish_task:  # the task_node scores and ends episodes
            r = r._replace(reward=0.0, terminated=False, truncated=False, outcome='running')
        self._return += r.reward
        self.lockstep.ended = r.terminated or r.truncated
        if r.collided:
            self.diag.count('collision_steps')
        if self.lockstep.ended:
            self.diag.count(f'outcome_{r.outcome}')
            if self.curriculum is not None:
                self._curriculum_step(r.outcome == 'success')
        self._publish(r.reward, r.terminated, r.truncated, r.outcome)
        self.diag.tick('simulation')
        return True

    def _curriculum_step(self, success: bool) -> None:
        """Count an episode; the next layout is drawn at the (possibly new) level."""
        cur = self.curriculum
        if cur.record(success):
            self.world.set_goal_distance_max(cur.value)
            self.get_logger().info(f'curriculum level {cur.level} after {cur.episodes} '
                                   f'episodes: goal within {cur.value or "any distance"}')
        self.diag.set('curriculum_level', cur.level)
        self.diag.set('goal_distance_max', cur.value)

    # ------------------------------------------------------------------ callbacks
    def _finite(self, v: float, w: float, what: str) -> tuple[float, float]:
        if math.isfinite(v) and math.isfinite(w):
            return v, w
        self.diag.error('error_bad_cmd_vel', f'non-finite {what} ({v}, {w}): using zero')
        return 0.0, 0.0

    def _on_cmd(self, msg: Twist | TwistStamped) -> None:
        t = msg.twist if isinstance(msg, TwistStamped) else msg
        command = self._finite(t.linear.x, t.angular.z, 'cmd_vel')
        if self.mode == 'lockstep' and self.lockstep.ignores_unstamped():
            return  # the matching stamped `action` advances the step
        self.lockstep.command(command)

    def _on_action(self, msg: TwistStamped) -> None:
        if self.lockstep.take_stamped(msg.header.stamp):
            self.lockstep.command(self._finite(msg.twist.linear.x, msg.twist.angular.z, 'action'))

    def destroy_node(self):
        self.world.close()
        return super().destroy_node()


def main(args=None) -> None:
    """Entry point ``sim_node``."""
    spin_node(SimNode, args)


if __name__ == '__main__':
    main()
