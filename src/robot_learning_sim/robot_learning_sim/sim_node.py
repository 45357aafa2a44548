# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 robot_learning maintainers
"""``sim_node``: the built-in MuJoCo world as a ROS 2 robot (docs/interfaces.md, Simulator).

Per control step it publishes, in this order and all with the same ``header.stamp`` (the
sim time of the step): ``/clock``, ``episode``, ``odom``, ``detections``,
``camera/image_raw`` (every ``camera_every`` steps), ``scan`` (last: observers trigger on
it). At each episode start it first publishes ``instruction`` and ``sim/goal`` (latched),
then the step-0 observation whose ``episode`` status has step 0, reward 0, prev_stamp -1.

Modes:

* ``realtime``: a wall-clock timer steps at ``control_rate`` applying the latest
  ``cmd_vel`` (zero if older than ``cmd_timeout`` wall seconds);
* ``lockstep``: each command advances exactly one step (in the subscription callback);
  with no command for ``lockstep_resend_s`` wall seconds the last step is republished
  unchanged (same stamp); ``lockstep_max_rate`` caps steps per wall second.

``cmd_vel`` is geometry_msgs/TwistStamped (what the policy node publishes by default and
Jazzy's diff_drive_controller takes), plain Twist with ``cmd_vel_stamped: false``.

Lockstep needs exactly one command per observation. ``cmd_vel`` carries no observation
stamp (a TwistStamped one is stamped with the sender's clock), so a command that arrives
late (the answer to the terminal step of an episode arriving
after ``sim/reset``, to a step of an episode interrupted by a reset) or twice (a step
answered by both the teleop forwarder and the policy node's resend answer) would be
applied to the wrong step, and from then on every command would answer an older
observation than the one it is applied to. So while a publisher of ``action``
(TwistStamped, stamped with the observation it answers: the policy node publishes one with
every ``cmd_vel``) is matched, lockstep advances on ``action`` instead: only on the first
one stamped with the current observation; the others are counted (``stale_actions``) and
dropped, and ``cmd_vel`` is ignored. Parameter ``lockstep_commands`` ('auto', 'action',
'cmd_vel') picks this.

The node drives sim time itself (it publishes ``/clock`` = world time); its own timers run
on the steady wall clock, so it works with or without ``use_sim_time``.
"""

from __future__ import annotations

import array
import math
import time

from diagnostic_msgs.msg import DiagnosticArray, DiagnosticStatus, KeyValue
from geometry_msgs.msg import Pose, PoseArray, PoseStamped, Twist, TwistStamped
from nav_msgs.msg import Odometry
from rclpy.clock import Clock, ClockType
from rclpy.node import Node
from rclpy.qos import HistoryPolicy, QoSProfile, ReliabilityPolicy
from robot_learning.errors import ConfigError
from robot_learning_nodes.common import (
    COMMAND_QOS,
    declare,
    Diagnostics,
    LATCHED_QOS,
    live_parameters,
    s_to_stamp,
    SENSOR_PUB_QOS,
    spin_node,
    stamp_to_s,
)
from robot_learning_sim.world import World, WorldConfig
from rosgraph_msgs.msg import Clock as ClockMsg
from sensor_msgs.msg import Image, LaserScan
from std_msgs.msg import String
from std_srvs.srv import Trigger

#: ``episode`` events: reliable and deep, a learner busy with a gradient step loses none.
EPISODE_QOS = QoSProfile(
    history=HistoryPolicy.KEEP_LAST, depth=100, reliability=ReliabilityPolicy.RELIABLE
)
CLOCK_QOS = QoSProfile(
    history=HistoryPolicy.KEEP_LAST, depth=10, reliability=ReliabilityPolicy.RELIABLE
)

_EPISODE_KEYS = (
    'reward',
    'terminated',
    'truncated',
    'episode',
    'step',
    'return',
    'instruction',
    'prev_stamp',
)


def _stamp_key(stamp) -> tuple[int, int]:
    """Stamp -> (sec, microseconds): what survives the policy node's microsecond stamps."""
    return stamp.sec, (stamp.nanosec + 500) // 1000


def _stamp_str(stamp) -> str:
    """``prev_stamp`` text: ``float(text) == stamp_to_s(stamp)`` exactly (repr round-trips)."""
    return repr(stamp_to_s(stamp))


class SimNode(Node):
    """The simulator node. Parameters are declared (with descriptions) in ``__init__``."""

    def __init__(self, **kwargs):
        super().__init__('sim_node', **kwargs)
        self.mode = declare(
            self,
            'mode',
            'realtime',
            "'realtime' (timer at control_rate) or 'lockstep' (one step per " 'cmd_vel)',
            read_only=True,
        )
        if self.mode not in ('realtime', 'lockstep'):
            raise ConfigError(
                f"sim_node: mode must be 'realtime' or 'lockstep', not {self.mode!r}"
            )
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
        self.autoreset = declare(
            self,
            'autoreset',
            True,
            'after a terminal step the next command starts a new episode'
            ' (and is not applied); false: wait for sim/reset',
        )
        self.resend_s = declare(
            self,
            'lockstep_resend_s',
            1.0,
            'lockstep: republish the last step after this many wall '
            'seconds without cmd_vel (0 = never), s',
            min_value=0.0,
            max_value=3600.0,
        )
        self.max_rate = declare(
            self,
            'lockstep_max_rate',
            0.0,
            'lockstep: at most this many steps per wall second ' '(0 = unlimited), Hz',
            read_only=True,
            min_value=0.0,
        )
        self.lockstep_commands = declare(
            self,
            'lockstep_commands',
            'auto',
            "lockstep: what advances a step: 'action' (TwistStamped stamped with the "
            "observation it answers; only the one for the current step counts), 'cmd_vel' "
            "(every Twist), 'auto' ('action' while an action publisher is matched, else "
            "'cmd_vel')",
            read_only=True,
        )
        if self.lockstep_commands not in ('auto', 'action', 'cmd_vel'):
            raise ConfigError(
                "sim_node: lockstep_commands must be 'auto', 'action' or 'cmd_vel', not "
                f'{self.lockstep_commands!r}'
            )
        self.cmd_timeout = declare(
            self,
            'cmd_timeout',
            0.5,
            'realtime: a cmd_vel older than this (wall) counts as ' 'zero, s',
            min_value=0.0,
            max_value=3600.0,
        )
        # Frame ids are baked into the pre-allocated messages: fixed at start-up.
        self.odom_frame = declare(self, 'odom_frame', 'odom', 'odometry frame id', read_only=True)
        self.base_frame = declare(
            self, 'base_frame', 'base_link', 'robot base frame id', read_only=True
        )
        self.scan_frame = declare(
            self, 'scan_frame', 'base_scan', 'lidar frame id', read_only=True
        )
        self.camera_frame = declare(
            self, 'camera_frame', 'camera_link', 'camera frame id', read_only=True
        )

        self.world = World(
            WorldConfig(
                control_dt=1.0 / rate,
                camera_width=cam_w,
                camera_height=cam_h,
                seed=seed,
                max_episode_steps=max_steps,
                n_obstacles=n_obst,
                colors=tuple(colors),
            )
        )
        self.diag = Diagnostics(self)
        # Steps (and episode counts), and the commands that drive them.
        self.diag.task('simulation', params=True)
        self.diag.task(
            'commands',
            keys=('stale_actions', 'cmds_while_waiting_for_reset'),
            errors=('error_bad_cmd_vel',),
        )
        self.diag.set('mode', self.mode)

        self._pub_clock = self.create_publisher(ClockMsg, '/clock', CLOCK_QOS)
        self._pub_episode = self.create_publisher(DiagnosticArray, 'episode', EPISODE_QOS)
        self._pub_odom = self.create_publisher(Odometry, 'odom', SENSOR_PUB_QOS)
        self._pub_det = self.create_publisher(PoseArray, 'detections', SENSOR_PUB_QOS)
        self._pub_image = self.create_publisher(Image, 'camera/image_raw', SENSOR_PUB_QOS)
        self._pub_scan = self.create_publisher(LaserScan, 'scan', SENSOR_PUB_QOS)
        self._pub_instruction = self.create_publisher(String, 'instruction', LATCHED_QOS)
        self._pub_goal = self.create_publisher(PoseStamped, 'sim/goal', LATCHED_QOS)
        cmd_stamped = declare(
            self,
            'cmd_vel_stamped',
            True,
            'cmd_vel is TwistStamped (false: plain Twist)',
            read_only=True,
        )
        self.create_subscription(
            TwistStamped if cmd_stamped else Twist, 'cmd_vel', self._on_cmd, COMMAND_QOS
        )
        self._action_sub = None
        if self.mode == 'lockstep' and self.lockstep_commands != 'cmd_vel':
            self._action_sub = self.create_subscription(
                TwistStamped, 'action', self._on_action, COMMAND_QOS
            )
        self.create_service(Trigger, 'sim/reset', self._on_reset)

        self._init_messages()
        self._wall = Clock(clock_type=ClockType.STEADY_TIME)
        self._ended = False  # last published step was terminal / truncated
        self._return = 0.0
        self._prev_stamp = None  # stamp of the previously published observation
        self._last_pub_wall = 0.0  # monotonic time of the last publication of a step
        self._last_step_wall = -math.inf
        self._last_had_image = False
        self._cmd = (0.0, 0.0)  # realtime: latest command and its wall time
        self._cmd_wall = -math.inf
        self._pending = None  # lockstep + max_rate: command waiting for its turn
        self._obs_key = None  # lockstep: (sec, usec) stamp of the current observation
        self._answered = False  # lockstep: a command was taken for the current observation
        self.steps_total = 0
        self._rate_t0, self._rate_n = time.monotonic(), 0

        if self.mode == 'realtime':
            self.create_timer(1.0 / rate, self._on_tick, clock=self._wall)
        else:
            self._set_resend(self.resend_s)
            if self.max_rate > 0:
                self.create_timer(
                    max(0.25 / self.max_rate, 0.001), self._on_throttle_timer, clock=self._wall
                )
        self._new_episode(first=True)
        live_parameters(
            self,
            {
                'camera_every': lambda v: setattr(self, 'camera_every', v),
                'autoreset': lambda v: setattr(self, 'autoreset', v),
                'lockstep_resend_s': self._set_resend,
                'cmd_timeout': lambda v: setattr(self, 'cmd_timeout', v),
            },
        )
        self.get_logger().info(
            f'sim_node up: mode={self.mode} control_rate={rate} Hz, {self.world.instruction}'
        )

    # ------------------------------------------------------------------ messages
    def _init_messages(self) -> None:
        """Pre-allocate the per-step messages; each step only overwrites fields."""
        cfg = self.world.cfg
        self._clock_msg = ClockMsg()
        s = self._scan_msg = LaserScan()
        s.header.frame_id = self.scan_frame
        inc = 2.0 * math.pi / cfg.lidar_rays
        s.angle_min, s.angle_increment = -math.pi, inc
        s.angle_max = -math.pi + inc * (cfg.lidar_rays - 1)
        s.time_increment = 0.0  # all rays at the same instant
        s.scan_time = cfg.control_dt
        s.range_min, s.range_max = cfg.range_min, cfg.range_max
        o = self._odom_msg = Odometry()
        o.header.frame_id = self.odom_frame
        o.child_frame_id = self.base_frame
        d = self._det_msg = PoseArray()
        d.header.frame_id = self.base_frame
        d.poses = [Pose() for _ in cfg.colors]
        im = self._image_msg = Image()
        im.header.frame_id = self.camera_frame
        im.height, im.width = cfg.camera_height, cfg.camera_width
        im.encoding, im.is_bigendian, im.step = 'rgb8', 0, 3 * cfg.camera_width
        self._kv = {k: KeyValue(key=k, value='') for k in _EPISODE_KEYS}
        st = self._status = DiagnosticStatus(name='episode', hardware_id=self.get_name())
        st.values = [self._kv[k] for k in _EPISODE_KEYS]
        self._episode_msg = DiagnosticArray(status=[st])

    def _fill_and_publish(
        self, reward: float, terminated: bool, truncated: bool, outcome: str
    ) -> None:
        """Build the messages of the current world state and publish them in order."""
        w = self.world
        stamp = s_to_stamp(w.time)
        self._clock_msg.clock = stamp
        self._pub_clock.publish(self._clock_msg)

        kv = self._kv
        kv['reward'].value = repr(float(reward))
        kv['terminated'].value = '1' if terminated else '0'
        kv['truncated'].value = '1' if truncated else '0'
        kv['episode'].value = str(w.episode)
        kv['step'].value = str(w.episode_steps)
        kv['return'].value = repr(float(self._return))
        kv['instruction'].value = w.instruction
        kv['prev_stamp'].value = '-1' if self._prev_stamp is None else _stamp_str(self._prev_stamp)
        st = self._status
        st.message = outcome
        st.level = (
            DiagnosticStatus.OK if outcome in ('running', 'success') else DiagnosticStatus.WARN
        )
        self._episode_msg.header.stamp = stamp
        self._pub_episode.publish(self._episode_msg)

        x, y, yaw = w.pose()
        v, om = w.velocity()
        o = self._odom_msg
        o.header.stamp = stamp
        p = o.pose.pose
        p.position.x, p.position.y = x, y
        p.orientation.z, p.orientation.w = math.sin(yaw / 2.0), math.cos(yaw / 2.0)
        o.twist.twist.linear.x = v
        o.twist.twist.angular.z = om
        self._pub_odom.publish(o)

        det = w.detections()
        d = self._det_msg
        d.header.stamp = stamp
        for pose, (dx, dy) in zip(d.poses, det.tolist()):
            pose.position.x, pose.position.y = dx, dy
        self._pub_det.publish(d)

        every = self.camera_every
        self._last_had_image = every > 0 and w.episode_steps % every == 0
        if self._last_had_image:
            im = self._image_msg
            im.header.stamp = stamp
            # array.array is the zero-check fast path of the generated setter.
            im.data = array.array('B', w.render_camera().tobytes())
            self._pub_image.publish(im)

        s = self._scan_msg
        s.header.stamp = stamp
        s.ranges = array.array('f', w.scan().tobytes())
        self._pub_scan.publish(s)

        self._prev_stamp = stamp
        self._obs_key = _stamp_key(stamp)
        self._answered = False
        self._last_pub_wall = time.monotonic()

    def _republish(self) -> None:
        """Lockstep resend: the last step's messages again, unchanged (same stamp)."""
        self._pub_clock.publish(self._clock_msg)
        self._pub_episode.publish(self._episode_msg)
        self._pub_odom.publish(self._odom_msg)
        self._pub_det.publish(self._det_msg)
        if self._last_had_image:
            self._pub_image.publish(self._image_msg)
        self._pub_scan.publish(self._scan_msg)
        self._last_pub_wall = time.monotonic()
        self.diag.count('resends')

    # ------------------------------------------------------------------ episodes
    def _new_episode(self, first: bool = False) -> None:
        """Reset the world, publish instruction and goal, then the step-0 observation."""
        w = self.world
        if not first:
            w.reset()
        self._ended = False
        self._return = 0.0
        self._prev_stamp = None
        stamp = s_to_stamp(w.time)
        self._pub_instruction.publish(String(data=w.instruction))
        g = PoseStamped()
        g.header.stamp, g.header.frame_id = stamp, self.odom_frame
        g.pose.position.x, g.pose.position.y = w.goal_position()
        g.pose.orientation.w = 1.0
        self._pub_goal.publish(g)
        self._fill_and_publish(0.0, False, False, 'running')
        self.diag.count('episodes')
        self.diag.set('episode', w.episode)
        self.diag.set('instruction', w.instruction)

    def _advance(self, v: float, w: float) -> None:
        """Apply one command for one control period (or start the next episode)."""
        self._last_step_wall = time.monotonic()
        if self._ended:
            if self.autoreset:
                self._new_episode()  # this command is not applied
            else:
                self.diag.count('cmds_while_waiting_for_reset')
            return
        r = self.world.step(v, w)
        self._return += r.reward
        self._ended = r.terminated or r.truncated
        if r.collided:
            self.diag.count('collision_steps')
        if self._ended:
            self.diag.count(f'outcome_{r.outcome}')
        self._fill_and_publish(r.reward, r.terminated, r.truncated, r.outcome)
        self.steps_total += 1
        self.diag.tick('simulation')
        self._rate_n += 1
        now = time.monotonic()
        if now - self._rate_t0 >= 2.0:
            self.diag.set('steps_per_s', f'{self._rate_n / (now - self._rate_t0):.1f}')
            self._rate_t0, self._rate_n = now, 0

    # ------------------------------------------------------------------ callbacks
    def _pair_actions(self) -> bool:
        """Lockstep advances on ``action`` (stamped) rather than on ``cmd_vel``."""
        if self._action_sub is None:
            return False
        return self.lockstep_commands == 'action' or self._action_sub.get_publisher_count() > 0

    def _on_cmd(self, msg: Twist | TwistStamped) -> None:
        t = msg.twist if isinstance(msg, TwistStamped) else msg
        v, w = t.linear.x, t.angular.z
        if not (math.isfinite(v) and math.isfinite(w)):
            self.diag.error('error_bad_cmd_vel', f'non-finite cmd_vel ({v}, {w}): using zero')
            v = w = 0.0
        if self.mode == 'realtime':
            self._cmd, self._cmd_wall = (v, w), time.monotonic()
            return
        if self._pair_actions():
            return  # the matching stamped `action` advances the step
        self._lockstep_command(v, w)

    def _on_action(self, msg: TwistStamped) -> None:
        if not self._pair_actions():
            return
        if _stamp_key(msg.header.stamp) != self._obs_key or self._answered:
            # A late answer (to an earlier step or episode) or a second answer to this one.
            self.diag.count('stale_actions')
            return
        v, w = msg.twist.linear.x, msg.twist.angular.z
        if not (math.isfinite(v) and math.isfinite(w)):
            self.diag.error('error_bad_cmd_vel', f'non-finite action ({v}, {w}): using zero')
            v = w = 0.0
        self._lockstep_command(v, w)

    def _lockstep_command(self, v: float, w: float) -> None:
        self._answered = True
        if self.max_rate > 0 and time.monotonic() - self._last_step_wall < 1.0 / self.max_rate:
            self._pending = (v, w)  # the throttle timer applies it when its turn comes
            return
        self._pending = None
        self._advance(v, w)

    def _on_throttle_timer(self) -> None:
        if (
            self._pending is not None
            and time.monotonic() - self._last_step_wall >= 1.0 / self.max_rate
        ):
            v, w = self._pending
            self._pending = None
            self._advance(v, w)

    def _on_resend_timer(self) -> None:
        if self._pending is None and time.monotonic() - self._last_pub_wall >= self.resend_s:
            self._republish()

    def _on_tick(self) -> None:
        if self._ended and not self.autoreset:
            return  # realtime, episode over: time stands still until sim/reset
        fresh = time.monotonic() - self._cmd_wall <= self.cmd_timeout
        v, w = self._cmd if fresh else (0.0, 0.0)
        self._advance(v, w)

    def _set_resend(self, resend_s: float) -> None:
        """Lockstep: (re)arm the resend timer for ``resend_s`` (0: no timer, never resend)."""
        self.resend_s = float(resend_s)
        timer = getattr(self, '_resend_timer', None)
        if timer is not None:
            self.destroy_timer(timer)
        self._resend_timer = None
        if self.mode == 'lockstep' and self.resend_s > 0:
            self._resend_timer = self.create_timer(
                max(self.resend_s / 4.0, 0.01), self._on_resend_timer, clock=self._wall
            )

    def _on_reset(self, request, response):
        self._pending = None
        self._new_episode()
        response.success = True
        # "episode <id>: <instruction>": an operator must know which episode its reset
        # started (statuses of the one it interrupted may still be in flight).
        response.message = f'episode {self.world.episode}: {self.world.instruction}'
        return response

    def destroy_node(self):
        self.world.close()
        return super().destroy_node()


def main(args=None) -> None:
    """Entry point ``sim_node``."""
    spin_node(SimNode, args)


if __name__ == '__main__':
    main()
