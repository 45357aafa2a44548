# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 robot_learning maintainers
"""MJCF text of the built-in world (walls, obstacle and pillar slots, the robot).

Collision filtering (contype/conaffinity bits) keeps the contact count tiny: wheels and
casters touch only the floor; the chassis touches only walls, obstacles and pillars;
scenery never collides with scenery.
"""

from __future__ import annotations

from robot_learning_sim.world_config import (
    COLOR_RGBA,
    HALF_TRACK,
    LIDAR_HEIGHT,
    ROBOT_RADIUS,
    WHEEL_RADIUS,
    WorldConfig,
)

# Collision bits. Scenery (walls, boxes, pillars) has contype SCENERY and conaffinity 0, so
# it never collides with itself; the chassis has conaffinity SCENERY; the floor has contype
# FLOOR and only the wheels/casters have conaffinity FLOOR.
_FLOOR_BIT = 1
_SCENERY_BIT = 2
# Geom groups: 0 scenery (seen by the lidar), 1 floor, 2 robot visuals, 3 robot collision.
# Where absent pillars are parked: under the floor plane, invisible to camera and lidar.
_PARKED_Z = -5.0


def _wheel_xml(name: str, y: float) -> str:
    r = WHEEL_RADIUS
    return f"""
      <body name="{name}" pos="0 {y} {r}">
        <joint name="{name}" type="hinge" axis="0 1 0" damping="0"/>
        <geom type="sphere" size="{r}" mass="0.1" group="3" contype="0"
              conaffinity="{_FLOOR_BIT}" condim="3" friction="1.2 0.005 0.0001"/>
        <geom type="cylinder" size="{r} 0.012" zaxis="0 1 0" mass="0" group="2"
              contype="0" conaffinity="0" rgba="0.05 0.05 0.05 1"/>
      </body>"""


def _robot_xml(cfg: WorldConfig) -> str:
    wheels = _wheel_xml('wheel_l', HALF_TRACK) + _wheel_xml('wheel_r', -HALF_TRACK)
    return f"""
    <body name="base" pos="0 0 0">
      <freejoint name="base"/>
      <!-- Centre of mass slightly behind the axle: the robot rests on its wheels and the
           rear caster; the front caster floats 2 mm up and only catches hard braking. -->
      <inertial pos="-0.02 0 0.08" mass="2.0" diaginertia="0.0165 0.0165 0.029"/>
      <!-- Chassis: the only robot geom that touches scenery. -->
      <geom name="chassis" type="cylinder" size="{ROBOT_RADIUS} 0.055" pos="0 0 0.105"
            mass="0" rgba="0.25 0.25 0.3 1" group="3" contype="0"
            conaffinity="{_SCENERY_BIT}"/>
      <geom name="chassis_vis" type="cylinder" size="{ROBOT_RADIUS} 0.055" pos="0 0 0.105"
            mass="0" rgba="0.25 0.25 0.3 1" group="2" contype="0" conaffinity="0"/>
      <geom name="lidar_vis" type="cylinder" size="0.04 0.02" pos="0 0 {LIDAR_HEIGHT - 0.02}"
            mass="0" rgba="0.1 0.1 0.1 1" group="2" contype="0" conaffinity="0"/>
      <geom name="caster_front" type="sphere" size="0.02" pos="0.12 0 0.022" mass="0"
            group="3" contype="0" conaffinity="{_FLOOR_BIT}" condim="1" rgba=".5 .5 .5 1"/>
      <geom name="caster_rear" type="sphere" size="0.02" pos="-0.12 0 0.02" mass="0"
            group="3" contype="0" conaffinity="{_FLOOR_BIT}" condim="1" rgba=".5 .5 .5 1"/>
      <site name="lidar" pos="0 0 {LIDAR_HEIGHT}" size="0.01"/>
      <!-- Touch zone around the chassis side, above the caster/floor contacts: any force in
           it is a collision with scenery (cheaper than scanning the contact list). -->
      <site name="bumper" type="cylinder" size="{ROBOT_RADIUS + 0.03} 0.07" pos="0 0 0.105"
            group="5" rgba="0 0 0 0"/>
      <camera name="front" pos="{ROBOT_RADIUS - 0.02} 0 0.22" xyaxes="0 -1 0 0.1 0 1"
              fovy="{cfg.camera_fovy}"/>
{wheels}
    </body>"""


def build_xml(cfg: WorldConfig) -> str:
    """MJCF text of the world for ``cfg`` (obstacle and pillar slots parked until reset)."""
    half = cfg.room_size / 2.0
    t = 0.05  # wall half thickness
    wh = cfg.wall_height / 2.0
    scen = f'contype="{_SCENERY_BIT}" conaffinity="0" group="0"'
    walls = ''.join(
        f'<geom name="wall_{n}" type="box" size="{sx} {sy} {wh}" pos="{px} {py} {wh}" '
        f'rgba="0.85 0.8 0.7 1" {scen}/>'
        for n, sx, sy, px, py in (
            ('n', half + 2 * t, t, 0, half + t),
            ('s', half + 2 * t, t, 0, -half - t),
            ('e', t, half + 2 * t, half + t, 0),
            ('w', t, half + 2 * t, -half - t, 0),
        )
    )
    obstacles = ''.join(
        f'<body name="obstacle_{i}" mocap="true" pos="0 0 {_PARKED_Z}">'
        f'<geom name="obstacle_{i}" type="box" size="0.15 0.15 {cfg.obstacle_height / 2}" '
        f'rgba="0.45 0.35 0.25 1" {scen}/></body>'
        for i in range(cfg.n_obstacles)
    )
    pillars = ''.join(
        f'<body name="pillar_{c}" mocap="true" pos="0 0 {_PARKED_Z}">'
        f'<geom name="pillar_{c}" type="cylinder" '
        f'size="{cfg.pillar_radius} {cfg.pillar_height / 2}" '
        f'rgba="{" ".join(str(v) for v in COLOR_RGBA[c])}" {scen}/></body>'
        for c in cfg.colors
    )
    n_sub = max(1, round(cfg.control_dt / cfg.physics_dt))
    return f"""
<mujoco model="robot_learning_room">
  <option timestep="{cfg.control_dt / n_sub}" integrator="implicitfast" cone="elliptic"/>
  <visual>
    <global offwidth="{max(640, cfg.camera_width)}" offheight="{max(480, cfg.camera_height)}"
            fovy="{cfg.camera_fovy}"/>
    <quality shadowsize="0"/>
    <headlight ambient="0.45 0.45 0.45" diffuse="0.5 0.5 0.5" specular="0 0 0"/>
  </visual>
  <worldbody>
    <light name="sun" directional="true" pos="0 0 4" dir="0.3 0.2 -1" castshadow="false"
           diffuse="0.5 0.5 0.5" specular="0 0 0"/>
    <!-- condim 1 on the floor: a pair uses the larger condim, so the casters (condim 1)
         roll frictionlessly while the wheels (condim 3) grip. -->
    <geom name="floor" type="plane" size="{half + 1} {half + 1} 0.1" rgba="0.6 0.6 0.62 1"
          contype="{_FLOOR_BIT}" conaffinity="0" group="1" condim="1"
          friction="1 0.005 0.0001"/>
    {walls}
    {obstacles}
    {pillars}
    {_robot_xml(cfg)}
  </worldbody>
  <sensor>
    <touch name="bumper" site="bumper"/>
  </sensor>
  <actuator>
    <!-- Wheel speed servos, rad/s. kv gives a fast velocity loop; the torque cap keeps the
         acceleration (~5 m/s^2) below what the tyres can transmit, so wheels don't spin. -->
    <velocity name="wheel_l" joint="wheel_l" kv="0.05" ctrlrange="-40 40"
              forcerange="-0.3 0.3"/>
    <velocity name="wheel_r" joint="wheel_r" kv="0.05" ctrlrange="-40 40"
              forcerange="-0.3 0.3"/>
  </actuator>
</mujoco>"""
