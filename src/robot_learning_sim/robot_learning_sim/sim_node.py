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

With ``curriculum: true`` (read-only) the node runs a success-gated curriculum over its
own episodes (:mod:`robot_learning.common.curriculum`): the start-to-goal distance is
capped at ``curriculum.levels[k]`` m (0 = any) and ``k`` goes up once ``curriculum.window``
episodes at that level succeeded at a rate of ``curriculum.promote_at``. The diagnostics
``simulation`` task reports ``curriculum_level`` and ``goal_distance_max``; a step up is
logged. Evaluate against a ``sim_node`` without it (the full task).

With ``randomize: true`` (read-only) every episode draws a new appearance and the sensors
get noise (domain randomisation, :mod:`robot_learning_sim.appearance`): floor, wall and
box colours (``randomize.floor_rgb``, ``randomize.wall_rgb``, ``randomize.obstacle_rgb``:
max per-channel offsets, 0..1), pillar shades with the hue kept
(``randomize.pillar_shade``), the light intensity (``randomize.light``, relative), the
camera's pitch, yaw and field of view (``randomize.camera_pitch_deg``,
``randomize.camera_yaw_deg``, ``randomize.camera_fovy_deg``, deg), pixel noise
(``randomize.image_noise``, std in 0..255 units) and lidar range noise
(``randomize.scan_noise_m``, std in m, finite ranges only). Each amplitude is a read-only
parameter; 0 turns that one off. ``appearance: shifted`` (read-only; default
``default``) renders one fixed target domain every episode instead (a dark floor, green
walls, dimmer light, the camera pitched down with a wider view, darker pillars;
``robot_learning_sim.appearance.SHIFTED``). The draws have their own generator: a seed's
layouts are the same with or without either. The diagnostics ``simulation`` task reports
``appearance`` and ``randomize``.

The node drives sim time itself (it publishes ``/clock`` = world time); its own timers run
on the steady wall clock, so it works with or without ``use_sim_time``.
"""

from __future__ import annotations

import math

from geometry_msgs.msg import PoseStamped, Twist, TwistStamped
from rclpy.node import Node
from robot_learning.common.curriculum import CurriculumConfig, SuccessCurriculum
from robot_learning.errors import ConfigError
from robot_learning_nodes.common import (
    COMMAND_QOS,
    declare,
    declare_dataclass,
    Diagnostics,
    LATCHED_QOS,
    live_parameters,
    one_of,
    s_to_stamp,
    spin_node,
)
from robot_learning_nodes.episode_status import EpisodeStatus
from robot_learning_sim.appearance import AMPLITUDES, AppearanceConfig, APPEARANCES
from robot_learning_sim.lockstep import Lockstep
from robot_learning_sim.sim_sensors import ObjectPoses, SimSensors
from robot_learning_sim.world import World, WorldConfig
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
        rate = declare(
            self,
            'control_rate',
            10.0,
            'control steps per sim second, Hz',
            read_only=True,
            min_value=0.1,
            max_value=1000.0,
        )
        cam_w = declare(
            self, 'camera_width', 160, 'camera image width, px', True, min_value=1, max_value=4096
        )
        cam_h = declare(
            self,
            'camera_height',
            120,
            'camera image height, px',
            read_only=True,
            min_value=1,
            max_value=4096,
        )
        self.camera_every = declare(
            self, 'camera_every', 1, 'publish the camera every N steps (0 = off)', min_value=0
        )
        seed = declare(
            self, 'seed', 0, 'seed of the episode generator', read_only=True, min_value=0
        )
        max_steps = declare(
            self,
            'max_episode_steps',
            200,
            'steps after which an episode is truncated (timeout)',
            read_only=True,
            min_value=1,
        )
        n_obst = declare(
            self,
            'n_obstacles',
            3,
            'box obstacles per episode',
            read_only=True,
            min_value=0,
            max_value=100,
        )
        colors = declare(
            self,
            'colors',
            ['red', 'green', 'blue'],
            'pillar colours; order of the detections poses',
            read_only=True,
        )
        # Frame ids are baked into the pre-allocated messages: fixed at start-up.
        frames = {
            'odom': declare(self, 'odom_frame', 'odom', 'odometry frame id', read_only=True),
            'base': declare(self, 'base_frame', 'base_link', 'robot base frame id', True),
            'scan': declare(self, 'scan_frame', 'base_scan', 'lidar frame id', read_only=True),
            'camera': declare(self, 'camera_frame', 'camera_link', 'camera frame id', True),
        }
        self.odom_frame = frames['odom']
        self.publish_task = declare(
            self, 'publish_task', True,
            'publish episode, instruction, detections, sim/goal and end episodes (false: '
            'a task_node does)', read_only=True,
        )
        cmd_stamped = declare(
            self, 'cmd_vel_stamped', True, 'cmd_vel is TwistStamped (false: plain Twist)', True
        )
        progress = declare(
            self, 'progress', 'straight', "progress reward along the 'straight' line to the "
            "goal or the shortest 'path' around boxes and wrong pillars", read_only=True,
        )
        look = self._declare_appearance()
        try:
            cfg = WorldConfig(
                control_dt=1.0 / rate,
                camera_width=cam_w,
                camera_height=cam_h,
                seed=seed,
                max_episode_steps=max_steps,
                n_obstacles=n_obst,
                colors=tuple(colors),
                progress=progress,
                appearance=look,
            )
        except ValueError as exc:  # e.g. an unknown colour: one line, not a traceback
            raise ConfigError(f'sim_node: {exc}') from None
        self.world = World(cfg)
        self.curriculum = None
        if declare(self, 'curriculum', False, 'grow the start-to-goal distance with the '
                   'training success rate (curriculum.*)', read_only=True):
            self.curriculum = SuccessCurriculum(declare_dataclass(
                self, CurriculumConfig, 'curriculum.', read_only=True,
                docs={
                    'levels': 'start-to-goal distance cap per level, m (0 = any, last only)',
                    'window': 'episodes at a level before it can be left',
                    'promote_at': 'success rate over the window that moves up a level',
                },
                ranges={'window': (1, None), 'promote_at': (0.0, 1.0)},
            ))
            near = [v for v in self.curriculum.cfg.levels if 0 < v < cfg.start_pillar_distance]
            if near:
                raise ConfigError(
                    f'sim_node: curriculum.levels {near} m: each must be 0 (any) or at least '
                    f'{cfg.start_pillar_distance} m (no start lies nearer a pillar)'
                )
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
        self.diag.set('appearance', look.appearance, task='simulation')
        self.diag.set('randomize', look.randomize, task='simulation')

        task = self.publish_task
        self.status = EpisodeStatus(self, episode=task)
        self.sensors = SimSensors(self, self.world, frames, detections=task)
        self.objects = ObjectPoses(self, self.world, self.odom_frame)
        if task:
            self._pub_instruction = self.create_publisher(String, 'instruction', LATCHED_QOS)
            self._pub_goal = self.create_publisher(PoseStamped, 'sim/goal', LATCHED_QOS)
        self.create_subscription(
            TwistStamped if cmd_stamped else Twist, 'cmd_vel', self._on_cmd, COMMAND_QOS
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

    def _declare_appearance(self) -> AppearanceConfig:
        """Declare ``appearance``, ``randomize`` and ``randomize.*`` (all read-only).

        Raises:
            ConfigError: an unknown ``appearance`` or an amplitude out of its range.
        """
        appearance = one_of(self, 'appearance', declare(
            self, 'appearance', 'default', "the world's look: 'default' or the fixed "
            "'shifted' target domain (dark floor, green walls, dim light, tilted camera)",
            read_only=True,
        ), APPEARANCES)
        randomize = declare(
            self, 'randomize', False, 'draw colours, light and camera anew every episode '
            'and add sensor noise (randomize.*)', read_only=True,
        )
        return declare_dataclass(
            self, AppearanceConfig, 'randomize.', read_only=True,
            skip=('randomize', 'appearance'), randomize=randomize, appearance=appearance,
            docs={k: f'{what} (with randomize)' for k, (_, _, what) in AMPLITUDES.items()},
            ranges={k: (lo, hi) for k, (lo, hi, _) in AMPLITUDES.items()},
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
            self.get_logger().info(
                f'curriculum level {cur.level} after {cur.episodes} episodes: goal within '
                f'{cur.value or "any distance"}{" m" if cur.value else ""}'
            )
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
