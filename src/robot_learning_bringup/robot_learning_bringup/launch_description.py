# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 robot_learning maintainers
"""One description of a run profile for ``ros2 launch`` and ``robot-learning up``.

A profile (``config/profiles/<name>.yaml``) names the nodes, their parameter files and
overrides. :func:`profile_nodes` resolves it, with what a user passes on top (namespace,
``use_sim_time``, a ``params_file`` layered over ours, a checkpoint, a log level, topic
remaps), into a plain list of nodes; :func:`generate` turns that list into a
``LaunchDescription`` (``launch/*.launch.py`` call it) and
:func:`robot_learning_bringup.launcher.create_nodes` into nodes in one process per group, so
both run the same graph with the same parameter values.

Launch arguments (``ros2 launch robot_learning_bringup <profile>.launch.py name:=value``):
``namespace``, ``use_sim_time``, ``params_file``, ``log_level``, ``checkpoint`` (profiles
with ``checkpoint_node``, the deploy ones), the topic remaps ``cmd_vel``, ``odom``,
``scan``, ``image``, and the profile's ``switches`` (``interventions:=true`` on
sim_learn / robot_learn). A bad value stops the launch before any node starts, with one line
saying what to fix (launch prints it as ``Caught exception in launch ...``).

Without ``ros2`` (pip-installed ROS 2) ``python -m robot_learning_bringup.launch_description
<file.launch.py> [name:=value ...]`` does what ``ros2 launch`` does, through
``ros2launch.api.launch_a_launch_file``.
"""

from __future__ import annotations

from pathlib import Path
import re
import sys
import tempfile
from typing import Any

from robot_learning.errors import ProfileError
import yaml

from .parameters import check_type, flatten, nest, read_params_file, user_params
from .profiles import config_dir, load_profile, node_name, params_file_section

#: Topic remap arguments: name -> (default topic as the nodes name it, description).
TOPIC_ARGUMENTS = {
    'cmd_vel': (
        'cmd_vel',
        'velocity command topic (policy_node publishes, the robot or sim takes)',
    ),
    'odom': ('odom', 'nav_msgs/Odometry topic of the robot'),
    'scan': ('scan', 'sensor_msgs/LaserScan topic lidar_ingest reads'),
    'image': (
        'camera/image_raw',
        'sensor_msgs/Image topic camera_ingest reads (<image>/compressed for CompressedImage)',
    ),
    'pose': (
        'pose',
        'geometry_msgs/PoseWithCovarianceStamped localization topic task_node reads '
        '(pose_source: pose), e.g. /amcl_pose',
    ),
    'joy': ('joy', 'sensor_msgs/Joy topic operator_node reads (joy_node publishes)'),
}
LOG_LEVELS = ('debug', 'info', 'warn', 'error', 'fatal')
_NAME = r'[A-Za-z_][A-Za-z0-9_]*'
_NAMESPACE_RE = re.compile(rf'^(/{_NAME})*$')
_TOPIC_RE = re.compile(rf'^(~|~/|/)?{_NAME}(/{_NAME})*$')


def launch_arguments(profile_name: str) -> list[tuple[str, str, str]]:
    """``(name, default, description)`` of every launch argument of a profile's launch file.

    Raises:
        ProfileError: unknown or malformed profile.
    """
    prof = load_profile(profile_name)
    out = [
        ('namespace', '', 'namespace of every node (e.g. /robot1); empty = none'),
        (
            'use_sim_time',
            'true' if prof.get('use_sim_time') else 'false',
            'true: every node follows /clock (simulation, bag replay)',
        ),
        (
            'params_file',
            '',
            'a ROS 2 parameter YAML layered over ours; keys <node>:, /**/<node>: or /**:',
        ),
        ('log_level', 'info', f'log level of every node: {", ".join(LOG_LEVELS)}'),
    ]
    for name, switch in prof['switches'].items():
        default = 'true' if switch.get('default', False) else 'false'
        out.append((name, default, str(switch.get('description', 'true or false'))))
    if prof.get('checkpoint_node'):
        out.append(
            (
                'checkpoint',
                '',
                f'policy checkpoint directory for {prof["checkpoint_node"]} '
                '(robot-learning train output, e.g. runs/NAME/checkpoints/best); required',
            )
        )
    out += [(name, default, desc) for name, (default, desc) in TOPIC_ARGUMENTS.items()]
    return out


def parse_bool(text: str, what: str) -> bool:
    """``'true'``/``'false'`` (any case; also 1/0, yes/no, on/off) -> bool.

    Raises:
        ProfileError: any other text, naming ``what`` and the accepted values.
    """
    value = str(text).strip().lower()
    if value in ('true', '1', 'yes', 'on'):
        return True
    if value in ('false', '0', 'no', 'off'):
        return False
    raise ProfileError(f'{what}:={text}: write true or false')


def _namespace(text: str) -> str:
    ns = str(text).strip()
    if ns and not ns.startswith('/'):
        ns = '/' + ns
    ns = ns.rstrip('/')
    if not _NAMESPACE_RE.match(ns):
        raise ProfileError(
            f'namespace:={text}: write /name or /name/name (letters, digits, _; '
            'no leading digit)'
        )
    return ns


def _topic(arg: str, text: str) -> str:
    topic = str(text).strip()
    if not _TOPIC_RE.match(topic):
        raise ProfileError(
            f'{arg}:={text}: not a ROS topic name; write e.g. /{TOPIC_ARGUMENTS[arg][0]}'
        )
    return topic


def _check_checkpoint(profile_name: str, node: str, path: str) -> None:
    from robot_learning.common.checkpoint import METADATA_FILE

    if not path:
        raise ProfileError(
            f'{profile_name} needs a policy checkpoint: pass checkpoint:=DIR (launch) or '
            f'--checkpoint DIR (robot-learning up), e.g. runs/NAME/checkpoints/best'
        )
    if not (Path(path).expanduser() / METADATA_FILE).is_file():
        raise ProfileError(
            f'checkpoint {path}: no {METADATA_FILE} there; pass a directory written by '
            'robot-learning train or the learner (runs/NAME/checkpoints/best)'
        )


def profile_nodes(
    profile_name: str,
    *,
    namespace: str = '',
    use_sim_time: bool | None = None,
    params_file: str = '',
    checkpoint: str = '',
    log_level: str = '',
    topics: dict[str, str] | None = None,
    overrides: dict[str, dict[str, Any]] | None = None,
    check_checkpoint: bool = True,
    switches: dict[str, bool] | None = None,
) -> list[dict]:
    """Every node of a profile, resolved with the user's options.

    Args:
        profile_name: a profile in ``config/profiles`` (or a path to a profile YAML).
        namespace: namespace of every node without a namespace of its own in the profile.
        use_sim_time: None = the profile's ``use_sim_time``.
        params_file: a user parameter YAML layered over ours (after the profile's
            overrides); bare ``<node>:`` keys apply under any namespace.
        checkpoint: the ``checkpoint`` parameter of the profile's ``checkpoint_node``.
        log_level: ``--log-level`` of every node ('' = rcl's default, info).
        topics: remaps by argument name (:data:`TOPIC_ARGUMENTS`).
        overrides: ``{node: {param: value}}`` applied last (``robot-learning up --set``).
        check_checkpoint: refuse a profile with ``checkpoint_node`` whose checkpoint is
            unset or not a checkpoint directory.
        switches: ``{name: on}`` for the profile's ``switches`` (the rest keep their
            defaults): a node with ``when: name`` runs only while it is on, and its
            ``switch_parameters[name]`` apply over the profile's ``parameters``.

    Returns:
        One dict per node: ``group``, ``package``, ``executable``, ``module``, ``cls``,
        ``name``, ``namespace``, ``params_files`` (ours, in ``config/``), ``parameters``
        (flat dict applied over them, in this order: ``use_sim_time``, the profile's
        ``parameters``, the user file, ``checkpoint``, ``overrides``), ``remaps`` (dict)
        and ``ros_args`` (extra ``--ros-args`` items).

    Raises:
        ProfileError: any bad value, in one line that says what to fix.
    """
    prof = load_profile(profile_name)
    label = Path(profile_name).stem
    ns = _namespace(namespace)
    if log_level and str(log_level).lower() not in LOG_LEVELS:
        raise ProfileError(f'log_level:={log_level}: choose one of {", ".join(LOG_LEVELS)}')
    topic_values = {}
    for arg, (default, _) in TOPIC_ARGUMENTS.items():
        topic_values[arg] = _topic(arg, (topics or {}).get(arg) or default)
    specs = [(g, spec) for g, nodes in prof['groups'].items() for spec in nodes]
    names = {node_name(spec) for _, spec in specs}
    on = {name: bool(sw.get('default', False)) for name, sw in prof['switches'].items()}
    for name, value in (switches or {}).items():
        if name not in on:
            raise ProfileError(
                f"{name}:={str(value).lower()}: {label} has no switch '{name}' "
                f'(its switches: {", ".join(on) or "none"})'
            )
        on[name] = bool(value)
    specs = [(g, spec) for g, spec in specs if on.get(spec.get('when'), True)]
    for node in overrides or {}:
        if node not in names:
            raise ProfileError(
                f"--set {node}.*: '{node}' is no node of {label} (its nodes: "
                f'{", ".join(sorted(names))})'
            )
    sections = read_params_file(params_file, names) if params_file else {}
    ckpt_node = prof.get('checkpoint_node')
    sim_time = bool(prof.get('use_sim_time', False)) if use_sim_time is None else use_sim_time
    out = []
    for group, spec in specs:
        module, cls = spec['node'].split(':')
        package, executable = module.split('.', 1)
        name = node_name(spec)
        node_ns = spec.get('namespace') or ns
        params = spec.get('params') or []
        files = [str(config_dir() / f) for f in ([params] if isinstance(params, str) else params)]
        reference: dict[str, Any] = {'use_sim_time': False}
        for f in files:
            reference.update(flatten(params_file_section(Path(f), name)))
        profile_params = flatten(spec.get('parameters') or {})
        for switch, params in (spec.get('switch_parameters') or {}).items():
            if on[switch]:
                profile_params.update(flatten(params or {}))
        reference.update(profile_params)
        values: dict[str, Any] = {'use_sim_time': sim_time, **profile_params}
        user = user_params(sections, name, node_ns)
        for key, value in user.items():
            if key in reference:
                check_type(f'params_file {params_file}: {name}', key, value, reference[key])
        values.update(user)
        if name == ckpt_node and checkpoint:
            values['checkpoint'] = str(checkpoint)
        for key, value in flatten((overrides or {}).get(name, {})).items():
            if key in reference:
                check_type(f'--set {name}.{key}', key, value, reference[key])
            values[key] = value
        if name == ckpt_node and check_checkpoint:
            _check_checkpoint(
                label, name, str(values.get('checkpoint', reference.get('checkpoint', '')))
            )
        remaps = {}
        for src, dst in (spec.get('remaps') or {}).items():
            if dst == TOPIC_ARGUMENTS['image'][0]:
                dst = topic_values['image']
            elif dst == TOPIC_ARGUMENTS['image'][0] + '/compressed':
                dst = topic_values['image'] + '/compressed'
            remaps[src] = dst
        for arg, (default, _) in TOPIC_ARGUMENTS.items():
            if topic_values[arg] != default:
                remaps.setdefault(default, topic_values[arg])
                if arg == 'image':
                    remaps.setdefault(default + '/compressed', topic_values[arg] + '/compressed')
        out.append(
            {
                'group': group,
                'package': package,
                'executable': executable,
                'module': module,
                'cls': cls,
                'name': name,
                'namespace': node_ns,
                'params_files': files,
                'parameters': values,
                'remaps': remaps,
                'ros_args': ['--log-level', str(log_level).lower()] if log_level else [],
            }
        )
    return out


def _params_yaml(directory: Path, node: dict) -> str:
    """Write a node's resolved parameters to a file keyed ``/**/<name>``; return its path.

    The key makes them apply in its namespace. A file keeps YAML types exactly; launch_ros
    would re-parse string values of a dict (``'1.0'`` becomes a double).
    """
    path = directory / f'{node["group"]}.{node["name"]}.yaml'
    doc = {f'/**/{node["name"]}': {'ros__parameters': nest(node['parameters'])}}
    path.write_text(yaml.safe_dump(doc, sort_keys=True))
    return str(path)


def _launch_nodes(context, profile_name: str, overrides: dict | None = None) -> list:
    """Read the launch arguments, resolve the profile, make Nodes (an OpaqueFunction body).

    Everything is checked before the first node exists, so a bad argument leaves nothing
    running. ``overrides`` (``{node: {param: value}}``) apply last, as ``up --set`` does
    (the Gazebo launch files set task_node's exported task file so).
    """
    from launch_ros.actions import Node

    from launch.actions import Shutdown
    from launch.substitutions import LaunchConfiguration

    def arg(name: str) -> str:
        return LaunchConfiguration(name, default='').perform(context)

    prof = load_profile(profile_name)
    try:
        nodes = profile_nodes(
            profile_name,
            namespace=arg('namespace'),
            use_sim_time=parse_bool(arg('use_sim_time'), 'use_sim_time'),
            params_file=arg('params_file'),
            checkpoint=arg('checkpoint') if prof.get('checkpoint_node') else '',
            log_level=arg('log_level'),
            topics={name: arg(name) for name in TOPIC_ARGUMENTS},
            overrides=overrides,
            switches={name: parse_bool(arg(name), name) for name in prof['switches']},
        )
    except ProfileError as exc:
        raise ProfileError(f'{profile_name}.launch.py: {exc}') from None
    directory = Path(tempfile.mkdtemp(prefix=f'robot_learning_{profile_name}_'))
    return [
        Node(
            package=n['package'],
            executable=n['executable'],
            name=n['name'],
            namespace=n['namespace'],
            output='screen',
            parameters=[*n['params_files'], _params_yaml(directory, n)],
            remappings=list(n['remaps'].items()),
            ros_arguments=n['ros_args'] or None,
            # One node gone (e.g. it refused a parameter with one line) stops them all, as
            # `robot-learning up` does: no half a robot left running.
            on_exit=[Shutdown(reason=f'{n["name"]} exited')],
        )
        for n in nodes
    ]


def generate(profile_name: str):
    """``LaunchDescription`` of a profile: declared arguments, then its nodes.

    Args:
        profile_name: a profile in ``config/profiles``.

    Returns:
        ``launch.LaunchDescription`` with one ``DeclareLaunchArgument`` per entry of
        :func:`launch_arguments` and an ``OpaqueFunction`` that builds one
        ``launch_ros.actions.Node`` per profile node once the arguments are known.
    """
    from launch import LaunchDescription
    from launch.actions import DeclareLaunchArgument, OpaqueFunction

    actions = [
        DeclareLaunchArgument(name, default_value=default, description=desc)
        for name, default, desc in launch_arguments(profile_name)
    ]
    actions.append(OpaqueFunction(function=_launch_nodes, args=[profile_name]))
    return LaunchDescription(actions)


def main(argv: list[str] | None = None) -> int:
    """``python -m robot_learning_bringup.launch_description FILE [name:=value ...]``.

    Runs a launch file as ``ros2 launch`` does (for pip-installed ROS 2, which has no
    ``ros2`` command); a bare file name is looked up in ``launch/`` of the bringup package.

    Returns:
        The launch service's exit code (0 after a clean Ctrl-C).
    """
    argv = sys.argv[1:] if argv is None else argv
    if not argv or argv[0] in ('-h', '--help'):
        print(main.__doc__.split('\n')[0].strip('`'))
        return 0 if argv else 2
    try:
        from ros2launch.api import launch_a_launch_file
    except ImportError:
        print(
            'launch: ros2launch is not installed (pip wheels in ../shared/wheels)',
            file=sys.stderr,
        )
        return 2
    path = Path(argv[0])
    if not path.is_file():
        path = config_dir().parent / 'launch' / argv[0]
    if not path.is_file():
        print(f'launch: no launch file {argv[0]}', file=sys.stderr)
        return 2
    return launch_a_launch_file(
        launch_file_path=str(path), launch_file_arguments=list(argv[1:]), noninteractive=True
    )


if __name__ == '__main__':
    sys.exit(main())
