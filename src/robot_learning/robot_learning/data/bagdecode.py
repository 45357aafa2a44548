# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 robot_learning maintainers
"""One episode bag -> episode-local frame and transition arrays (ROS-free).

The bag's messages are replayed in log-time order through the same
:class:`~robot_learning.data.transitions.TransitionPipeline` the online SAC learner feeds
with live topics (design.md: one transition assembler), in ``raw`` mode so every
observation is stored once as a *frame* and transitions refer to frames by index. The
two ways to cut a bag into steps (``DatasetConfig.rate_hz``) are described in
:mod:`robot_learning.data.bagdataset`. Bags are read with rosbags: its rosbag2
``Reader``, or ``AnyReader`` for bags whose message definitions differ from Jazzy's.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from robot_learning.common.features import (
    ActionConfig,
    detections_from_msg,
    encode_observation,
    ObservationConfig,
    stamp_us,
    step_info_from_msg,
    StepInfo,
    velocity_from_odom,
)
from robot_learning.data.bagconfig import DatasetConfig
from robot_learning.data.bagfiles import read_custom_data, storage_format
from robot_learning.data.bagwriter import jazzy_typestore as _typestore
from robot_learning.data.image_convert import (
    compressed_msg_to_rgb,
    image_msg_to_rgb,
    resize_rgb,
)
from robot_learning.data.scan_convert import (
    pointcloud_msg_to_xyz,
    points_to_sectors,
    scan_to_sectors,
)
from robot_learning.data.transitions import SyncedObservation, TransitionPipeline
from robot_learning.errors import BagError, MessageError, one_line

__all__ = ['ACCEPTED_TYPES', 'decode_bag']


#: Message types accepted per role (rosbags names).
#: Message types accepted per role (rosbags names).
ACCEPTED_TYPES: dict[str, tuple[str, ...]] = {
    'image': ('sensor_msgs/msg/Image', 'sensor_msgs/msg/CompressedImage'),
    'scan': ('sensor_msgs/msg/LaserScan', 'sensor_msgs/msg/PointCloud2'),
    'odom': ('nav_msgs/msg/Odometry',),
    'detections': ('geometry_msgs/msg/PoseArray',),
    'instruction': ('std_msgs/msg/String',),
    'action': ('geometry_msgs/msg/TwistStamped', 'geometry_msgs/msg/Twist'),
    'intervention': ('std_msgs/msg/Bool',),
    'episode': ('diagnostic_msgs/msg/DiagnosticArray',),
}


_HASHES: dict[str, str] = {}


def _type_hash(msgtype: str) -> str:
    if msgtype not in _HASHES:
        try:
            _HASHES[msgtype] = _typestore().hash_rihs01(msgtype)
        except Exception:  # noqa: BLE001 -- a type the store does not know
            _HASHES[msgtype] = ''
    return _HASHES[msgtype]


class _Skip(Exception):
    """A bag cannot be used; the message is the one line naming topic and problem."""


def _open_reader(path: Path, topics: set[str]):
    """Open a bag: ``(context manager, reader, deserialize(raw, msgtype))``.

    rosbag2 bags whose wanted topics carry the type hashes of the ROS 2 Jazzy store are
    read with the plain rosbag2 ``Reader`` and the process-wide store (deserializers
    compiled once); ``AnyReader`` would parse and compile every bag's embedded message
    definitions again (about 25 ms a bag). Anything else (other definitions, no hashes,
    rosbag1) goes through ``AnyReader``.

    Raises:
        _Skip: the bag cannot be opened.
    """
    from rosbags.highlevel import AnyReader
    from rosbags.rosbag2 import Reader

    store = _typestore()
    try:
        fast = Reader(path)
        fast.open()
        if all(
            c.digest and c.digest == _type_hash(c.msgtype)
            for c in fast.connections
            if c.topic in topics
        ):
            return fast, fast, store.deserialize_cdr
        fast.close()
    except Exception:  # noqa: BLE001, S110 -- AnyReader below names the problem
        pass
    try:
        cm = AnyReader([path], default_typestore=store)
        reader = cm.__enter__()
    except Exception as exc:  # noqa: BLE001 -- rosbags raises many kinds on broken files
        raise _Skip(f'cannot open bag: {one_line(exc)}') from None
    return cm, reader, reader.deserialize


def _decode_image(msg, msgtype: str, size: tuple[int, int]) -> np.ndarray:
    rgb = (
        compressed_msg_to_rgb(msg)
        if msgtype.endswith('CompressedImage')
        else image_msg_to_rgb(msg)
    )
    out = resize_rgb(rgb, size[0], size[1])
    return np.array(out, np.uint8, copy=True) if out is rgb else out


def first_image_size(path: Path, topic: str) -> tuple[int, int] | None:
    """(width, height) in pixels of the first camera message on ``topic`` of one bag.

    None when the bag has no decodable message on ``topic`` or cannot be opened.
    """
    try:
        cm, reader, deserialize = _open_reader(path, {topic})
    except _Skip:
        return None
    try:
        conns = [c for c in reader.connections if c.topic == topic]
        for conn, _, raw in reader.messages(conns) if conns else ():  # () would mean all
            msg = deserialize(raw, conn.msgtype)
            compressed = conn.msgtype.endswith('CompressedImage')
            rgb = compressed_msg_to_rgb(msg) if compressed else image_msg_to_rgb(msg)
            return int(rgb.shape[1]), int(rgb.shape[0])
        return None
    except Exception:  # noqa: BLE001 -- a broken file: the full decode names the problem
        return None
    finally:
        try:
            cm.close()
        except Exception:  # noqa: BLE001, S110 -- closing a broken file
            pass


def _decode_scan(msg, msgtype: str, cfg: DatasetConfig, obs_cfg: ObservationConfig) -> np.ndarray:
    if msgtype.endswith('PointCloud2'):
        return points_to_sectors(
            pointcloud_msg_to_xyz(msg),
            obs_cfg.num_sectors,
            min(cfg.points_range_min, 0.5 * obs_cfg.range_max),
            obs_cfg.range_max,
            cfg.points_z[0],
            cfg.points_z[1],
        )
    # As lidar_ingest (the sensor's own limits), then clipped to the observation's range.
    sectors = scan_to_sectors(
        msg.ranges,
        msg.angle_min,
        msg.angle_increment,
        msg.range_min,
        msg.range_max,
        obs_cfg.num_sectors,
    )
    return np.minimum(sectors, np.float32(obs_cfg.range_max))


class _Streams:
    """Messages of one bag by role, after dropping backward stamps: lists of tuples."""

    def __init__(self):
        self.sensor: dict[str, list[tuple[int, int, Any]]] = (
            {}
        )  # role -> (log_us, stamp_us, value)
        self.actions: list[list] = (
            []
        )  # [log_us, stamp_us (or log_us for Twist), v, w, intervention]
        self.stamped_actions = True
        self.steps: list[tuple[int, StepInfo]] = []
        self.instructions: list[str] = []
        self._action_times: np.ndarray | None = None  # log µs of untimed (Twist) actions


def _read_bag(
    path: Path, cfg: DatasetConfig, obs_cfg: ObservationConfig, problems: list[str]
) -> _Streams:
    """Deserialize the configured topics of one bag (log-time order).

    Raises:
        _Skip: unreadable bag, missing required topic or wrong type.
    """
    t = cfg.topics
    roles = {r: getattr(t, r) for r in ACCEPTED_TYPES if getattr(t, r)}
    if not cfg.images:
        roles.pop('image', None)
    required = [
        r
        for r in roles
        if r not in ('instruction', 'intervention') and not (r == 'episode' and cfg.rate_hz > 0)
    ]
    st = _Streams()
    reader_cm, reader, deserialize = _open_reader(path, set(roles.values()))
    try:
        by_topic: dict[str, list] = {}
        for c in reader.connections:
            by_topic.setdefault(c.topic, []).append(c)
        conns, role_of = [], {}
        for role, topic in roles.items():
            cs = by_topic.get(topic)
            if not cs:
                if role in required:
                    raise _Skip(
                        f'topic {topic} ({role}): missing from the bag (topics: '
                        f'{", ".join(sorted(by_topic)) or "none"})'
                    )
                continue
            bad = [c.msgtype for c in cs if c.msgtype not in ACCEPTED_TYPES[role]]
            if bad:
                line = (
                    f'topic {topic} ({role}): type {bad[0]}, expected '
                    f'{" or ".join(ACCEPTED_TYPES[role])}'
                )
                if role in required:
                    raise _Skip(line)
                problems.append(line + '; topic ignored')
                continue
            for c in cs:
                conns.append(c)
                role_of[c.id] = (role, c.msgtype, topic)
        last: dict[str, int] = {}
        backwards: dict[str, int] = {}
        errors: dict[str, tuple[int, str]] = {}
        if 'action' in roles and roles['action'] in by_topic:
            st.stamped_actions = by_topic[roles['action']][0].msgtype.endswith('TwistStamped')
        try:
            for conn, log_ns, raw in reader.messages(connections=conns):
                role, msgtype, topic = role_of[conn.id]
                log_us = log_ns // 1000
                try:
                    msg = deserialize(raw, msgtype)
                    header = getattr(msg, 'header', None)
                    stamp = stamp_us(header) if header is not None else log_us
                    if role == 'episode':
                        info = step_info_from_msg(msg)
                        stamp = info.stamp
                    if stamp < last.get(topic, -1 << 62):  # clock jumped back: drop
                        backwards[topic] = backwards.get(topic, 0) + 1
                        continue
                    last[topic] = stamp
                    if role == 'scan':
                        st.sensor.setdefault('scan', []).append(
                            (log_us, stamp, _decode_scan(msg, msgtype, cfg, obs_cfg))
                        )
                    elif role == 'image':
                        st.sensor.setdefault('image', []).append(
                            (log_us, stamp, _decode_image(msg, msgtype, cfg.image_size))
                        )
                    elif role == 'odom':
                        st.sensor.setdefault('odom', []).append(
                            (log_us, stamp, velocity_from_odom(msg))
                        )
                    elif role == 'detections':
                        st.sensor.setdefault('detections', []).append(
                            (log_us, stamp, detections_from_msg(msg))
                        )
                    elif role == 'action':
                        tw = msg.twist if st.stamped_actions else msg
                        st.actions.append(
                            [log_us, stamp, float(tw.linear.x), float(tw.angular.z), False]
                        )
                    elif role == 'intervention':
                        # Published right after each action: it flags the latest one.
                        if st.actions and st.actions[-1][0] <= log_us:
                            st.actions[-1][4] = bool(msg.data)
                    elif role == 'episode':
                        st.steps.append((log_us, info))
                    elif role == 'instruction':
                        st.instructions.append(str(msg.data))
                except (
                    MessageError,
                    ValueError,
                    TypeError,
                    AttributeError,
                    KeyError,
                    IndexError,
                ) as exc:
                    n, first = errors.get(topic, (0, one_line(exc)))
                    errors[topic] = (n + 1, first)
        except Exception as exc:  # noqa: BLE001 -- truncated chunk, bad CDR, I/O error
            raise _Skip(
                f'unreadable after {sum(len(v) for v in st.sensor.values()) + len(st.steps)} '
                f'messages: {one_line(exc)}'
            ) from None
        for topic, n in backwards.items():
            problems.append(f'topic {topic}: {n} message(s) with a stamp going backwards dropped')
        for topic, (n, first) in errors.items():
            problems.append(f'topic {topic}: {n} message(s) dropped: {first}')
    finally:
        try:
            reader_cm.close()
        except Exception:  # noqa: BLE001, S110 -- closing a broken file
            pass
    return st


def _gap_problems(st: _Streams, cfg: DatasetConfig, problems: list[str]) -> None:
    """One line per stream whose stamps leave a gap far above its usual period."""
    t = cfg.topics
    if cfg.rate_hz > 0:
        series = {getattr(t, r): [s for _, s, _ in v] for r, v in st.sensor.items()}
    else:  # the episode steps are the clock; sensors share their stamps
        series = {t.episode: [i.stamp for _, i in st.steps]}
    for topic, stamps in series.items():
        if len(stamps) < 3:
            continue
        d = np.diff(np.asarray(stamps, np.int64))
        med = float(np.median(d[d > 0])) if (d > 0).any() else 0.0
        limit = max(1_000_000.0, 10.0 * med)
        big = np.flatnonzero(d > limit)
        if big.size:
            k = big[0]
            problems.append(
                f'topic {topic}: {big.size} gap(s) in stamps, the first {d[k] / 1e6:.2f} s '
                f'after t={stamps[k] / 1e6:.3f} s'
            )


def _action_at(st: _Streams, key: int) -> tuple | None:
    """Twist command in force at ``key`` µs (latest logged at or before it)."""
    times = st._action_times
    i = int(np.searchsorted(times, key, 'right')) - 1
    return None if i < 0 else st.actions[i]


def _replay_episode_mode(
    st: _Streams, pipe: TransitionPipeline, cfg: DatasetConfig, obs_cfg: ObservationConfig
) -> list:
    """Feed the bag's messages in log order, as the learner gets them live."""
    events: list[tuple[int, int, str, Any]] = []  # (log_us, seq, kind, payload)
    seq = 0
    for role, items in st.sensor.items():
        for log_us, stamp, value in items:
            events.append((log_us, seq, role, (stamp, value)))
            seq += 1
    if st.stamped_actions:
        for a in st.actions:
            # An action enters when its intervention flag is known (the Bool follows it).
            events.append((a[0], seq, 'action', (a[1], a[2], a[3], a[4])))
            seq += 1
    else:
        st._action_times = np.array([a[0] for a in st.actions], np.int64)
    for log_us, info in st.steps:
        events.append((log_us, seq, 'step', info))
        seq += 1
    events.sort(key=lambda e: (e[0], e[1]))
    if not cfg.topics.detections:
        nan_det = np.full((len(obs_cfg.colors), 2), np.nan, np.float32)
    out = []
    for log_us, _, kind, payload in events:
        if kind == 'step':
            if not st.stamped_actions and payload.prev_stamp >= 0:
                a = _action_at(st, log_us)
                if a is not None:
                    out += pipe.push_action(payload.prev_stamp, a[2], a[3], a[4])
            out += pipe.push_step(payload)
            continue
        if kind == 'action':
            out += pipe.push_action(payload[0], payload[1], payload[2], payload[3])
            continue
        stamp, value = payload
        if kind == 'scan':
            out += pipe.push_scan(stamp, value)
            if not cfg.topics.odom:
                out += pipe.push_odom(stamp, (0.0, 0.0))
            if not cfg.topics.detections:
                out += pipe.push_detections(stamp, nan_det)
        elif kind == 'odom':
            out += pipe.push_odom(stamp, value)
        elif kind == 'detections':
            out += pipe.push_detections(stamp, value)
        elif kind == 'image':
            out += pipe.push_extra('image', stamp, value)
    return out


def _replay_rate_mode(
    st: _Streams,
    pipe: TransitionPipeline,
    cfg: DatasetConfig,
    obs_cfg: ObservationConfig,
    outcome: str,
    instruction: str,
) -> list:
    """Resample at ``rate_hz`` and feed the ticks through the pipeline as steps."""
    dt = round(1e6 / cfg.rate_hz)
    tol = round(cfg.tolerance_s * 1e6)
    roles = [r for r in ('scan', 'odom', 'detections', 'image') if r in st.sensor]
    if not roles or not st.actions:
        return []
    stamps = {r: np.array([s for _, s, _ in st.sensor[r]], np.int64) for r in roles}
    t0 = max(int(s[0]) for s in stamps.values())
    t1 = min(int(s[-1]) for s in stamps.values()) + tol
    if t1 < t0:
        return []
    ticks = np.arange(t0, t1 + 1, dt, dtype=np.int64)
    valid = np.ones(ticks.size, bool)
    pick = {}
    for r in roles:
        i = np.searchsorted(stamps[r], ticks, 'right') - 1
        ok = i >= 0
        ok[ok] = ticks[ok] - stamps[r][i[ok]] <= tol
        valid &= ok
        pick[r] = i
    # Command in force: TwistStamped by its stamp, Twist by log time (stamp == log time).
    a_time = np.array([a[1] for a in st.actions], np.int64)
    order = np.argsort(a_time, kind='stable')
    a_time = a_time[order]
    ai = np.searchsorted(a_time, ticks, 'right') - 1
    valid &= ai >= 0
    idx = np.flatnonzero(valid)
    if idx.size < 2:
        return []
    rewards = None
    if st.steps:
        s_stamp = np.array([i.stamp for _, i in st.steps], np.int64)
        s_rew = np.array([i.reward for _, i in st.steps], np.float64)
        csum = np.concatenate([[0.0], np.cumsum(s_rew)])

        def rewards(a, b):  # noqa: F811 -- replaces the None above when steps exist
            return float(
                csum[np.searchsorted(s_stamp, b, 'right')]
                - csum[np.searchsorted(s_stamp, a, 'right')]
            )

    nan_det = np.full((len(obs_cfg.colors), 2), np.nan, np.float32)
    terminal = outcome in ('success', 'failure')
    out, prev_k = [], -2
    last_k = int(idx[-1])
    for n, k in enumerate(idx.tolist()):
        tick = int(ticks[k])
        for r in roles:
            value = st.sensor[r][int(pick[r][k])][2]
            if r == 'scan':
                out += pipe.push_scan(tick, value)
            elif r == 'odom':
                out += pipe.push_odom(tick, value)
            elif r == 'detections':
                out += pipe.push_detections(tick, value)
            else:
                out += pipe.push_extra('image', tick, value)
        if 'odom' not in roles:
            out += pipe.push_odom(tick, (0.0, 0.0))
        if 'detections' not in roles:
            out += pipe.push_detections(tick, nan_det)
        a = st.actions[int(order[ai[k]])]
        out += pipe.push_action(tick, a[2], a[3], a[4])
        prev = int(ticks[prev_k]) if prev_k == k - 1 else -1
        end = k == last_k
        reward = rewards(prev, tick) if (rewards is not None and prev >= 0) else 0.0
        out += pipe.push_step(
            StepInfo(
                tick,
                prev,
                reward,
                end and terminal,
                end and not terminal,
                outcome if end else 'running',
                0,
                n,
                float('nan'),
                instruction,
            )
        )
        prev_k = k
    return out


def decode_bag(
    path: Path, cfg: DatasetConfig, obs_cfg: ObservationConfig, act_cfg: ActionConfig
) -> tuple[dict[str, np.ndarray], dict]:
    """One episode bag -> (episode-local arrays, meta) through the transition pipeline.

    Frame arrays as :attr:`BagDataset.frames` (indices local to the episode, no
    ``instruction``/``episode``), transition arrays as :attr:`BagDataset.transitions`;
    meta: ``instruction``, ``outcome``, ``format``, ``custom``, ``problems`` (lines).

    Raises:
        BagError: the bag cannot give any transition (one line: bag, topic, problem).
    """
    problems: list[str] = []
    try:
        if not (path / 'metadata.yaml').exists():
            raise _Skip(
                'no metadata.yaml (recording crashed or still running; '
                '`robot-learning bag reindex DIR` recovers a crashed one, outcome crashed)'
            )
        try:
            custom = read_custom_data(path)
        except BagError as exc:
            raise _Skip(one_line(exc)) from None
        st = _read_bag(path, cfg, obs_cfg, problems)
        _gap_problems(st, cfg, problems)
        instruction = custom.get('instruction') or (st.instructions[-1] if st.instructions else '')
        if not instruction and st.steps:
            instruction = st.steps[-1][1].instruction
        outcome = custom.get('outcome', 'unknown')
        pipe = TransitionPipeline(
            obs_cfg,
            act_cfg,
            round(cfg.tolerance_s * 1e6),
            extra_streams=('image',) if cfg.images else (),
            raw=True,
        )
        pipe.push_instruction(instruction)
        if cfg.rate_hz > 0:
            trans = _replay_rate_mode(st, pipe, cfg, obs_cfg, outcome, instruction)
        else:
            trans = _replay_episode_mode(st, pipe, cfg, obs_cfg)
        for why, n in pipe.dropped.items():
            problems.append(f'{n} transition(s) dropped: {why.replace("_", " ")}')
        if not trans:
            counts = {r: len(v) for r, v in st.sensor.items()}
            counts.update(action=len(st.actions), episode=len(st.steps))
            names = {r: getattr(cfg.topics, r) for r in counts}
            raise _Skip(
                'empty episode, no transition (messages: '
                + ', '.join(f'{names[r] or r} {n}' for r, n in counts.items() if names[r] or n)
                + ')'
            )
    except _Skip as exc:
        raise BagError(f'bag {path}: {exc}; bag skipped') from None
    return _episode_arrays(trans, cfg, obs_cfg, instruction, pipe.encoded), {
        'instruction': instruction,
        'outcome': outcome,
        'format': storage_format(path),
        'custom': custom,
        'problems': [f'bag {path}: {p}' for p in problems],
    }


def _episode_arrays(
    trans: list, cfg: DatasetConfig, obs_cfg: ObservationConfig, instruction: str, encoded: dict
) -> dict[str, np.ndarray]:
    frames: dict[int, Any] = {}
    for t in trans:
        frames[t.observation.stamp] = t.observation
        frames[t.next_observation.stamp] = t.next_observation
    stamps = sorted(frames)
    index = {s: i for i, s in enumerate(stamps)}
    n = len(stamps)
    raws = [
        frames[s].raw if isinstance(frames[s], SyncedObservation) else frames[s] for s in stamps
    ]
    out = {
        'sectors': np.stack([r.sectors for r in raws]).astype(np.float32),
        'detections': np.stack(
            [np.asarray(r.detections, np.float32).reshape(-1, 2) for r in raws]
        ),
        'velocity': np.array([r.velocity for r in raws], np.float32).reshape(n, 2),
        'observation': np.stack(
            [
                (
                    encoded[(s, instruction)]
                    if (s, instruction) in encoded
                    else encode_observation(
                        r.sectors, r.detections, r.velocity, instruction, obs_cfg
                    )
                )
                for s, r in zip(stamps, raws)
            ]
        ),
        'prev': np.maximum(np.arange(n, dtype=np.int64) - 1, 0),
        'stamp': np.array(stamps, np.int64),
    }
    if cfg.images:
        out['image'] = np.stack([frames[s].extras['image'] for s in stamps]).astype(np.uint8)
    trans = sorted(trans, key=lambda t: t.observation.stamp)
    out.update(
        {
            't_obs': np.array([index[t.observation.stamp] for t in trans], np.int64),
            't_next_obs': np.array([index[t.next_observation.stamp] for t in trans], np.int64),
            't_action': np.stack([t.action for t in trans]).astype(np.float32).reshape(-1, 2),
            't_reward': np.array([t.reward for t in trans], np.float32),
            't_terminated': np.array([t.terminated for t in trans], bool),
            't_truncated': np.array([t.truncated for t in trans], bool),
            't_intervention': np.array([t.intervention for t in trans], bool),
        }
    )
    return out
