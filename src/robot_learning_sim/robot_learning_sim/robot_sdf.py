# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 robot_learning maintainers
"""The built-in robot as an SDF model for Gazebo Harmonic (ROS-free, no MuJoCo import).

Same body as the MuJoCo robot (:mod:`robot_learning_sim.world_xml`): a 2.0 kg chassis
cylinder (radius :data:`ROBOT_RADIUS`) with its centre of mass 2 cm behind the axle, two
0.1 kg wheels of radius :data:`WHEEL_RADIUS` on a track of ``2 * HALF_TRACK``, a front and
a rear frictionless caster, the LiDAR at :data:`LIDAR_HEIGHT` and the forward camera at
the MuJoCo camera's pose. The model frame is on the floor under the chassis centre, as
the MuJoCo base body is, so odometry x/y are the same numbers.

gz-sim systems on the model (names and parameters as Gazebo Harmonic, gz-sim 8, takes
them):

- ``gz::sim::systems::DiffDrive``: takes ``gz.msgs.Twist`` on :data:`GZ_TOPICS` ``cmd_vel``
  with the MuJoCo world's speed limits (``WorldConfig.min_linear/max_linear/max_angular``).
  Its wheel odometry integrates from the spawn pose, so it goes to ``wheel_odometry`` in
  frame ``wheel_odom``, not to ``odom``.
- ``gz::sim::systems::OdometryPublisher``: the model's world pose and body twist on
  ``odometry``, frames ``odom`` -> ``base_link``. The built-in sim's ``odom`` is the world
  frame too, so goal positions (pillar poses, the exported task YAML) are in ``odom``.
- ``gz::sim::systems::JointStatePublisher``: the wheel joints on ``joint_states``.

Sensors: a 360-degree ``gpu_lidar`` (``WorldConfig.lidar_rays`` rays, first at -pi,
counter-clockwise, ``range_min``..``range_max``) and a ``camera`` (``camera_width`` x
``camera_height``, the vertical field of view ``camera_fovy`` as a horizontal one),
both at ``1 / control_dt`` Hz, frame ids ``base_scan`` and ``camera_link`` as sim_node's.
"""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET

from robot_learning_sim.world_config import (
    HALF_TRACK,
    LIDAR_HEIGHT,
    ROBOT_RADIUS,
    WHEEL_RADIUS,
    WorldConfig,
)

#: Name of the robot model (``ros_gz_sim create -name``).
ROBOT_NAME = 'robot'
#: Chassis mass, kg, its centre of mass (m, base frame) and principal inertia (kg m^2),
#: as the MuJoCo base body's ``<inertial>``.
CHASSIS_MASS = 2.0
CHASSIS_COM = (-0.02, 0.0, 0.08)
CHASSIS_INERTIA = (0.0165, 0.0165, 0.029)
#: Mass of each wheel, kg (MuJoCo wheel sphere geoms).
WHEEL_MASS = 0.1
#: Camera mount in the base frame (m) and its downward pitch (rad): MuJoCo's camera
#: ``xyaxes="0 -1 0 0.1 0 1"`` looks along (1, 0, -0.1).
CAMERA_POS = (ROBOT_RADIUS - 0.02, 0.0, 0.22)
CAMERA_PITCH = math.atan2(0.1, 1.0)
#: Gazebo transport topics of the robot (the bridge, config/gz_bridge.yaml, maps them).
GZ_TOPICS = {
    'cmd_vel': f'/model/{ROBOT_NAME}/cmd_vel',
    'odometry': f'/model/{ROBOT_NAME}/odometry',
    'tf': f'/model/{ROBOT_NAME}/tf',
    'wheel_odometry': f'/model/{ROBOT_NAME}/wheel_odometry',
    'wheel_tf': f'/model/{ROBOT_NAME}/wheel_tf',
    'joint_states': f'/model/{ROBOT_NAME}/joint_states',
    'scan': f'/model/{ROBOT_NAME}/scan',
    'image': f'/model/{ROBOT_NAME}/camera/image',
    # Gazebo names the camera_info topic after the image topic's parent.
    'camera_info': f'/model/{ROBOT_NAME}/camera/camera_info',
}
#: Rate of the odometry and joint state publishers, Hz.
ODOM_HZ = 50.0


def num(value: float) -> str:
    """Format a number for SDF text (9 significant digits, no exponent noise)."""
    return format(float(value), '.9g')


def sub(parent: ET.Element, tag: str, text=None, **attrib) -> ET.Element:
    """Append ``<tag attrib>text</tag>`` to ``parent``; numbers and tuples become SDF text."""
    el = ET.SubElement(parent, tag, {k: str(v) for k, v in attrib.items()})
    if isinstance(text, (tuple, list)):
        el.text = ' '.join(num(v) if isinstance(v, (int, float)) else str(v) for v in text)
    elif isinstance(text, bool):
        el.text = 'true' if text else 'false'
    elif isinstance(text, (int, float)):
        el.text = num(text)
    elif text is not None:
        el.text = str(text)
    return el


def material(parent: ET.Element, rgba) -> None:
    """Add a ``<material>`` whose ambient and diffuse colour is ``rgba`` (4 floats in [0, 1])."""
    mat = sub(parent, 'material')
    sub(mat, 'ambient', tuple(rgba))
    sub(mat, 'diffuse', tuple(rgba))
    sub(mat, 'specular', (0, 0, 0, 1))


def shape(parent: ET.Element, kind: str, name: str, geometry: tuple, pose=None,
          rgba=None, friction=None) -> ET.Element:
    """Add a ``<visual>`` (``rgba`` set) or ``<collision>`` with one geometry.

    Args:
        parent: the link.
        kind: ``'visual'`` or ``'collision'``.
        name: element name.
        geometry: ``('box', (sx, sy, sz))``, ``('cylinder', radius, length)``,
            ``('sphere', radius)`` or ``('plane', (sx, sy))``; m, full sizes.
        pose: (x, y, z, roll, pitch, yaw) in the link frame, m and rad.
        rgba: material colour of a visual.
        friction: Coulomb friction of a collision (``mu`` and ``mu2``; 0 = a caster).
    """
    el = sub(parent, kind, name=name)
    if pose is not None:
        sub(el, 'pose', tuple(pose))
    geom = sub(sub(el, 'geometry'), geometry[0])
    if geometry[0] in ('box', 'plane'):
        if geometry[0] == 'plane':
            sub(geom, 'normal', (0, 0, 1))
        sub(geom, 'size', tuple(geometry[1]))
    else:
        sub(geom, 'radius', geometry[1])
        if geometry[0] == 'cylinder':
            sub(geom, 'length', geometry[2])
    if rgba is not None:
        material(el, rgba)
    if friction is not None:
        ode = sub(sub(sub(el, 'surface'), 'friction'), 'ode')
        sub(ode, 'mu', friction)
        sub(ode, 'mu2', friction)
    return el


def plugin(parent: ET.Element, library: str, name: str, params: dict) -> ET.Element:
    """Add a gz-sim system ``<plugin filename=library name=name>`` with ``params`` children."""
    el = sub(parent, 'plugin', filename=library, name=name)
    for key, value in params.items():
        sub(el, key, value)
    return el


def _inertial(link: ET.Element, mass: float, pos, diag) -> None:
    inertial = sub(link, 'inertial')
    sub(inertial, 'pose', (*pos, 0, 0, 0))
    sub(inertial, 'mass', mass)
    inertia = sub(inertial, 'inertia')
    for tag, value in zip(('ixx', 'iyy', 'izz'), diag):
        sub(inertia, tag, value)
    for tag in ('ixy', 'ixz', 'iyz'):
        sub(inertia, tag, 0.0)


def _wheel(model: ET.Element, side: str, y: float) -> None:
    link = sub(model, 'link', name=f'wheel_{side}')
    sub(link, 'pose', (0, y, WHEEL_RADIUS, 0, 0, 0))
    # A sphere, as MuJoCo's wheel collision: one contact point, no edge catching.
    i = 0.4 * WHEEL_MASS * WHEEL_RADIUS ** 2
    _inertial(link, WHEEL_MASS, (0, 0, 0), (i, i, i))
    shape(link, 'collision', 'collision', ('sphere', WHEEL_RADIUS), friction=1.2)
    shape(link, 'visual', 'visual', ('cylinder', WHEEL_RADIUS, 0.024),
          pose=(0, 0, 0, math.pi / 2, 0, 0), rgba=(0.05, 0.05, 0.05, 1))
    joint = sub(model, 'joint', name=f'wheel_{side}_joint', type='revolute')
    sub(joint, 'parent', 'base_link')
    sub(joint, 'child', f'wheel_{side}')
    # +y axis for both wheels: a positive wheel speed drives the robot forward.
    sub(sub(joint, 'axis'), 'xyz', (0, 1, 0))


def _lidar(link: ET.Element, cfg: WorldConfig) -> None:
    sensor = sub(link, 'sensor', name='lidar', type='gpu_lidar')
    sub(sensor, 'pose', (0, 0, LIDAR_HEIGHT, 0, 0, 0))
    sub(sensor, 'topic', GZ_TOPICS['scan'])
    sub(sensor, 'gz_frame_id', 'base_scan')
    sub(sensor, 'update_rate', 1.0 / cfg.control_dt)
    sub(sensor, 'always_on', True)
    lidar = sub(sensor, 'lidar')
    scan = sub(lidar, 'scan')
    horizontal = sub(scan, 'horizontal')
    inc = 2.0 * math.pi / cfg.lidar_rays
    sub(horizontal, 'samples', cfg.lidar_rays)
    sub(horizontal, 'resolution', 1)
    sub(horizontal, 'min_angle', -math.pi)
    sub(horizontal, 'max_angle', math.pi - inc)
    vertical = sub(scan, 'vertical')
    sub(vertical, 'samples', 1)
    sub(vertical, 'min_angle', 0)
    sub(vertical, 'max_angle', 0)
    rng = sub(lidar, 'range')
    sub(rng, 'min', cfg.range_min)
    sub(rng, 'max', cfg.range_max)
    sub(rng, 'resolution', 0.01)


def camera_hfov(cfg: WorldConfig) -> float:
    """Horizontal field of view (rad) of the MuJoCo camera (``camera_fovy`` deg, vertical)."""
    half = math.radians(cfg.camera_fovy) / 2.0
    return 2.0 * math.atan(math.tan(half) * cfg.camera_width / cfg.camera_height)


def _camera(link: ET.Element, cfg: WorldConfig) -> None:
    sensor = sub(link, 'sensor', name='camera', type='camera')
    sub(sensor, 'pose', (*CAMERA_POS, 0, CAMERA_PITCH, 0))
    sub(sensor, 'topic', GZ_TOPICS['image'])
    sub(sensor, 'gz_frame_id', 'camera_link')
    sub(sensor, 'update_rate', 1.0 / cfg.control_dt)
    sub(sensor, 'always_on', True)
    cam = sub(sensor, 'camera', name='front')
    sub(cam, 'horizontal_fov', camera_hfov(cfg))
    image = sub(cam, 'image')
    sub(image, 'width', cfg.camera_width)
    sub(image, 'height', cfg.camera_height)
    sub(image, 'format', 'R8G8B8')
    clip = sub(cam, 'clip')
    sub(clip, 'near', 0.02)
    sub(clip, 'far', 20.0)


def robot_model(cfg: WorldConfig) -> ET.Element:
    """Build the ``<model name="robot">`` element (no pose: ``create -x -y -Y`` places it).

    Args:
        cfg: the MuJoCo world's config (speed limits, sensors, control period).

    Returns:
        The model element; wrap it with :func:`sdf_document` for a file.
    """
    model = ET.Element('model', name=ROBOT_NAME)
    base = sub(model, 'link', name='base_link')
    _inertial(base, CHASSIS_MASS, CHASSIS_COM, CHASSIS_INERTIA)
    chassis = ('cylinder', ROBOT_RADIUS, 0.11)
    shape(base, 'collision', 'chassis', chassis, pose=(0, 0, 0.105, 0, 0, 0))
    shape(base, 'visual', 'chassis', chassis, pose=(0, 0, 0.105, 0, 0, 0),
          rgba=(0.25, 0.25, 0.3, 1))
    # The LiDAR housing stays under the scan plane, so the rays never see it.
    shape(base, 'visual', 'lidar', ('cylinder', 0.04, 0.04),
          pose=(0, 0, LIDAR_HEIGHT - 0.025, 0, 0, 0), rgba=(0.1, 0.1, 0.1, 1))
    # Casters: frictionless balls; the front one floats 2 mm up as in MuJoCo.
    shape(base, 'collision', 'caster_front', ('sphere', 0.02), pose=(0.12, 0, 0.022, 0, 0, 0),
          friction=0.0)
    shape(base, 'collision', 'caster_rear', ('sphere', 0.02), pose=(-0.12, 0, 0.02, 0, 0, 0),
          friction=0.0)
    _lidar(base, cfg)
    _camera(base, cfg)
    _wheel(model, 'left', HALF_TRACK)
    _wheel(model, 'right', -HALF_TRACK)
    plugin(model, 'gz-sim-diff-drive-system', 'gz::sim::systems::DiffDrive', {
        'left_joint': 'wheel_left_joint',
        'right_joint': 'wheel_right_joint',
        'wheel_separation': 2.0 * HALF_TRACK,
        'wheel_radius': WHEEL_RADIUS,
        'topic': GZ_TOPICS['cmd_vel'],
        'odom_topic': GZ_TOPICS['wheel_odometry'],
        'tf_topic': GZ_TOPICS['wheel_tf'],
        'frame_id': 'wheel_odom',
        'child_frame_id': 'base_link',
        'odom_publish_frequency': ODOM_HZ,
        'min_linear_velocity': cfg.min_linear,
        'max_linear_velocity': cfg.max_linear,
        'min_angular_velocity': -cfg.max_angular,
        'max_angular_velocity': cfg.max_angular,
    })
    plugin(model, 'gz-sim-odometry-publisher-system', 'gz::sim::systems::OdometryPublisher', {
        'odom_frame': 'odom',
        'robot_base_frame': 'base_link',
        'odom_topic': GZ_TOPICS['odometry'],
        'tf_topic': GZ_TOPICS['tf'],
        'odom_publish_frequency': ODOM_HZ,
        'dimensions': 2,
    })
    plugin(model, 'gz-sim-joint-state-publisher-system',
           'gz::sim::systems::JointStatePublisher', {'topic': GZ_TOPICS['joint_states']})
    return model


def sdf_document(root_child: ET.Element, version: str) -> bytes:
    """Wrap a ``<world>`` or ``<model>`` in ``<sdf version=...>``; return the indented XML."""
    sdf = ET.Element('sdf', version=version)
    sdf.append(root_child)
    tree = ET.ElementTree(sdf)
    ET.indent(tree, space='  ')
    return ET.tostring(sdf, encoding='utf-8', xml_declaration=True) + b'\n'
