# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 robot_learning maintainers
"""The Gazebo launch files, profiles and bridge config, checked without Gazebo or ros_gz.

ros_gz is not installed here (and Gazebo cannot run), so test_launch_service.py skips the
``gazebo_*`` launch files. This file builds each one's description under the real
``launch``/``launch_ros`` wheels (which needs no ros_gz: its share directory is a
``FindPackageShare`` substitution resolved only when launch executes the include), checks
the declared arguments, then performs the launch's OpaqueFunction in a LaunchContext and
inspects the actions it returns: the ``gz_sim.launch.py`` include with the exported
world, ``ros_gz_sim create`` at the layout's start pose, ``parameter_bridge`` with
``config/gz_bridge.yaml``, and our nodes with the exported task file. The bridge config is
checked against the exported SDF's Gazebo topics and the topics our nodes use.
"""

import importlib.util
from pathlib import Path

from launch_support import launch_available
import pytest
from robot_learning.errors import ProfileError
from robot_learning_sim.robot_sdf import GZ_TOPICS
from robot_learning_sim.world_config import WorldConfig
from robot_learning_sim.world_sdf import export_world, pillar_pose_topic, WORLD_NAME
import yaml

ROOT = Path(__file__).resolve().parents[1]
GAZEBO_LAUNCH = sorted((ROOT / 'launch').glob('gazebo_*.launch.py'))
BRIDGE = ROOT / 'config' / 'gz_bridge.yaml'
#: The (ROS, Gazebo) type pairs of ros_gz_bridge that the config uses (its README table).
BRIDGE_TYPES = {
    'rosgraph_msgs/msg/Clock': 'gz.msgs.Clock',
    'sensor_msgs/msg/LaserScan': 'gz.msgs.LaserScan',
    'sensor_msgs/msg/Image': 'gz.msgs.Image',
    'sensor_msgs/msg/CameraInfo': 'gz.msgs.CameraInfo',
    'nav_msgs/msg/Odometry': 'gz.msgs.Odometry',
    'tf2_msgs/msg/TFMessage': 'gz.msgs.Pose_V',
    'sensor_msgs/msg/JointState': 'gz.msgs.Model',
    'geometry_msgs/msg/Twist': 'gz.msgs.Twist',
    'geometry_msgs/msg/PoseStamped': 'gz.msgs.Pose',
}
#: What our nodes take from the robot (topic as the node names it, ROS type) and what
#: policy_node sends it: the bridge must carry each one after the profile's remaps.
NODE_TOPICS = {
    'lidar_ingest': {'scan': 'sensor_msgs/msg/LaserScan'},
    'camera_ingest': {'image': 'sensor_msgs/msg/Image'},
    'task_node': {'odom': 'nav_msgs/msg/Odometry'},
    'policy_node': {'odom': 'nav_msgs/msg/Odometry', 'cmd_vel': 'geometry_msgs/msg/Twist'},
}

needs_launch = pytest.mark.skipif(
    not launch_available(), reason='launch_ros not importable (make test-deps installs it)'
)


def _bridge() -> list[dict]:
    return yaml.safe_load(BRIDGE.read_text())


def test_there_is_a_gazebo_launch_file_per_gazebo_profile():
    profiles = {p.stem for p in (ROOT / 'config' / 'profiles').glob('gazebo_*.yaml')}
    assert {p.name[: -len('.launch.py')] for p in GAZEBO_LAUNCH} == profiles
    assert {'gazebo_record', 'gazebo_learn', 'gazebo_deploy'} <= profiles


def test_bridge_config_is_ros_gz_bridge_format_with_known_type_pairs():
    entries = _bridge()
    assert isinstance(entries, list) and entries
    for e in entries:
        assert set(e) <= {'ros_topic_name', 'gz_topic_name', 'ros_type_name', 'gz_type_name',
                          'direction', 'lazy', 'publisher_queue', 'subscriber_queue'}, e
        assert {'ros_topic_name', 'gz_topic_name', 'ros_type_name', 'gz_type_name'} <= set(e)
        assert e['direction'] in ('GZ_TO_ROS', 'ROS_TO_GZ'), e
        assert BRIDGE_TYPES.get(e['ros_type_name']) == e['gz_type_name'], e
        assert isinstance(e.get('lazy', False), bool)
    ros = [e['ros_topic_name'] for e in entries]
    assert len(set(ros)) == len(ros)


def test_bridge_gz_topics_are_the_exported_worlds(tmp_path):
    done = export_world(tmp_path, seed=0)
    text = done.world.read_text() + done.robot.read_text()
    published = {'/clock'} | set(GZ_TOPICS.values())
    published |= {pillar_pose_topic(c) for c in WorldConfig().colors}
    for e in _bridge():
        assert e['gz_topic_name'] in published, e
    for topic in GZ_TOPICS.values():
        if not topic.endswith('/camera_info'):  # derived by Gazebo from the image topic
            assert f'>{topic}<' in text, topic
    for color in WorldConfig().colors:
        assert f"name='pillar_{color}'" in text.replace('"', "'")
    cmd = [e for e in _bridge() if e['gz_topic_name'] == GZ_TOPICS['cmd_vel']]
    assert cmd and cmd[0]['direction'] == 'ROS_TO_GZ'


@pytest.mark.parametrize('profile', [p.name[: -len('.launch.py')] for p in GAZEBO_LAUNCH])
def test_bridge_carries_every_topic_our_nodes_use_after_remaps(profile):
    from robot_learning_bringup.launch_description import profile_nodes

    bridged = {e['ros_topic_name']: e for e in _bridge()}
    nodes = {n['name']: n for n in profile_nodes(profile, check_checkpoint=False)}
    assert 'task_node' in nodes and nodes['task_node']['parameters']['use_sim_time'] is True
    assert nodes['policy_node']['parameters']['command_type'] == 'twist'
    assert nodes['task_node']['parameters']['reset_service'] == ''
    for name, topics in NODE_TOPICS.items():
        if name not in nodes:
            continue
        for topic, ros_type in topics.items():
            remapped = nodes[name]['remaps'].get(topic, topic)
            assert remapped in bridged, f'{profile}: {name} {topic} -> {remapped} not bridged'
            assert bridged[remapped]['ros_type_name'] == ros_type, (name, topic)
            want = 'ROS_TO_GZ' if topic == 'cmd_vel' else 'GZ_TO_ROS'
            assert bridged[remapped]['direction'] == want
    assert bridged['/clock']['direction'] == 'GZ_TO_ROS'


def test_prepare_world_exports_once_and_refuses_another_seed(tmp_path):
    from robot_learning_bringup.gazebo_launch import prepare_world

    world = prepare_world(str(tmp_path / 'w'), '3', '1')
    layout = yaml.safe_load((tmp_path / 'w' / 'layout.yaml').read_text())
    assert (layout['seed'], layout['episode']) == (3, 1)
    assert world['start'] == pytest.approx(tuple(layout['robot'][k] for k in 'x y z yaw'.split()))
    assert world['world_name'] == WORLD_NAME and Path(world['robot']).is_file()
    assert prepare_world(str(tmp_path / 'w'), '3', '1') == world
    with pytest.raises(ProfileError, match=r'holds seed 3 episode 1, not seed 0 episode 1'):
        prepare_world(str(tmp_path / 'w'), '0', '1')
    with pytest.raises(ProfileError, match='write integers'):
        prepare_world(str(tmp_path / 'w'), 'x', '0')


def _load(path: Path):
    spec = importlib.util.spec_from_file_location(path.stem.replace('.', '_'), path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.generate_launch_description()


def _text(context, subs) -> str:
    from launch.utilities import normalize_to_list_of_substitutions, perform_substitutions

    return perform_substitutions(context, normalize_to_list_of_substitutions(subs))


def _actions(description, argv: dict):
    """Declare the arguments (defaults, then ``argv``) and perform the OpaqueFunction."""
    from launch import LaunchContext
    from launch.actions import DeclareLaunchArgument, OpaqueFunction

    context = LaunchContext()
    context.launch_configurations.update(argv)
    declared = {}
    actions = []
    for entity in description.entities:
        if isinstance(entity, DeclareLaunchArgument):
            declared[entity.name] = entity
            entity.visit(context)
        elif isinstance(entity, OpaqueFunction):
            actions += entity.visit(context) or []
    return context, declared, actions


@needs_launch
@pytest.mark.parametrize('launch_file', GAZEBO_LAUNCH, ids=lambda p: p.name)
def test_gazebo_launch_builds_gazebo_spawn_bridge_and_our_nodes(launch_file, tmp_path):
    from launch_ros.actions import Node

    from launch.actions import IncludeLaunchDescription

    argv = {'world_dir': str(tmp_path / 'world'), 'seed': '2', 'namespace': '/robot1',
            'scan': '/lidar/scan'}
    if 'deploy' in launch_file.name:
        ckpt = tmp_path / 'ckpt'
        ckpt.mkdir()
        (ckpt / 'checkpoint.json').write_text('{}')
        argv['checkpoint'] = str(ckpt)
    context, declared, actions = _actions(_load(launch_file), argv)
    for name in ('world_dir', 'seed', 'episode', 'gz_args', 'bridge_config', 'namespace',
                 'use_sim_time', 'scan', 'cmd_vel'):
        assert name in declared, name
    assert all(a.description and a.description != 'no description given'
               for a in declared.values())
    assert _text(context, declared['use_sim_time'].default_value) == 'true'

    include = actions[0]
    assert isinstance(include, IncludeLaunchDescription)
    where = ' '.join(s.describe() for s in
                     include.launch_description_source._LaunchDescriptionSource__location)
    assert "FindPackageShare(pkg='ros_gz_sim') + 'launch' + 'gz_sim.launch.py'" in where, where
    gz_args = {_text(context, k): _text(context, v) for k, v in include.launch_arguments}
    world_sdf = tmp_path / 'world' / 'world.sdf'
    assert gz_args['gz_args'] == f'-r {world_sdf}' and world_sdf.is_file()

    nodes = [a for a in actions if isinstance(a, Node)]
    spawn, bridge, ours = nodes[0], nodes[1], nodes[2:]
    assert (spawn.node_package, spawn.node_executable) == ('ros_gz_sim', 'create')
    args = [_text(context, a) for a in spawn._Node__arguments]
    layout = yaml.safe_load((tmp_path / 'world' / 'layout.yaml').read_text())
    assert layout['seed'] == 2
    opts = dict(zip(args[::2], args[1::2]))
    assert opts['-file'] == str(tmp_path / 'world' / 'robot.sdf')
    assert opts['-world'] == WORLD_NAME and opts['-name'] == 'robot'
    assert float(opts['-x']) == pytest.approx(layout['robot']['x'])
    assert float(opts['-Y']) == pytest.approx(layout['robot']['yaw'])

    assert (bridge.node_package, bridge.node_executable) == ('ros_gz_bridge', 'parameter_bridge')
    params = bridge._Node__parameters[0]
    # launch_ros keeps a dict's strings as YAML text, parsed when the node starts.
    values = {_text(context, k): v if isinstance(v, bool) else yaml.safe_load(_text(context, v))
              for k, v in params.items()}
    assert Path(values['config_file']).read_text() == BRIDGE.read_text()
    assert values['use_sim_time'] is True
    latched = {k for k, v in values.items() if v == 'transient_local'}
    assert latched == {f'qos_overrides./robot1/sim/objects/{c}.publisher.durability'
                       for c in WorldConfig().colors}
    assert _text(context, bridge._Node__node_namespace) == '/robot1'
    remaps = [(_text(context, a), _text(context, b)) for a, b in bridge._Node__remappings]
    assert remaps == [('scan', '/lidar/scan')]

    names = {_text(context, n._Node__node_name): n for n in ours}
    assert {'lidar_ingest', 'policy_node', 'task_node'} <= set(names)
    task_params = names['task_node']._Node__parameters
    resolved = yaml.safe_load(Path(task_params[-1].evaluate(context)).read_text())
    assert resolved['/**/task_node']['ros__parameters']['task_file'] == str(
        tmp_path / 'world' / 'task.yaml')


@needs_launch
def test_gazebo_launch_bad_arguments_say_what_to_fix(tmp_path):
    path = ROOT / 'launch' / 'gazebo_learn.launch.py'
    export_world(tmp_path / 'w', seed=1)
    with pytest.raises(ProfileError, match='gazebo_learn.launch.py: world_dir:=.* holds seed 1'):
        _actions(_load(path), {'world_dir': str(tmp_path / 'w'), 'seed': '4'})
    with pytest.raises(ProfileError, match='bridge_config:=/no/such.yaml: no such file'):
        _actions(_load(path), {'world_dir': str(tmp_path / 'w'), 'seed': '1',
                               'bridge_config': '/no/such.yaml'})
