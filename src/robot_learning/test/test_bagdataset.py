# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 robot_learning maintainers
"""The bag dataset (robot_learning.data.bagdataset) on small synthetic episode bags (no ROS)."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from robot_learning.common.features import ActionConfig, encode_observation, ObservationConfig
from robot_learning.data import bagdataset
from robot_learning.data.bagdataset import BagDataset, DatasetConfig
from robot_learning.data.bagwriter import EpisodeBagWriter
from robot_learning.data.dataset import (
    BagTopics,
    episode_transitions,
    EpisodeBag,
    load_demo_transitions,
    stack_transitions,
)
from robot_learning.errors import BagError, ConfigError
from rosbags.typesys import get_typestore, Stores

TS = get_typestore(Stores.ROS2_JAZZY)
T = TS.types
OBS = ObservationConfig(num_sectors=8)
ACT = ActionConfig()
W, H = 16, 12  # recorded camera size
DT = 100_000  # µs per step (10 Hz)
TYPES = {
    '/camera/image_raw': 'sensor_msgs/msg/Image',
    '/scan': 'sensor_msgs/msg/LaserScan',
    '/odom': 'nav_msgs/msg/Odometry',
    '/detections': 'geometry_msgs/msg/PoseArray',
    '/instruction': 'std_msgs/msg/String',
    '/episode': 'diagnostic_msgs/msg/DiagnosticArray',
    '/action': 'geometry_msgs/msg/TwistStamped',
    '/intervention': 'std_msgs/msg/Bool',
    '/cmd_vel': 'geometry_msgs/msg/Twist',
    '/observation/scan': 'sensor_msgs/msg/LaserScan',
}


def ser(msg) -> bytes:
    return bytes(TS.serialize_cdr(msg, msg.__msgtype__))


def header(us: int):
    return T['std_msgs/msg/Header'](
        stamp=T['builtin_interfaces/msg/Time'](
            sec=us // 1_000_000, nanosec=(us % 1_000_000) * 1000
        ),
        frame_id='base_link',
    )


def vec(x=0.0, y=0.0, z=0.0):
    return T['geometry_msgs/msg/Vector3'](x=x, y=y, z=z)


def twist(v, w):
    return T['geometry_msgs/msg/Twist'](linear=vec(v), angular=vec(0.0, 0.0, w))


def pose(x, y):
    return T['geometry_msgs/msg/Pose'](
        position=T['geometry_msgs/msg/Point'](x=x, y=y, z=0.0),
        orientation=T['geometry_msgs/msg/Quaternion'](x=0.0, y=0.0, z=0.0, w=1.0),
    )


def image_msg(us, k):
    return T['sensor_msgs/msg/Image'](
        header=header(us),
        height=H,
        width=W,
        encoding='rgb8',
        is_bigendian=0,
        step=W * 3,
        data=np.full(H * W * 3, k % 256, np.uint8),
    )


def scan_msg(us, r, rays=360):
    return T['sensor_msgs/msg/LaserScan'](
        header=header(us),
        angle_min=-math.pi,
        angle_max=math.pi - 2 * math.pi / rays,
        angle_increment=2 * math.pi / rays,
        time_increment=0.0,
        scan_time=0.1,
        range_min=0.12,
        range_max=3.5,
        ranges=np.full(rays, r, np.float32),
        intensities=np.zeros(0, np.float32),
    )


def odom_msg(us, v, w):
    cov = np.zeros(36, np.float64)
    return T['nav_msgs/msg/Odometry'](
        header=header(us),
        child_frame_id='base_link',
        pose=T['geometry_msgs/msg/PoseWithCovariance'](pose=pose(0.0, 0.0), covariance=cov),
        twist=T['geometry_msgs/msg/TwistWithCovariance'](twist=twist(v, w), covariance=cov),
    )


def det_msg(us, k):
    return T['geometry_msgs/msg/PoseArray'](
        header=header(us), poses=[pose(1.0 + k, 0.5), pose(math.nan, math.nan), pose(-1.0, 2.0)]
    )


def episode_msg(us, prev_us, reward, term, trunc, outcome, step, instruction):
    kv = T['diagnostic_msgs/msg/KeyValue']
    vals = {
        'reward': repr(reward),
        'terminated': '1' if term else '0',
        'truncated': '1' if trunc else '0',
        'episode': '3',
        'step': str(step),
        'return': '0.0',
        'instruction': instruction,
        'prev_stamp': repr(prev_us / 1e6) if prev_us >= 0 else '-1',
    }
    st = T['diagnostic_msgs/msg/DiagnosticStatus'](
        level=0,
        name='episode',
        message=outcome,
        hardware_id='sim',
        values=[kv(key=k, value=v) for k, v in vals.items()],
    )
    return T['diagnostic_msgs/msg/DiagnosticArray'](header=header(us), status=[st])


def write_episode(
    path: Path,
    n: int = 5,
    storage: str = 'mcap',
    outcome: str = 'success',
    instruction: str = 'go to the red pillar',
    t0: int = 5_000_000,
    seed: int = 0,
    skip=(),
    types=None,
    stamps=None,
    custom=True,
) -> dict:
    """Write an episode bag in the recorder's layout; return what the dataset gives back.

    Per step k (stamp t_k): episode, odom, detections, image, scan (sim order), then the
    action stamped t_k and its intervention flag. n transitions, n + 1 frames.
    """
    rng = np.random.default_rng(seed)
    stamps = stamps or [t0 + k * DT for k in range(n + 1)]
    acts = rng.uniform([-0.3, -1.5], [0.6, 1.5], (n, 2))
    rewards = rng.normal(size=n).round(3)
    interv = rng.random(n) < 0.5
    vel = rng.uniform(-0.5, 0.5, (n + 1, 2))
    types = {**TYPES, **(types or {})}
    w = EpisodeBagWriter(path, storage)
    for t, ty in types.items():
        if t not in skip:
            w.add_topic(t, ty)

    def put(topic, log_ns, msg):
        if topic not in skip:
            w.write(topic, log_ns, ser(msg) if not isinstance(msg, bytes) else msg)

    put('/instruction', stamps[0] * 1000 - 10, T['std_msgs/msg/String'](data=instruction))
    for k, s in enumerate(stamps):
        ns = (t0 + k * DT) * 1000  # log time: the recorder's clock runs on whatever the stamps do
        term = k == n and outcome == 'success'
        put(
            '/episode',
            ns + 1,
            episode_msg(
                s,
                stamps[k - 1] if k else -1,
                float(rewards[k - 1]) if k else 0.0,
                term,
                k == n and not term,
                outcome if k == n else 'running',
                k,
                instruction,
            ),
        )
        put('/odom', ns + 2, odom_msg(s, *vel[k]))
        put('/detections', ns + 3, det_msg(s, k))
        put('/camera/image_raw', ns + 4, image_msg(s, 10 * k))
        put('/scan', ns + 5, scan_msg(s, 1.0 + 0.1 * k))
        put(
            '/observation/scan', ns + 6, scan_msg(s, 1.0 + 0.1 * k, OBS.num_sectors)
        )  # as lidar_ingest
        if k < n:
            put(
                '/action',
                ns + 1000,
                T['geometry_msgs/msg/TwistStamped'](header=header(s), twist=twist(*acts[k])),
            )
            put('/intervention', ns + 1001, T['std_msgs/msg/Bool'](data=bool(interv[k])))
            put('/cmd_vel', ns + 1002, twist(*acts[k]))
    w.close({'instruction': instruction, 'outcome': outcome, 'episode': '3'} if custom else {})
    return {
        'actions': acts,
        'rewards': rewards,
        'interventions': interv,
        'velocity': vel,
        'stamps': stamps,
        'n': n,
    }


def cfg(tmp_path, **kw) -> DatasetConfig:
    kw.setdefault('image_size', (8, 6))
    return DatasetConfig(cache_dir=str(tmp_path / 'cache'), **kw)


def build(paths, c, **kw):
    lines: list[str] = []
    ds = BagDataset.build(paths, c, OBS, ACT, progress=False, log=lines.append, **kw)
    return ds, lines


@pytest.mark.parametrize('storage', ['mcap', 'sqlite3'])
def test_frames_and_transitions_match_what_was_written(tmp_path, storage):
    exp = write_episode(tmp_path / 'bags' / 'episode_0000', n=5, storage=storage)
    ds, lines = build([tmp_path / 'bags'], cfg(tmp_path))
    assert lines == [] and ds.skipped == []
    f, t = ds.frames, ds.transitions
    n = exp['n']
    assert len(ds) == n and f['stamp'].shape == (n + 1,)
    np.testing.assert_array_equal(f['stamp'], exp['stamps'])
    np.testing.assert_array_equal(t['obs'], np.arange(n))
    np.testing.assert_array_equal(t['next_obs'], np.arange(1, n + 1))
    want = np.stack([ACT.from_twist(*a) for a in exp['actions']])
    np.testing.assert_allclose(t['action'], want, atol=1e-6)
    np.testing.assert_allclose(t['reward'], exp['rewards'], atol=1e-6)
    np.testing.assert_array_equal(t['intervention'], exp['interventions'])
    assert t['terminated'].tolist() == [False] * (n - 1) + [True] and not t['truncated'].any()
    assert f['image'].shape == (n + 1, 6, 8, 3) and f['image'].dtype == np.uint8
    assert f['image'][:, 0, 0, 0].tolist() == [
        10 * k for k in range(n + 1)
    ]  # a uniform image stays uniform
    np.testing.assert_allclose(
        f['sectors'][:, 0], [1.0 + 0.1 * k for k in range(n + 1)], atol=1e-6
    )
    np.testing.assert_allclose(f['velocity'], exp['velocity'], atol=1e-6)
    assert f['detections'].shape == (n + 1, 3, 2) and np.isnan(f['detections'][:, 1]).all()
    np.testing.assert_allclose(f['detections'][:, 0, 0], [1.0 + k for k in range(n + 1)])
    assert ds.instructions == ['go to the red pillar'] and (f['instruction'] == 0).all()
    assert f['prev'].tolist() == [0] + list(range(n))
    want_obs = encode_observation(
        f['sectors'][2], f['detections'][2], f['velocity'][2], 'go to the red pillar', OBS
    )
    np.testing.assert_allclose(
        f['observation'][2], want_obs, atol=1e-6
    )  # odometry is float64 in the message
    (ep,) = ds.episodes
    assert (ep.outcome, ep.format, ep.frames, ep.transitions) == (
        'success',
        storage,
        (0, n + 1),
        (0, n),
    )
    assert ep.interventions == int(exp['interventions'].sum())
    assert isinstance(f['sectors'], np.memmap)  # opened from the cache


def test_same_transitions_as_the_online_pipeline_and_learner_api(tmp_path):
    write_episode(tmp_path / 'b' / 'e0', n=4, seed=1)
    write_episode(tmp_path / 'b' / 'e1', n=3, seed=2, outcome='failure')
    ds, _ = build([tmp_path / 'b'], cfg(tmp_path, outcomes=(), image_size=(0, 0)))
    assert 'image' not in ds.frames and len(ds.episodes) == 2
    # The learner's path: the encoded pipeline fed straight from the bag (lidar_ingest's
    # observation/scan), as on live topics.
    online = episode_transitions(
        EpisodeBag(tmp_path / 'b' / 'e0', '', 'success'), OBS, ACT, BagTopics()
    )
    idx = np.arange(*ds.episodes[0].transitions)
    assert len(online) == idx.size
    np.testing.assert_allclose(
        np.stack([t.observation for t in online]),
        ds.frames['observation'][ds.transitions['obs'][idx]],
        atol=1e-6,
    )
    np.testing.assert_allclose(
        np.stack([t.next_observation for t in online]),
        ds.frames['observation'][ds.transitions['next_obs'][idx]],
        atol=1e-6,
    )
    np.testing.assert_array_equal(
        np.stack([t.action for t in online]), ds.transitions['action'][idx]
    )
    np.testing.assert_allclose(
        [t.reward for t in online], ds.transitions['reward'][idx], atol=1e-6
    )  # float32 store
    # load_demo_transitions (used by sac_learner) now reads through the dataset
    trans, eps = load_demo_transitions(
        [tmp_path / 'b'], OBS, ACT, outcomes=('success',), cache_dir=str(tmp_path / 'c2')
    )
    assert len(trans) == 4 and [e.outcome for e in eps] == ['success']
    arr = stack_transitions(trans)
    np.testing.assert_allclose(
        arr['observations'], np.stack([t.observation for t in online]), atol=1e-6
    )
    np.testing.assert_array_equal(arr['terminated'], [0, 0, 0, 1])


def test_rate_mode_on_a_user_bag_with_twist_commands(tmp_path):
    path = tmp_path / 'user' / 'drive'
    n = 6
    exp = write_episode(
        path,
        n=n,
        skip=('/episode', '/odom', '/detections', '/action', '/intervention', '/instruction'),
        outcome='success',
        custom=False,
    )
    yaml_file = tmp_path / 'ds.yaml'
    yaml_file.write_text(
        f"""
rate_hz: 10
tolerance_s: 0.03
image_size: [8, 6]
outcomes: []
cache_dir: {tmp_path / 'cache'}
topics: {{odom: '', detections: '', episode: '', intervention: '', instruction: '',
         action: /cmd_vel}}
"""
    )
    c = DatasetConfig.from_yaml(yaml_file)
    assert c.rate_hz == 10.0 and c.topics.action == '/cmd_vel' and c.topics.odom == ''
    ds, lines = build([path], c)
    assert lines == []
    t, f = ds.transitions, ds.frames
    # Ticks on the first scan stamp; a Twist is logged 1 ms after its scan, so the command
    # in force at tick k is the one sent at step k - 1 (none at tick 0: no transition).
    assert len(ds) == n - 1
    np.testing.assert_array_equal(f['stamp'], exp['stamps'][1:])
    want = np.stack([ACT.from_twist(*a) for a in exp['actions'][: n - 1]])
    np.testing.assert_allclose(t['action'], want, atol=1e-6)
    assert (t['reward'] == 0).all() and not t['intervention'].any()
    assert not t['terminated'].any() and t['truncated'].tolist() == [False] * (n - 2) + [
        True
    ]  # outcome unknown
    assert np.isnan(f['detections']).all() and (f['velocity'] == 0).all()
    assert f['image'].shape == (n, 6, 8, 3) and ds.episodes[0].outcome == 'unknown'


def test_cache_is_reused_without_opening_bags(tmp_path, monkeypatch):
    for i in range(3):
        write_episode(tmp_path / 'b' / f'e{i}', n=3, seed=i)
    c = cfg(tmp_path)
    first, _ = build([tmp_path / 'b'], c)
    import rosbags.highlevel
    import rosbags.rosbag2

    class Boom:
        def __init__(self, *a, **k):
            raise AssertionError('a bag was opened')

    monkeypatch.setattr(rosbags.highlevel, 'AnyReader', Boom)
    monkeypatch.setattr(rosbags.rosbag2, 'Reader', Boom)
    second, _ = build([tmp_path / 'b'], c)
    for k in first.frames:
        np.testing.assert_array_equal(first.frames[k], second.frames[k])
    for k in first.transitions:
        np.testing.assert_array_equal(first.transitions[k], second.transitions[k])
    monkeypatch.undo()
    # a new bag decodes only itself
    write_episode(tmp_path / 'b' / 'e3', n=2, seed=9)
    calls = []
    orig = bagdataset.decode_bag
    monkeypatch.setattr(bagdataset, 'decode_bag', lambda p, *a: calls.append(p) or orig(p, *a))
    third, _ = build([tmp_path / 'b'], c)
    assert [p.name for p in calls] == ['e3'] and len(third.episodes) == 4 and len(third) == 11


def test_select_split_and_shard_by_episode(tmp_path):
    outcomes = ['success', 'failure', 'success', 'success', 'unknown', 'success']
    for i, o in enumerate(outcomes):
        write_episode(tmp_path / 'b' / f'e{i}', n=2 + i, seed=i, outcome=o)
    ds, _ = build([tmp_path / 'b'], cfg(tmp_path, outcomes=(), image_size=(0, 0)))
    assert len(ds.episodes) == 6
    succ = ds.select(outcomes=['success'])
    assert succ.episode_ids.tolist() == [0, 2, 3, 5]
    assert set(ds.transitions['episode'][succ.transition_indices]) == {0, 2, 3, 5}
    assert len(succ) == sum(2 + i for i in (0, 2, 3, 5))
    inter = ds.select(interventions_only=True)
    assert (
        len(inter) == int(ds.transitions['intervention'].sum())
        and ds.transitions['intervention'][inter.transition_indices].all()
    )
    train, val = ds.split(0.3, seed=4)
    again = ds.split(0.3, seed=4)
    assert train.episode_ids.tolist() == again[0].episode_ids.tolist()
    assert not set(train.episode_ids) & set(val.episode_ids)
    assert (
        sorted(set(train.episode_ids) | set(val.episode_ids)) == list(range(6))
        and len(val.episode_ids) == 2
    )
    assert len(train) + len(val) == len(ds)
    _, v1 = succ.split(0.01, seed=0)
    assert len(v1.episode_ids) == 1 and set(v1.episode_ids) <= {0, 2, 3, 5}
    shards = [ds.view().shard(r, 4) for r in range(4)]
    ids = [e for s in shards for e in s.episode_ids]
    assert sorted(ids) == list(range(6)) and all(len(s.episode_ids) for s in shards)
    assert sum(len(s) for s in shards) == len(ds)
    with pytest.raises(ConfigError, match='cannot be sharded'):
        val.shard(0, 3)


def test_config_errors_are_one_line(tmp_path):
    with pytest.raises(ConfigError, match='unknown key'):
        DatasetConfig.from_dict({'rate': 3})
    with pytest.raises(ConfigError, match='unknown key'):
        DatasetConfig.from_dict({'topics': {'camera': '/c'}})
    with pytest.raises(ConfigError, match='absolute'):
        DatasetConfig.from_dict({'topics': {'scan': 'scan'}})
    with pytest.raises(ConfigError, match='image_size'):
        DatasetConfig.from_dict({'image_size': [64, 0]})
    with pytest.raises(ConfigError, match='rate_hz'):
        DatasetConfig.from_dict({'topics': {'episode': ''}})
    bad = tmp_path / 'bad.yaml'
    bad.write_text('rate_hz: [1\n')
    with pytest.raises(ConfigError) as e:
        DatasetConfig.from_yaml(bad)
    assert '\n' not in str(e.value)


def _one_line_naming(lines, *words):
    hits = [ln for ln in lines if all(w in ln for w in words)]
    assert hits, f'no line with {words} in {lines}'
    assert all('\n' not in ln for ln in lines)


def test_bad_bags_are_skipped_with_one_line_each(tmp_path):
    root = tmp_path / 'b'
    good = write_episode(root / 'good', n=4)
    write_episode(root / 'no_scan', n=3, skip=('/scan',))
    w = EpisodeBagWriter(root / 'wrong_odom')
    for t, ty in {**TYPES, '/odom': 'std_msgs/msg/String'}.items():
        w.add_topic(t, ty)
    w.write('/odom', 1, ser(T['std_msgs/msg/String'](data='x')))
    w.close({'outcome': 'success'})
    write_episode(root / 'cut', n=30)
    mcap = next((root / 'cut').glob('*.mcap'))
    data = mcap.read_bytes()
    mcap.write_bytes(data[: len(data) // 2])
    write_episode(root / 'no_meta', n=3)
    (root / 'no_meta' / 'metadata.yaml').unlink()
    write_episode(root / 'bad_meta', n=3)
    meta = root / 'bad_meta' / 'metadata.yaml'
    meta.write_text(meta.read_text()[:40])
    write_episode(root / 'empty', n=0)
    write_episode(root / 'only_first', n=3, skip=('/action',), types={})
    ds, lines = build([root], cfg(tmp_path))
    assert [Path(e.path).name for e in ds.episodes] == ['good'] and len(ds) == good['n']
    assert lines == ds.skipped
    _one_line_naming(lines, 'no_scan', '/scan', 'missing')
    _one_line_naming(lines, 'wrong_odom', '/odom', 'std_msgs/msg/String', 'nav_msgs/msg/Odometry')
    _one_line_naming(lines, 'cut')
    _one_line_naming(lines, 'no_meta', 'metadata.yaml')
    _one_line_naming(lines, 'bad_meta', 'metadata.yaml')
    _one_line_naming(lines, 'empty', 'no transition')
    _one_line_naming(lines, 'only_first', '/action', 'missing')
    assert len([ln for ln in lines if 'skipped' in ln]) == 7


def test_clock_jumps_drop_the_affected_messages(tmp_path):
    stamps = [5_000_000 + k * DT for k in range(8)]
    stamps[4] = stamps[2] - 50_000  # clock jumps back at step 4
    stamps[6:] = [s + 30_000_000 for s in stamps[6:]]  # and 30 s forward at step 6
    write_episode(tmp_path / 'b' / 'jumpy', n=7, stamps=stamps)
    ds, lines = build([tmp_path / 'b'], cfg(tmp_path))
    _one_line_naming(lines, 'jumpy', '/scan', 'backwards')
    _one_line_naming(lines, 'jumpy', '/episode', 'gap')
    st = ds.frames['stamp']
    assert stamps[4] not in st and (np.diff(st) > 0).all()
    # transitions touching the backwards step are gone, the rest stay
    assert len(ds) == 5


def test_nothing_usable_raises_why(tmp_path):
    write_episode(tmp_path / 'b' / 'e0', n=2, outcome='failure')
    write_episode(tmp_path / 'b' / 'e1', n=2, skip=('/scan',))
    with pytest.raises(
        BagError, match=r"no usable episode with outcome in \['success'\].*1 skipped.*1 failure"
    ):
        build([tmp_path / 'b'], cfg(tmp_path))
    with pytest.raises(BagError, match='does not exist'):
        build([tmp_path / 'nope'], cfg(tmp_path))


def test_parallel_decoding_gives_the_same_arrays(tmp_path):
    for i in range(2):
        write_episode(tmp_path / 'b' / f'e{i}', n=3, seed=i)
    serial, _ = build([tmp_path / 'b'], cfg(tmp_path / 's'), workers=1)
    parallel, _ = build([tmp_path / 'b'], cfg(tmp_path / 'p'), workers=2)
    for k in serial.frames:
        np.testing.assert_array_equal(serial.frames[k], parallel.frames[k])
    for k in serial.transitions:
        np.testing.assert_array_equal(serial.transitions[k], parallel.transitions[k])
    starts = [e.frames[0] for e in serial.episodes]
    assert serial.frames['prev'][starts].tolist() == starts  # history stops at the episode start
    assert serial.transitions['obs'][serial.episodes[1].transitions[0]] == starts[1]


def test_rate_mode_with_point_clouds_compressed_images_and_episode_rewards(tmp_path):
    import cv2

    path = tmp_path / 'cloud'
    w = EpisodeBagWriter(path, 'sqlite3')
    for topic, ty in (
        ('/points', 'sensor_msgs/msg/PointCloud2'),
        ('/image/compressed', 'sensor_msgs/msg/CompressedImage'),
        ('/odom', 'nav_msgs/msg/Odometry'),
        ('/cmd', 'geometry_msgs/msg/TwistStamped'),
        ('/episode', 'diagnostic_msgs/msg/DiagnosticArray'),
    ):
        w.add_topic(topic, ty)
    field = T['sensor_msgs/msg/PointField']
    fields = [field(name=c, offset=4 * i, datatype=7, count=1) for i, c in enumerate('xyz')]
    n = 5
    for k in range(n):
        s = 1_000_000 + k * 200_000  # sensors at 5 Hz, resampled at 5 Hz
        ns = s * 1000
        pts = np.array([[1.0 + 0.1 * k, 0.0, 0.0], [0.0, 2.0, 0.0]], np.float32)
        w.write(
            '/points',
            ns,
            ser(
                T['sensor_msgs/msg/PointCloud2'](
                    header=header(s),
                    height=1,
                    width=2,
                    fields=fields,
                    is_bigendian=False,
                    point_step=12,
                    row_step=24,
                    data=pts.reshape(-1).view(np.uint8),
                    is_dense=True,
                )
            ),
        )
        _, png = cv2.imencode('.png', np.full((H, W, 3), 20 * k, np.uint8))
        w.write(
            '/image/compressed',
            ns + 1,
            ser(
                T['sensor_msgs/msg/CompressedImage'](
                    header=header(s), format='png', data=png.reshape(-1)
                )
            ),
        )
        w.write('/odom', ns + 2, ser(odom_msg(s, 0.1 * k, 0.0)))
        w.write(
            '/cmd',
            ns + 3,
            ser(T['geometry_msgs/msg/TwistStamped'](header=header(s), twist=twist(0.6, 0.0))),
        )
        if k:
            w.write(
                '/episode',
                ns + 4,
                ser(episode_msg(s, s - 200_000, 0.5, False, False, 'running', k, '')),
            )
    w.close({'outcome': 'failure', 'instruction': 'go to the blue pillar'})
    c = DatasetConfig.from_dict(
        {
            'rate_hz': 5,
            'image_size': [8, 6],
            'outcomes': [],
            'cache_dir': str(tmp_path / 'cache'),
            'topics': {
                'image': '/image/compressed',
                'scan': '/points',
                'action': '/cmd',
                'detections': '',
                'intervention': '',
                'instruction': '',
            },
        }
    )
    ds, lines = build([path], c)
    assert lines == []
    assert lines == [] and len(ds) == n - 1 and ds.episodes[0].format == 'sqlite3'
    f, t = ds.frames, ds.transitions
    sectors = f['sectors']
    assert sectors.shape == (n, 8)
    np.testing.assert_allclose(sectors.min(axis=1), [1.0 + 0.1 * k for k in range(n)], atol=1e-5)
    assert f['image'][:, 0, 0, 0].tolist() == [20 * k for k in range(n)]
    np.testing.assert_allclose(f['velocity'][:, 0], [0.1 * k for k in range(n)], atol=1e-6)
    np.testing.assert_allclose(t['reward'], 0.5)  # from the episode topic
    np.testing.assert_allclose(
        t['action'], [[1.0, 0.0]] * (n - 1), atol=1e-6
    )  # stamped: its own tick
    assert t['terminated'].tolist() == [False] * (n - 2) + [True]  # outcome failure
    assert ds.instructions == ['go to the blue pillar']


def test_episode_mode_with_untimed_twist_commands(tmp_path):
    # cmd_vel (Twist, no header) is logged after the observation it answers and before
    # the next step's status: the command in force when that step is reported.
    exp = write_episode(tmp_path / 'b' / 'e0', n=4, seed=3)
    c = cfg(tmp_path, image_size=(0, 0))
    c.topics.action, c.topics.intervention = '/cmd_vel', ''
    ds, lines = build([tmp_path / 'b'], c)
    assert lines == [] and len(ds) == 4
    np.testing.assert_allclose(
        ds.transitions['action'], np.stack([ACT.from_twist(*a) for a in exp['actions']]), atol=1e-6
    )


def test_crashed_episode_is_skipped_until_reindexed_then_selectable(tmp_path):
    from robot_learning.data.bagrepair import reindex

    root = tmp_path / 'b'
    write_episode(root / 'ok', n=4)
    write_episode(root / 'crash', n=6)
    # what a killed recorder leaves: the chunks, but no index, footer or metadata.yaml
    (root / 'crash' / 'metadata.yaml').unlink()
    mcap = root / 'crash' / 'crash.mcap'
    data = mcap.read_bytes()
    mcap.write_bytes(data[: data.index(b'serialized_metadata') - 28])  # cut the rosbag2 record
    ds, lines = build([root], cfg(tmp_path))
    assert [Path(e.path).name for e in ds.episodes] == ['ok']
    _one_line_naming(lines, 'crash', 'metadata.yaml', 'bag reindex')
    (res,) = reindex(root)
    assert res.custom['outcome'] == 'crashed'
    ds, lines = build([root], cfg(tmp_path))  # default: successes only
    assert [Path(e.path).name for e in ds.episodes] == ['ok'] and lines == []
    ds, lines = build([root], cfg(tmp_path, outcomes=('crashed',)))
    assert [(Path(e.path).name, e.outcome) for e in ds.episodes] == [('crash', 'crashed')]
    assert len(ds) == 6 and lines == []
    assert ds.instructions == ['go to the red pillar']  # from the instruction topic
    ds, _ = build([root], cfg(tmp_path, outcomes=()))
    assert sorted(e.outcome for e in ds.episodes) == ['crashed', 'success']
    assert len(ds.select(['crashed'])) == 6


def test_metadata_values_read_as_rosbags_wrote_them(tmp_path):
    # rosbags writes metadata.yaml in YAML 1.2 and leaves yes/on unquoted; every reader
    # (the dataset, the recorder's read_custom_data) must give back the strings.
    from robot_learning.data.bagwriter import read_custom_data, update_custom_data

    write_episode(tmp_path / 'b' / 'e0', n=4, instruction='yes')
    update_custom_data(tmp_path / 'b' / 'e0', {'note': 'on', 'lap': '1:20'})
    assert 'instruction: yes' in (tmp_path / 'b' / 'e0' / 'metadata.yaml').read_text()
    custom = read_custom_data(tmp_path / 'b' / 'e0')
    assert (custom['instruction'], custom['note'], custom['lap']) == ('yes', 'on', '1:20')
    ds, _ = build([tmp_path / 'b'], cfg(tmp_path))
    assert ds.instructions == ['yes'] and ds.episodes[0].custom['note'] == 'on'


def test_episode_bags_are_the_closed_bags_of_the_one_finder(tmp_path):
    from robot_learning.data.bagfiles import find_bag_dirs
    from robot_learning.data.dataset import find_episode_bags
    from robot_learning.errors import BagError

    write_episode(tmp_path / 's' / 'a', n=3)
    write_episode(tmp_path / 's' / 'b', n=3, outcome='failure')
    write_episode(tmp_path / 's' / '.tmp' / 'c', n=3)  # a reindex's work in progress
    (tmp_path / 's' / 'b' / 'metadata.yaml').unlink()  # crashed: found, not an episode yet
    assert [d.name for d in find_bag_dirs([tmp_path / 's'])] == ['a', 'b']
    (bag,) = find_episode_bags([tmp_path / 's'])
    assert (bag.path.name, bag.outcome) == ('a', 'success')
    assert bag.instruction == 'go to the red pillar'
    (tmp_path / 's' / 'a' / 'metadata.yaml').unlink()
    with pytest.raises(BagError, match='no closed rosbag2 bag.*bag reindex'):
        find_episode_bags([tmp_path / 's'])
    with pytest.raises(BagError, match='does not exist'):
        find_episode_bags([tmp_path / 'nowhere'])


def test_views_union_keeps_each_transition_once(tmp_path):
    for i in range(3):
        write_episode(tmp_path / 'b' / f'e{i}', n=3 + i, seed=i)
    ds, _ = build([tmp_path / 'b'], cfg(tmp_path))
    a, b = ds.view([0, 1]), ds.view([1]).select(interventions_only=False)
    u = a.union(ds.view([2]).select()).union(b)
    assert u.episode_ids.tolist() == [0, 1, 2] and len(u) == len(ds)
    assert u.transition_indices.tolist() == list(range(len(ds)))
