# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 robot_learning maintainers
"""The transition assembler.

Timestamped streams -> (observation, action, reward, next observation, terminated).

design.md asks for one piece of code used by the online learner on live topics and by
the offline dataset on bags; both feed this module with stamped messages in arrival
order and get the same transitions out. Stamps are integer microsecond keys
(:func:`robot_learning.common.features.stamp_us`).

Pairing rule (docs/interfaces.md): an observation is the set of streams sharing one
stamp (within a tolerance); an action carries the stamp of the observation it answers;
an ``episode`` step at stamp t with ``prev_stamp`` p closes the transition
``obs[p], action[p], reward, obs[t]``.
"""

from __future__ import annotations

from collections import deque, OrderedDict
from typing import Any, Callable, NamedTuple, Optional, Sequence

import numpy as np
from robot_learning.common.features import (
    ActionConfig,
    ObservationConfig,
    RawObservation,
    StepInfo,
)
from robot_learning.errors import MessageError


class SyncedObservation(NamedTuple):
    """Low-dimensional streams plus extra synchronized streams (e.g. a camera image).

    Emitted by :class:`TransitionPipeline` when it was built with ``extra_streams``;
    encodes like its :class:`RawObservation` (extras never enter the vector).
    """

    raw: RawObservation
    extras: dict  # {stream name: value as pushed}

    @property
    def stamp(self) -> int:
        return self.raw.stamp

    @property
    def instruction(self) -> str:
        return self.raw.instruction

    def encode(self, cfg: ObservationConfig, instruction: str | None = None) -> np.ndarray:
        """-> float32 (cfg.dim,), see :meth:`RawObservation.encode`."""
        return self.raw.encode(cfg, instruction)

    def with_instruction(self, instruction: str) -> 'SyncedObservation':
        return self._replace(raw=self.raw._replace(instruction=instruction))


class StampedSync:
    """Approximate-time synchronizer for a fixed set of streams.

    Emits once per stamp (also an older one that completes late: across topics, arrival
    order is not stamp order), when every stream has a message within ``tolerance_us`` of
    it, like message_filters' ApproximateTimeSynchronizer but deterministic and ROS-free.

    Args:
        streams: stream names that together form one observation.
        tolerance_us: largest stamp difference (µs) between streams of one observation.
        depth: messages kept per stream.
    """

    def __init__(self, streams: Sequence[str], tolerance_us: int = 1000, depth: int = 30):
        self.streams = tuple(streams)
        self.tolerance_us = int(tolerance_us)
        self._buf = {s: deque(maxlen=depth) for s in self.streams}
        self._emitted: deque[int] = deque(maxlen=4 * depth)
        self.last_emitted = -1

    def push(self, stream: str, stamp: int, value: Any) -> Optional[tuple[int, dict]]:
        """Add one message; return ``(stamp, {stream: value})`` when an observation completes.

        Raises:
            KeyError: for a stream name not given at construction.
        """
        self._buf[stream].append((stamp, value))
        if stamp in self._emitted:
            return None
        out = {}
        for s in self.streams:
            best = None
            for st, val in reversed(self._buf[s]):
                if abs(st - stamp) <= self.tolerance_us:
                    best = val
                    break
            if best is None:
                return None
            out[s] = best
        self._emitted.append(stamp)
        self.last_emitted = max(self.last_emitted, stamp)
        return stamp, out

    def reset(self) -> None:
        for b in self._buf.values():
            b.clear()
        self._emitted.clear()
        self.last_emitted = -1


class Transition(NamedTuple):
    """One environment step. Arrays are float32; reward in the environment's units.

    The assembler is generic in what an observation is; :class:`TransitionPipeline`
    emits encoded float32 (obs_dim,) vectors.
    """

    observation: Any  # (obs_dim,) float32 once encoded
    action: np.ndarray  # (action_dim,) in [-1, 1]
    reward: float
    next_observation: Any
    terminated: bool  # true termination (success/failure): no bootstrap
    truncated: bool  # time limit: bootstrap from next_observation
    intervention: bool  # the action came from a human (teleop)
    info: StepInfo


class TransitionAssembler:
    """Pairs stamped observations, actions and ``episode`` steps into transitions.

    Feed it in any order (live topics interleave arbitrarily); each ``add_*`` returns
    the transitions it completed. Entries older than ``horizon`` stamps are forgotten,
    so a lost message costs one transition, never memory.
    """

    def __init__(self, horizon: int = 256):
        self._obs: OrderedDict[int, np.ndarray] = OrderedDict()
        self._act: OrderedDict[int, tuple[np.ndarray, bool]] = OrderedDict()
        self._steps: OrderedDict[int, StepInfo] = OrderedDict()
        self.horizon = horizon
        self.emitted = 0
        self.dropped_nonfinite = 0

    @staticmethod
    def _put(d: OrderedDict, key: int, value, horizon: int) -> None:
        d[key] = value
        while len(d) > horizon:
            d.popitem(last=False)

    def add_observation(self, stamp: int, obs: Any) -> list[Transition]:
        self._put(self._obs, stamp, obs, self.horizon)
        done = []
        # This observation may be the start (prev) or the end of pending steps.
        for key in (stamp,):
            if key in self._steps:
                done += self._try(key)
        for key, info in list(self._steps.items()):
            if info.prev_stamp == stamp:
                done += self._try(key)
        return done

    def add_action(
        self, stamp: int, action: np.ndarray, intervention: bool = False
    ) -> list[Transition]:
        self._put(
            self._act, stamp, (np.asarray(action, np.float32), bool(intervention)), self.horizon
        )
        done = []
        for key, info in list(self._steps.items()):
            if info.prev_stamp == stamp:
                done += self._try(key)
        return done

    def add_step(self, info: StepInfo) -> list[Transition]:
        if info.prev_stamp < 0:  # first observation of an episode: nothing to close
            return []
        self._put(self._steps, info.stamp, info, self.horizon)
        return self._try(info.stamp)

    def _try(self, key: int) -> list[Transition]:
        info = self._steps.get(key)
        if info is None:
            return []
        obs, nxt, act = (
            self._obs.get(info.prev_stamp),
            self._obs.get(key),
            self._act.get(info.prev_stamp),
        )
        if obs is None or nxt is None or act is None:
            return []
        del self._steps[key]
        if not (np.isfinite(act[0]).all() and np.isfinite(info.reward)):
            self.dropped_nonfinite += 1
            return []
        self.emitted += 1
        return [
            Transition(
                obs, act[0], float(info.reward), nxt, info.terminated, info.truncated, act[1], info
            )
        ]


class TransitionPipeline:
    """Stamped messages in, encoded transitions out: the one path from streams to data.

    The SAC learner feeds it live topics, the bag dataset feeds it bag messages, both in
    arrival order. Observations are encoded when their transition completes, with the
    instruction carried by the ``episode`` step (so an instruction that arrives a moment
    after the first observation of an episode cannot leak the previous task).

    Args:
        obs_cfg: observation layout.
        act_cfg: maps the commanded Twist back to a network action in [-1, 1].
        tolerance_us: largest stamp difference between streams of one observation.
        extra_streams: more streams an observation must hold (e.g. ``('image',)``, fed
            with :meth:`push_extra`); observations are then :class:`SyncedObservation`.
        raw: emit transitions whose observations are left un-encoded
            (:class:`~robot_learning.common.features.RawObservation` or
            :class:`SyncedObservation`, with the instruction the encoding would use),
            after the same validity checks as the encoded output; the bag dataset
            stores frames once and refers to them by index.
    """

    def __init__(
        self,
        obs_cfg: ObservationConfig,
        act_cfg: ActionConfig,
        tolerance_us: int = 20000,
        extra_streams: Sequence[str] = (),
        raw: bool = False,
    ):
        self.obs_cfg, self.act_cfg = obs_cfg, act_cfg
        self.extra_streams = tuple(extra_streams)
        self.raw = bool(raw)
        self.sync = StampedSync(('scan', 'odom', 'detections') + self.extra_streams, tolerance_us)
        self.assembler = TransitionAssembler()
        self.instruction = ''
        self.dropped: dict[str, int] = {}
        #: raw mode: {(stamp, instruction): float32 (obs_dim,)} of every emitted frame
        #: (grows with the replayed bag; the dataset reuses the vectors).
        self.encoded: dict[tuple[int, str], np.ndarray] = {}

    def _drop(self, why: str) -> None:
        self.dropped[why] = self.dropped.get(why, 0) + 1

    def _obs(self, done) -> list[Transition]:
        if done is None:
            return []
        stamp, vals = done
        raw = RawObservation(
            stamp, vals['scan'], vals['detections'], vals['odom'], self.instruction
        )
        if self.extra_streams:
            raw = SyncedObservation(raw, {k: vals[k] for k in self.extra_streams})
        return self._encode(self.assembler.add_observation(stamp, raw))

    def _encode(self, transitions: list[Transition]) -> list[Transition]:
        out = []
        for t in transitions:
            instr = t.info.instruction or t.observation.instruction
            try:
                o = self._encode_one(t.observation, instr)
                n = self._encode_one(t.next_observation, instr)
            except MessageError:
                self._drop('observation_spec_mismatch')
                continue
            if not (np.isfinite(o).all() and np.isfinite(n).all()):
                self._drop('nonfinite_observation')
                continue
            if self.raw:
                out.append(
                    t._replace(
                        observation=_with_instruction(t.observation, instr),
                        next_observation=_with_instruction(t.next_observation, instr),
                    )
                )
            else:
                out.append(t._replace(observation=o, next_observation=n))
        return out

    def _encode_one(self, obs, instruction: str) -> np.ndarray:
        if not self.raw:
            return obs.encode(self.obs_cfg, instruction)
        # A frame closes two transitions (as next, then as start): encode it once.
        key = (obs.stamp, instruction)
        vec = self.encoded.get(key)
        if vec is None:
            vec = self.encoded[key] = obs.encode(self.obs_cfg, instruction)
        return vec

    def push_scan(self, stamp: int, sectors: np.ndarray) -> list[Transition]:
        """Return the LiDAR sectors (float32 (num_sectors,), m) at ``stamp`` (µs key)."""
        return self._obs(self.sync.push('scan', stamp, np.asarray(sectors, np.float32)))

    def push_odom(self, stamp: int, velocity: tuple) -> list[Transition]:
        """Body-frame (v m/s, w rad/s) at ``stamp``."""
        return self._obs(self.sync.push('odom', stamp, velocity))

    def push_detections(self, stamp: int, detections: np.ndarray) -> list[Transition]:
        """Pillar positions float32 (n_colors, 2) m in the robot frame at ``stamp``."""
        return self._obs(self.sync.push('detections', stamp, detections))

    def push_extra(self, stream: str, stamp: int, value: Any) -> list[Transition]:
        """Return a value of an extra stream (``extra_streams``, e.g. an image) at ``stamp``.

        Raises:
            KeyError: ``stream`` is not one of ``extra_streams``.
        """
        if stream not in self.extra_streams:
            raise KeyError(
                f'stream {stream!r} is not one of the extra streams {self.extra_streams}'
            )
        return self._obs(self.sync.push(stream, stamp, value))

    def push_instruction(self, text: str) -> None:
        self.instruction = text

    def push_action(
        self, stamp: int, v: float, w: float, intervention: bool = False
    ) -> list[Transition]:
        """Return the command (m/s, rad/s) that answered the observation at ``stamp``."""
        if not (np.isfinite(v) and np.isfinite(w)):
            self._drop('nonfinite_action')
            return []
        return self._encode(
            self.assembler.add_action(stamp, self.act_cfg.from_twist(v, w), intervention)
        )

    def push_step(self, info: StepInfo) -> list[Transition]:
        if not np.isfinite(info.reward):
            self._drop('nonfinite_reward')
            return []
        return self._encode(self.assembler.add_step(info))


def _with_instruction(obs, instruction: str):
    if isinstance(obs, SyncedObservation):
        return obs.with_instruction(instruction)
    return obs._replace(instruction=instruction)


class EpisodeRecord(NamedTuple):
    """Summary of one finished episode."""

    episode: int
    instruction: str
    outcome: str
    episode_return: float
    length: int
    end_stamp: int


class EpisodeTracker:
    """Turns ``episode`` steps into finished-episode records (each reported once)."""

    def __init__(self, on_episode: Optional[Callable[[EpisodeRecord], None]] = None):
        self._seen: set[tuple[int, int]] = set()
        self.records: list[EpisodeRecord] = []
        self._on_episode = on_episode

    def add_step(self, info: StepInfo) -> Optional[EpisodeRecord]:
        if not (info.terminated or info.truncated):
            return None
        key = (info.episode, info.stamp)
        if key in self._seen:
            return None
        self._seen.add(key)
        rec = EpisodeRecord(
            info.episode,
            info.instruction,
            info.outcome,
            info.episode_return,
            info.step,
            info.stamp,
        )
        self.records.append(rec)
        if self._on_episode:
            self._on_episode(rec)
        return rec


def success_by_instruction(records: Sequence[EpisodeRecord]) -> dict[str, dict[str, float]]:
    """{instruction: {'episodes': n, 'success_rate': s}} over finished episodes."""
    out: dict[str, list[int]] = {}
    for r in records:
        out.setdefault(r.instruction, []).append(1 if r.outcome == 'success' else 0)
    return {
        k: {'episodes': len(v), 'success_rate': float(np.mean(v))} for k, v in sorted(out.items())
    }
