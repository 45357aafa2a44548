# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 robot_learning maintainers
"""Observation and action spaces shared by the policy node, the learner and bag datasets.

One function turns the low-dimensional observation streams (LiDAR sectors, pillar
detections, odometry twist, instruction) into the flat float32 vector the networks see,
and one maps a network action in [-1, 1]^2 to a ``geometry_msgs/Twist`` (m/s, rad/s).
The same code runs on live topics and on bags, so a policy trained from bags acts the
same on the robot.

The ``*_from_msg`` helpers are duck-typed: they read attributes that rclpy messages and
rosbags-deserialized messages share, so this module never imports rclpy.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
import functools
import math
import re
from typing import Any, Mapping, NamedTuple, Sequence

import numpy as np
from robot_learning.common.images import check_camera_image, dataset_images  # noqa: F401
from robot_learning.errors import ConfigError, MessageError

UNKNOWN_TOKEN = '<unk>'


@dataclass
class ObservationConfig:
    """What goes into the observation vector and how it is normalized.

    Attributes:
        num_sectors: LiDAR sectors (the ``observation/scan`` LaserScan length).
        range_max: LiDAR range (m) that maps to 1.0.
        colors: pillar colours in the order of the ``detections`` PoseArray.
        detection_range: distance (m) that maps to 1.0 for detections.
        max_linear: linear speed (m/s) that maps odometry ``twist.linear.x`` to 1.0.
        max_angular: angular speed (rad/s) that maps ``twist.angular.z`` to 1.0.
        vocabulary: instruction vocabulary; token 0 must be ``<unk>``. Empty -> built
            from ``colors`` (``go to the <colour> pillar``).
        goal_detection: append the detection block of the pillar the instruction names
            (:func:`instructed_color`) once more, after the instruction, so that a network
            does not have to learn which of the ``len(colors)`` blocks the instruction
            selects (a fixed keyword grounding, as a goal-conditioned policy gets its goal
            in a fixed slot). Measured in ``bench/sac_world.py`` (README, "goal
            detection"). Checkpoints written without this field read it as false: their
            vectors keep the older layout.
        near_range: LiDAR proximity channels, m: ``max(0, 1 - r / near_range)`` per
            sector, appended last. Near obstacles ``r / range_max`` hardly changes (a
            chassis touching a box at 0.17 m and one 0.5 m away differ by 0.09 at 3.5 m);
            these differ by 0.33 at 1 m, so a critic can tell pushing into a box from
            driving at the goal. 0 (the default) leaves them out: on top of
            ``goal_detection`` they changed success by +0.02 +- 0.04, within the noise
            (README, "goal detection").
    """

    num_sectors: int = 24
    range_max: float = 3.5
    colors: tuple = ('red', 'green', 'blue')
    detection_range: float = 5.0
    max_linear: float = 0.6
    max_angular: float = 1.5
    vocabulary: tuple = ()
    goal_detection: bool = True
    near_range: float = 0.0

    def __post_init__(self):
        self.colors = tuple(self.colors)
        if not self.vocabulary:
            self.vocabulary = (UNKNOWN_TOKEN, 'go', 'to', 'the', 'pillar') + self.colors
        self.vocabulary = tuple(self.vocabulary)
        if self.vocabulary[0] != UNKNOWN_TOKEN:
            raise ConfigError(
                f'vocabulary must start with {UNKNOWN_TOKEN!r}, ' f'got {self.vocabulary[0]!r}'
            )
        if self.num_sectors < 1 or self.range_max <= 0 or self.detection_range <= 0:
            raise ConfigError('num_sectors, range_max and detection_range must be positive')
        if not isinstance(self.goal_detection, (bool, np.bool_)):
            raise ConfigError(
                f'observation goal_detection must be true or false, got {self.goal_detection!r}'
            )
        self.goal_detection = bool(self.goal_detection)
        try:
            self.near_range = float(self.near_range)
        except (TypeError, ValueError):
            raise ConfigError(
                f'observation near_range must be a number (m), got {self.near_range!r}'
            ) from None
        if not 0.0 <= self.near_range <= self.range_max:
            raise ConfigError(
                f'observation near_range must be in [0, range_max={self.range_max}] m '
                f'(0 = no proximity channels), got {self.near_range}'
            )

    @property
    def dim(self) -> int:
        """Length of the observation vector."""
        return (
            self.num_sectors * (1 + (self.near_range > 0))
            + 4 * (len(self.colors) + self.goal_detection) + 2 + len(self.vocabulary)
        )

    def to_dict(self) -> dict:
        d = dataclasses.asdict(self)
        d['colors'] = list(self.colors)
        d['vocabulary'] = list(self.vocabulary)
        return d

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> 'ObservationConfig':
        names = {f.name for f in dataclasses.fields(cls)}
        kwargs = {k: (tuple(v) if isinstance(v, list) else v) for k, v in d.items() if k in names}
        # A sidecar from before goal_detection existed describes the vector without it.
        kwargs.setdefault('goal_detection', False)
        kwargs.setdefault('near_range', 0.0)
        return cls(**kwargs)


@dataclass
class ActionConfig:
    """Affine map between network actions in [-1, 1] and a Twist.

    Attributes:
        linear: (min, max) forward speed in m/s.
        angular: (min, max) yaw rate in rad/s.
    """

    linear: tuple = (-0.3, 0.6)
    angular: tuple = (-1.5, 1.5)
    dim: int = field(default=2, init=False)

    def __post_init__(self):
        self.linear = tuple(float(x) for x in self.linear)
        self.angular = tuple(float(x) for x in self.angular)
        for name, (lo, hi) in (('linear', self.linear), ('angular', self.angular)):
            if not lo < hi:
                raise ConfigError(f'action {name} range must have min < max, got ({lo}, {hi})')

    def to_dict(self) -> dict:
        return {'linear': list(self.linear), 'angular': list(self.angular), 'dim': self.dim}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> 'ActionConfig':
        return cls(linear=tuple(d['linear']), angular=tuple(d['angular']))

    def _bounds(self):
        lo = np.array([self.linear[0], self.angular[0]], np.float64)
        hi = np.array([self.linear[1], self.angular[1]], np.float64)
        return lo, hi

    def to_twist(self, action: np.ndarray) -> tuple[float, float]:
        """Network action (2,) in [-1, 1] -> (v m/s, w rad/s); out-of-range is clipped."""
        lo, hi = self._bounds()
        a = np.clip(np.asarray(action, np.float64).reshape(2), -1.0, 1.0)
        v, w = lo + (a + 1.0) * 0.5 * (hi - lo)
        return float(v), float(w)

    def from_twist(self, v: float, w: float) -> np.ndarray:
        """(v m/s, w rad/s) -> float32 (2,) action in [-1, 1] (clipped)."""
        lo, hi = self._bounds()
        a = 2.0 * (np.array([v, w], np.float64) - lo) / (hi - lo) - 1.0
        return np.clip(a, -1.0, 1.0).astype(np.float32)


@dataclass
class VectorObservationConfig:
    """A flat observation vector, e.g. the joint state of an arm or a gymnasium observation.

    On topics it travels as ``sensor_msgs/JointState`` (``joint_states``, stamped so the
    transition assembler can pair it): the vector is ``position ‖ velocity ‖ effort``
    (:func:`vector_from_joint_state`), unscaled (the gym bridge publishes the
    environment's observation exactly).

    Attributes:
        dim: length of the vector (> 0).
        names: optional joint / feature names (documentation and checks only).

    Raises:
        ConfigError: ``dim`` is not a positive integer.
    """

    dim: int = 1
    names: tuple = ()
    kind: str = field(default='vector', init=False)

    def __post_init__(self):
        if (
            isinstance(self.dim, bool)
            or not isinstance(self.dim, (int, np.integer))
            or self.dim < 1
        ):
            raise ConfigError(
                f'vector observation dim must be a positive integer, got {self.dim!r}'
            )
        self.dim = int(self.dim)
        self.names = tuple(str(n) for n in self.names)

    def to_dict(self) -> dict:
        return {'kind': 'vector', 'dim': self.dim, 'names': list(self.names)}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> 'VectorObservationConfig':
        return cls(dim=int(d['dim']), names=tuple(d.get('names', ())))

    def encode(self, values: Any) -> np.ndarray:
        """Vector -> float32 (dim,).

        Raises:
            MessageError: wrong length (the message names the expected one).
        """
        vec = np.asarray(values, np.float32).reshape(-1)
        if vec.shape != (self.dim,):
            raise MessageError(
                f'joint_states has {vec.size} values (position+velocity+effort), '
                f'the policy expects {self.dim}'
            )
        return vec


@dataclass
class JointActionConfig:
    """Affine map between network actions in [-1, 1]^n and joint commands.

    Commands are in the joint's units (N·m for effort, rad or m for position, rad/s or
    m/s for velocity; for a gymnasium env, its action space's units). ``low``/``high``
    are the bounds that -1 and +1 map to (a gymnasium ``Box``'s ``low``/``high``).

    Attributes:
        names: joint names, one per action dimension (may be empty).
        low, high: per-joint bounds, same length, ``low < high``.

    Raises:
        ConfigError: lengths differ, a bound is not finite, or ``low >= high``.
    """

    low: tuple = (-1.0,)
    high: tuple = (1.0,)
    names: tuple = ()
    kind: str = field(default='joint', init=False)

    def __post_init__(self):
        self.low = tuple(float(x) for x in self.low)
        self.high = tuple(float(x) for x in self.high)
        self.names = tuple(str(n) for n in self.names)
        if not self.low or len(self.low) != len(self.high):
            raise ConfigError(
                f'joint action low {list(self.low)} and high {list(self.high)} '
                'must be non-empty and of equal length'
            )
        if self.names and len(self.names) != len(self.low):
            raise ConfigError(
                f'joint action has {len(self.names)} names for {len(self.low)} bounds'
            )
        for i, (lo, hi) in enumerate(zip(self.low, self.high)):
            if not (math.isfinite(lo) and math.isfinite(hi) and lo < hi):
                raise ConfigError(
                    f'joint action bound {i} must be finite with low < high, got ({lo}, {hi})'
                )

    @property
    def dim(self) -> int:
        return len(self.low)

    def to_dict(self) -> dict:
        return {
            'kind': 'joint',
            'names': list(self.names),
            'low': list(self.low),
            'high': list(self.high),
            'dim': self.dim,
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> 'JointActionConfig':
        return cls(low=tuple(d['low']), high=tuple(d['high']), names=tuple(d.get('names', ())))

    def to_command(self, action: np.ndarray) -> np.ndarray:
        """Network action (dim,) in [-1, 1] -> float64 (dim,) command; out-of-range is clipped."""
        lo, hi = np.asarray(self.low), np.asarray(self.high)
        a = np.clip(np.asarray(action, np.float64).reshape(self.dim), -1.0, 1.0)
        return lo + (a + 1.0) * 0.5 * (hi - lo)

    def from_command(self, command: Any) -> np.ndarray:
        """Command (dim,) in joint units -> float32 (dim,) action in [-1, 1] (clipped).

        Raises:
            MessageError: wrong length.
        """
        cmd = np.asarray(command, np.float64).reshape(-1)
        if cmd.shape != (self.dim,):
            raise MessageError(f'joint command has {cmd.size} values, expected {self.dim}')
        lo, hi = np.asarray(self.low), np.asarray(self.high)
        return np.clip(2.0 * (cmd - lo) / (hi - lo) - 1.0, -1.0, 1.0).astype(np.float32)


def observation_config_from_dict(d: Mapping[str, Any]):
    """Read a sidecar ``observation`` dict.

    Returns an :class:`ObservationConfig`, or a :class:`VectorObservationConfig` for
    ``kind: vector``.
    """
    if d.get('kind') == 'vector':
        return VectorObservationConfig.from_dict(d)
    return ObservationConfig.from_dict(d)


def action_config_from_dict(d: Mapping[str, Any]):
    """Read a sidecar ``action`` dict.

    Returns an :class:`ActionConfig` (Twist), or a :class:`JointActionConfig` for
    ``kind: joint``.
    """
    if d.get('kind') == 'joint':
        return JointActionConfig.from_dict(d)
    return ActionConfig.from_dict(d)


def tokenize(text: str) -> list[str]:
    """Lower-case word tokens of an instruction (punctuation dropped)."""
    return re.findall(r"[a-z0-9']+", text.lower())


def encode_instruction(text: str, vocabulary: Sequence[str]) -> np.ndarray:
    """Bag-of-words of ``text`` over ``vocabulary``: float32 (len(vocabulary),) in {0, 1}.

    Words not in the vocabulary switch on the ``<unk>`` slot (index 0).
    """
    index = {w: i for i, w in enumerate(vocabulary)}
    out = np.zeros(len(vocabulary), np.float32)
    for tok in tokenize(text):
        out[index.get(tok, 0)] = 1.0
    return out


def encode_observation(
    sectors: np.ndarray,
    detections: np.ndarray,
    velocity: Sequence[float],
    instruction: str,
    cfg: ObservationConfig,
) -> np.ndarray:
    """Build the observation vector, float32 (cfg.dim,).

    Layout: ``sectors / range_max`` (num_sectors,), then per colour
    ``[min(d / detection_range, 1), cos(bearing), sin(bearing), present]``, then
    ``[v / max_linear, w / max_angular]`` clipped to [-1, 1], then the instruction
    bag-of-words, then (``cfg.goal_detection``) the block of the instructed colour again
    (``[1, 0, 0, 0]``, as for an absent pillar, when the instruction names no colour),
    then (``cfg.near_range > 0``) ``max(0, 1 - sectors / near_range)`` (num_sectors,).

    Args:
        sectors: float32 (num_sectors,) ranges in m (finite).
        detections: float (n_colors, 2) pillar (x, y) in the robot frame (m), NaN if absent.
        velocity: (v m/s, w rad/s) in the robot frame.
        instruction: the task in words.

    Raises:
        MessageError: when a stream has the wrong length.
    """
    sectors = np.asarray(sectors, np.float32)
    if sectors.shape != (cfg.num_sectors,):
        raise MessageError(
            f'observation/scan has {sectors.size} sectors, the policy needs '
            f'{cfg.num_sectors}: set lidar_ingest num_sectors to {cfg.num_sectors}'
        )
    det = np.asarray(detections, np.float32).reshape(-1, 2)
    if det.shape[0] != len(cfg.colors):
        raise MessageError(
            f'detections has {det.shape[0]} poses, expected {len(cfg.colors)} '
            f'(one per colour in {list(cfg.colors)})'
        )
    out = np.empty(cfg.dim, np.float32)
    n = cfg.num_sectors
    out[:n] = np.clip(sectors / cfg.range_max, 0.0, 1.0)
    present = np.isfinite(det).all(axis=1)
    x, y = np.where(present, det[:, 0], 0.0), np.where(present, det[:, 1], 0.0)
    dist = np.hypot(x, y)
    safe = np.maximum(dist, 1e-6)
    block = np.stack(
        [
            np.minimum(dist / cfg.detection_range, 1.0),
            np.where(present, x / safe, 0.0),
            np.where(present, y / safe, 0.0),
            present.astype(np.float32),
        ],
        axis=1,
    )
    block[~present, 0] = 1.0
    k = 4 * len(cfg.colors)
    out[n: n + k] = block.reshape(-1)
    v, w = float(velocity[0]), float(velocity[1])
    out[n + k] = np.clip(v / cfg.max_linear, -1, 1) if math.isfinite(v) else 0.0
    out[n + k + 1] = np.clip(w / cfg.max_angular, -1, 1) if math.isfinite(w) else 0.0
    m = n + k + 2 + len(cfg.vocabulary)
    out[n + k + 2: m] = encode_instruction(instruction, cfg.vocabulary)
    if cfg.goal_detection:
        goal = instructed_color(instruction, cfg.colors)
        out[m: m + 4] = block[goal] if goal is not None else (1.0, 0.0, 0.0, 0.0)
        m += 4
    if cfg.near_range > 0:
        out[m:] = np.clip(1.0 - sectors / cfg.near_range, 0.0, 1.0)
    return out


def instructed_color(instruction: str, colors: Sequence[str]) -> int | None:
    """Index in ``colors`` of the first word of ``instruction`` that is a colour, or None.

    ``"go to the red pillar"`` with colours ``('red', 'green', 'blue')`` -> 0.
    """
    return _instructed_color(instruction, tuple(colors))


# Cached: encode_observation asks this every step, and an episode has one instruction.
@functools.lru_cache(maxsize=256)
def _instructed_color(instruction: str, colors: tuple) -> int | None:
    index = {c.lower(): i for i, c in enumerate(colors)}
    for tok in tokenize(instruction):
        if tok in index:
            return index[tok]
    return None


# --- duck-typed message readers (rclpy and rosbags messages alike) -------------------


def stamp_us(header_or_stamp) -> int:
    """Header or Time -> integer microseconds, the key for matching stamps.

    Microseconds rather than nanoseconds because ``prev_stamp`` travels as float seconds:
    float64 keeps well under 1 µs of error for any sim or epoch time, so keys agree.
    """
    st = getattr(header_or_stamp, 'stamp', header_or_stamp)
    return int(st.sec) * 1_000_000 + (int(st.nanosec) + 500) // 1000


def sectors_from_msg(msg) -> np.ndarray:
    """Convert a LaserScan to float32 (N,) ranges."""
    return np.asarray(msg.ranges, np.float32)


def detections_from_msg(msg) -> np.ndarray:
    """Convert a PoseArray to float32 (K, 2) positions (x, y) in the message frame."""
    return np.array([[p.position.x, p.position.y] for p in msg.poses], np.float32).reshape(-1, 2)


def velocity_from_odom(msg) -> tuple[float, float]:
    """Odometry -> (v m/s, w rad/s) of the body-frame twist."""
    t = msg.twist.twist
    return float(t.linear.x), float(t.angular.z)


class RawObservation(NamedTuple):
    """Synchronized streams of one stamp, before encoding (what every policy's ``act`` takes).

    ``image`` is the camera frame of the same stamp when a policy needs one
    (``policy.needs_image``), else None; it never enters :meth:`encode`.
    """

    stamp: int  # µs key (stamp_us)
    sectors: np.ndarray  # float32 (num_sectors,) m
    detections: np.ndarray  # float32 (n_colors, 2) m, robot frame
    velocity: tuple  # (v m/s, w rad/s)
    instruction: str
    image: np.ndarray | None = None  # uint8 (height, width, 3) RGB, camera_ingest output

    def encode(self, cfg: 'ObservationConfig', instruction: str | None = None) -> np.ndarray:
        """-> float32 (cfg.dim,). ``instruction`` overrides the one seen at sync time.

        Raises:
            MessageError: on a length mismatch between streams and ``cfg``.
        """
        return encode_observation(
            self.sectors,
            self.detections,
            self.velocity,
            self.instruction if instruction is None else instruction,
            cfg,
        )


class VectorObservation(NamedTuple):
    """A flat observation vector of one stamp (from ``sensor_msgs/JointState``)."""

    stamp: int  # µs key (stamp_us)
    vector: np.ndarray  # float64 (n,) as received
    instruction: str = ''

    def encode(self, cfg: 'VectorObservationConfig', instruction: str | None = None) -> np.ndarray:
        """-> float32 (cfg.dim,). ``instruction`` is accepted for interface parity and unused.

        Raises:
            MessageError: wrong length.
        """
        return cfg.encode(self.vector)


def vector_from_joint_state(msg) -> np.ndarray:
    """Convert a JointState to a float64 (len(position) + len(velocity) + len(effort),)."""
    return np.concatenate(
        [
            np.asarray(msg.position, np.float64),
            np.asarray(msg.velocity, np.float64),
            np.asarray(msg.effort, np.float64),
        ]
    )


def command_from_joint_state(msg) -> np.ndarray:
    """Read a stamped joint command carried in a JointState (``joint_action``).

    Returns the first non-empty of ``effort``, ``velocity``, ``position`` as float64 (n,).
    """
    for values in (msg.effort, msg.velocity, msg.position):
        if len(values):
            return np.asarray(values, np.float64)
    return np.zeros(0, np.float64)


class StepInfo(NamedTuple):
    """One ``episode`` status (docs/interfaces.md): the transition ending at ``stamp``."""

    stamp: int  # µs key (stamp_us)
    prev_stamp: int  # µs key, -1 on the first observation of an episode
    reward: float
    terminated: bool
    truncated: bool
    outcome: str  # running | success | failure | timeout
    episode: int
    step: int
    episode_return: float
    instruction: str


def step_info_from_msg(msg) -> StepInfo:
    """diagnostic_msgs/DiagnosticArray on ``episode`` -> StepInfo.

    Raises:
        MessageError: when the status named ``episode`` or one of its keys is missing.
    """
    for st in msg.status:
        if st.name == 'episode':
            kv = {v.key: v.value for v in st.values}
            try:
                prev = float(kv.get('prev_stamp', '-1'))
                return StepInfo(
                    stamp=stamp_us(msg.header),
                    prev_stamp=-1 if prev < 0 else int(round(prev * 1e6)),
                    reward=float(kv['reward']),
                    terminated=kv['terminated'] == '1',
                    truncated=kv['truncated'] == '1',
                    outcome=st.message,
                    episode=int(kv['episode']),
                    step=int(kv['step']),
                    episode_return=float(kv.get('return', 'nan')),
                    instruction=kv.get('instruction', ''),
                )
            except (KeyError, ValueError) as exc:
                raise MessageError(f'episode status lacks or garbles key {exc}') from None
    raise MessageError("DiagnosticArray on 'episode' has no status named 'episode'")
