# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 robot_learning maintainers
"""Launch descriptions of the Gazebo Harmonic profiles (``launch/gazebo_*.launch.py``).

One launch file starts, in this order:

1. Gazebo: ``ros_gz_sim``'s ``gz_sim.launch.py`` with ``gz_args:=<gz_args> <world_dir>/world.sdf``;
2. the robot: ``ros_gz_sim create -world robot_learning_room -file <world_dir>/robot.sdf``
   at the start pose of ``<world_dir>/layout.yaml``;
3. ``ros_gz_bridge parameter_bridge`` with ``config_file:=<bridge_config>``
   (``config/gz_bridge.yaml``), in ``namespace``, with the topic remaps; its
   ``sim/objects/*`` publishers are made transient-local (``qos_overrides``), as
   sim_node's latched ground truth is, so task_node's latched subscription matches;
4. our nodes of ``config/profiles/<profile>.yaml``, built exactly as for the other launch
   files (:func:`robot_learning_bringup.launch_description.generate`), with
   ``task_node.task_file`` set to ``<world_dir>/task.yaml``.

``world_dir`` is written by ``robot-learning export-world --sdf DIR --seed N --episode K``;
when ``DIR/world.sdf`` is missing the launch exports it there (``seed``, ``episode``), and
a ``DIR`` that holds another seed or episode is refused with one line. Nothing here needs
ros_gz to *build* the description: the ros_gz share directory is a ``FindPackageShare``
substitution, resolved only when launch runs it.
"""

from __future__ import annotations

from pathlib import Path

from robot_learning.errors import ProfileError
import yaml

from .launch_description import _launch_nodes, _namespace, generate as generate_profile
from .launch_description import parse_bool, TOPIC_ARGUMENTS
from .profiles import config_dir

#: Gazebo launch arguments: (name, default, description).
GAZEBO_ARGUMENTS = (
    ('world_dir', 'gazebo_world',
     'directory of robot-learning export-world (world.sdf, robot.sdf, task.yaml, '
     'layout.yaml); exported there with seed/episode when world.sdf is missing'),
    ('seed', '0', "the built-in world's seed to export (must match world_dir's layout.yaml)"),
    ('episode', '0', "episode of that seed's layout stream (must match layout.yaml)"),
    ('gz_args', '-r', 'gz sim options before the world file (-r: run at start; add -s for '
     'the server only, --headless-rendering without a display)'),
    ('bridge_config', '', 'ros_gz_bridge config_file (empty: config/gz_bridge.yaml)'),
)
#: Bridge ROS names that the topic remap arguments move (as they move our nodes' topics).
_BRIDGED = {'cmd_vel': 'cmd_vel', 'odom': 'odom', 'scan': 'scan', 'image': 'camera/image_raw'}


def prepare_world(world_dir: str, seed: str, episode: str) -> dict:
    """Export the world into ``world_dir`` if needed; return what the launch needs from it.

    Returns:
        ``{'world': path, 'robot': path, 'task': path, 'world_name': str,
        'start': (x, y, z, yaw)}`` (m, rad).

    Raises:
        ProfileError: a non-integer seed/episode, or a ``world_dir`` holding another one.
    """
    from robot_learning_sim.world_sdf import export_world, WORLD_NAME

    try:
        want = (int(seed), int(episode))
    except ValueError:
        raise ProfileError(f'seed:={seed} episode:={episode}: write integers >= 0') from None
    out = Path(world_dir).expanduser().resolve()
    layout_file = out / 'layout.yaml'
    if not (out / 'world.sdf').is_file():
        export_world(out, *want)
    try:
        layout = yaml.safe_load(layout_file.read_text())
        have = (int(layout['seed']), int(layout['episode']))
        robot = layout['robot']
        start = tuple(float(robot[k]) for k in ('x', 'y', 'z', 'yaw'))
    except (OSError, yaml.YAMLError, KeyError, TypeError, ValueError):
        raise ProfileError(
            f'world_dir:={world_dir}: no readable layout.yaml; re-export it with '
            f'robot-learning export-world --sdf {world_dir}'
        ) from None
    if have != want:
        raise ProfileError(
            f'world_dir:={world_dir} holds seed {have[0]} episode {have[1]}, not seed '
            f'{want[0]} episode {want[1]}: pass seed:={have[0]} episode:={have[1]}, or '
            'another world_dir'
        )
    return {'world': str(out / 'world.sdf'), 'robot': str(out / 'robot.sdf'),
            'task': str(out / 'task.yaml'), 'world_name': str(layout.get('world') or WORLD_NAME),
            'start': start}


def latched_overrides(bridge_config: str, namespace: str) -> dict:
    """``qos_overrides`` making the bridge's ``sim/objects/*`` publishers transient-local.

    Args:
        bridge_config: the ros_gz_bridge config file.
        namespace: the bridge node's namespace ('' or ``/name``).

    Returns:
        ``{'qos_overrides.<fully qualified topic>.publisher.durability': 'transient_local'}``
        per ground-truth pose entry (ros_gz_bridge reads rclcpp's QoS overriding options).

    Raises:
        ProfileError: the file is not a YAML list of bridge entries.
    """
    try:
        entries = yaml.safe_load(Path(bridge_config).read_text())
        names = [str(e['ros_topic_name']) for e in entries]
    except (OSError, yaml.YAMLError, KeyError, TypeError) as exc:
        raise ProfileError(
            f'bridge_config:={bridge_config}: not a ros_gz_bridge config_file list ({exc})'
        ) from None
    return {
        f'qos_overrides.{namespace}/{name}.publisher.durability': 'transient_local'
        for name in names
        if name.startswith('sim/objects/')
    }


def _gazebo_actions(context, profile_name: str) -> list:
    """Gazebo, the robot, the bridge, then our nodes (an OpaqueFunction body)."""
    from launch_ros.actions import Node
    from launch_ros.substitutions import FindPackageShare

    from launch.actions import IncludeLaunchDescription
    from launch.launch_description_sources import PythonLaunchDescriptionSource
    from launch.substitutions import LaunchConfiguration, PathJoinSubstitution

    def arg(name: str) -> str:
        return LaunchConfiguration(name, default='').perform(context)

    try:
        world = prepare_world(arg('world_dir'), arg('seed'), arg('episode'))
    except ProfileError as exc:
        raise ProfileError(f'{profile_name}.launch.py: {exc}') from None
    bridge_config = arg('bridge_config') or str(config_dir() / 'gz_bridge.yaml')
    if not Path(bridge_config).is_file():
        raise ProfileError(
            f'{profile_name}.launch.py: bridge_config:={bridge_config}: no such file'
        )
    sim_time = parse_bool(arg('use_sim_time'), 'use_sim_time')
    namespace = _namespace(arg('namespace'))
    remaps = [(ros, arg(a)) for a, ros in _BRIDGED.items()
              if arg(a) and arg(a) != TOPIC_ARGUMENTS[a][0]]
    x, y, z, yaw = world['start']
    gazebo = IncludeLaunchDescription(
        PythonLaunchDescriptionSource(
            PathJoinSubstitution([FindPackageShare('ros_gz_sim'), 'launch', 'gz_sim.launch.py'])
        ),
        launch_arguments={
            'gz_args': f'{arg("gz_args")} {world["world"]}'.strip(),
            'on_exit_shutdown': 'true',
        }.items(),
    )
    spawn = Node(
        package='ros_gz_sim',
        executable='create',
        name='spawn_robot',
        output='screen',
        arguments=['-world', world['world_name'], '-file', world['robot'], '-name', 'robot',
                   '-x', str(x), '-y', str(y), '-z', str(z), '-Y', str(yaw)],
    )
    bridge = Node(
        package='ros_gz_bridge',
        executable='parameter_bridge',
        name='gz_bridge',
        namespace=namespace,
        output='screen',
        parameters=[{'config_file': bridge_config, 'use_sim_time': sim_time,
                     **latched_overrides(bridge_config, namespace)}],
        remappings=remaps,
    )
    ours = _launch_nodes(context, profile_name,
                         overrides={'task_node': {'task_file': world['task']}})
    return [gazebo, spawn, bridge, *ours]


def generate(profile_name: str):
    """``LaunchDescription`` of a Gazebo profile: its arguments, Gazebo, robot, bridge, nodes.

    Args:
        profile_name: a ``gazebo_*`` profile in ``config/profiles`` (it has a task_node).

    Returns:
        ``launch.LaunchDescription``: the profile's declared arguments
        (:func:`robot_learning_bringup.launch_description.launch_arguments`), those of
        :data:`GAZEBO_ARGUMENTS`, and one ``OpaqueFunction`` that builds the actions.
    """
    from launch import LaunchDescription
    from launch.actions import DeclareLaunchArgument, OpaqueFunction

    base = generate_profile(profile_name)
    declared = [e for e in base.entities if isinstance(e, DeclareLaunchArgument)]
    declared += [DeclareLaunchArgument(name, default_value=default, description=desc)
                 for name, default, desc in GAZEBO_ARGUMENTS]
    return LaunchDescription(
        [*declared, OpaqueFunction(function=_gazebo_actions, args=[profile_name])]
    )
