# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 robot_learning maintainers
"""Pure helpers of the gym bridge (:mod:`robot_learning_sim.gym_bridge`); no rclpy here.

They make the gymnasium environment from parameters, check its spaces, decide how its
observation vector is laid out in a ``sensor_msgs/JointState`` (joint names with
position/velocity for MuJoCo envs whose observation is exactly ``qpos ‖ qvel``, else
``obs_0..obs_{n-1}`` all in ``position``), validate commands and build the ``gym/spec``
description. Every problem a user can cause raises :class:`ConfigError` with one line.
"""

from __future__ import annotations

import json
import math
from typing import Any

import numpy as np
from robot_learning.errors import ConfigError, one_line

#: Rate used when neither ``control_rate`` nor the env's ``dt`` says anything, Hz.
DEFAULT_RATE_HZ = 20.0


def parse_env_kwargs(text: str) -> dict[str, Any]:
    """``env_kwargs`` parameter (a JSON object) -> keyword arguments of ``gym.make``."""
    try:
        value = json.loads(text) if text.strip() else {}
    except json.JSONDecodeError as exc:
        raise ConfigError(f'env_kwargs is not valid JSON ({exc}): {text!r}') from None
    if not isinstance(value, dict):
        raise ConfigError(f'env_kwargs must be a JSON object like {{"g": 9.81}}, not {text!r}')
    return value


def make_env(env_id: str, env_kwargs: dict[str, Any], max_episode_steps: int = 0):
    """``gym.make`` with a one-line :class:`ConfigError` for whatever goes wrong.

    Args:
        env_id: a registered id (``Pendulum-v1``) or ``module:Env-v0`` (imports module).
        env_kwargs: keyword arguments of the environment's constructor.
        max_episode_steps: > 0 overrides the env's TimeLimit; 0 keeps its own.
    """
    import gymnasium as gym

    if max_episode_steps < 0:
        raise ConfigError(
            f"max_episode_steps must be >= 0 (0 = the env's own), not {max_episode_steps}"
        )
    kwargs = dict(env_kwargs)
    if max_episode_steps > 0:
        kwargs['max_episode_steps'] = max_episode_steps
    try:
        return gym.make(env_id, **kwargs)
    except Exception as exc:  # noqa: BLE001 - any failure of a third-party constructor
        raise ConfigError(
            f'cannot make gymnasium env {env_id!r} with env_kwargs '
            f'{json.dumps(env_kwargs)}: {type(exc).__name__}: '
            f'{one_line(exc)}'
        ) from None


def action_bounds(space, env_id: str) -> tuple[np.ndarray, np.ndarray]:
    """Low and high (float64) of a 1-D Box action space; any other space is refused."""
    from gymnasium.spaces import Box

    if not isinstance(space, Box) or len(space.shape) != 1 or space.shape[0] < 1:
        raise ConfigError(
            f'{env_id}: the gym bridge needs a 1-D Box action space, the env has ' f'{space}'
        )
    return space.low.astype(np.float64), space.high.astype(np.float64)


def observation_dim(space, env_id: str) -> int:
    """Length of the flattened observation vector (Box: its size; Discrete: one-hot...)."""
    from gymnasium.spaces import flatdim

    try:
        return int(flatdim(space))
    except Exception:  # noqa: BLE001 - gymnasium raises several types for unflattenable ones
        raise ConfigError(
            f'{env_id}: observation space {space} cannot be flattened into a ' 'vector'
        ) from None


def flat_observation(space, obs) -> np.ndarray:
    """Flatten the observation to a 1-D float64 vector (exact for float32/float64 Boxes)."""
    from gymnasium.spaces import Box, flatten

    if isinstance(space, Box):
        return np.asarray(obs, dtype=np.float64).reshape(-1)
    return np.asarray(flatten(space, obs), dtype=np.float64).reshape(-1)


def env_dt(env) -> float | None:
    """``env.unwrapped.dt`` when the env has a positive finite one, else None."""
    dt = getattr(env.unwrapped, 'dt', None)
    try:
        dt = float(dt)
    except (TypeError, ValueError):
        return None
    return dt if math.isfinite(dt) and dt > 0 else None


def mujoco_joint_names(env, obs) -> list[str] | None:
    """Joint names when the observation is exactly ``qpos ‖ qvel`` of a MuJoCo env.

    Holds when every joint is a hinge or a slide (one qpos and one qvel entry each) and
    ``obs`` (taken right after a reset) equals the model's qpos followed by qvel. Joints
    are named in qpos order; an unnamed joint is ``joint_<id>``. None otherwise.
    """
    u = env.unwrapped
    model, data = getattr(u, 'model', None), getattr(u, 'data', None)
    if model is None or data is None:
        return None
    try:
        import mujoco
    except ImportError:
        return None
    if not isinstance(model, mujoco.MjModel) or not isinstance(data, mujoco.MjData):
        return None
    nq, nv, nj = model.nq, model.nv, model.njnt
    raw = np.asarray(obs)
    if not (nq == nv == nj) or nq == 0 or raw.ndim != 1 or raw.size != nq + nv:
        return None
    kinds = {int(mujoco.mjtJoint.mjJNT_HINGE), int(mujoco.mjtJoint.mjJNT_SLIDE)}
    if any(int(t) not in kinds for t in model.jnt_type):
        return None
    expected = np.concatenate([data.qpos, data.qvel]).astype(raw.dtype)
    if not np.array_equal(raw, expected):
        return None
    order = sorted(range(nj), key=lambda j: int(model.jnt_qposadr[j]))
    return [mujoco.mj_id2name(model, mujoco.mjtObj.mjOBJ_JOINT, j) or f'joint_{j}' for j in order]


def mujoco_actuator_names(env, action_dim: int) -> list[str] | None:
    """Return the actuator names of a MuJoCo env with one actuator per action value.

    That is ``ctrl = action``; an unnamed actuator is ``actuator_<id>``. None otherwise.
    """
    model = getattr(env.unwrapped, 'model', None)
    try:
        import mujoco
    except ImportError:
        return None
    if not isinstance(model, mujoco.MjModel) or model.nu != action_dim:
        return None
    return [
        mujoco.mj_id2name(model, mujoco.mjtObj.mjOBJ_ACTUATOR, i) or f'actuator_{i}'
        for i in range(model.nu)
    ]


def observation_names(joint_names: list[str], n_position: int, obs_dim: int) -> list[str]:
    """Return one name per observation value.

    The JointState names when everything is in ``position``, else ``<joint>.position``
    then ``<joint>.velocity``.
    """
    if n_position == obs_dim:
        return list(joint_names)
    return [f'{n}.position' for n in joint_names] + [f'{n}.velocity' for n in joint_names]


def outcome(terminated: bool, truncated: bool, info: dict) -> str:
    """Return the episode status text.

    Terminated with ``info['is_success']`` -> success, terminated otherwise -> failure,
    truncated -> timeout, else running.
    """
    if terminated:
        return 'success' if bool((info or {}).get('is_success', False)) else 'failure'
    return 'timeout' if truncated else 'running'


def check_command(values, dim: int, topic: str, env_id: str, space) -> str | None:
    """Why a command cannot be applied (one line), or None when it can."""
    n = len(values)
    if n != dim:
        return f'{topic} has {n} values, {env_id} expects {dim} (action space {space})'
    if not all(math.isfinite(v) for v in values):
        return f'{topic} has non-finite values {list(values)}: not applied'
    return None


def _finite_or_none(a) -> list:
    return [float(v) if math.isfinite(v) else None for v in np.asarray(a, np.float64).ravel()]


def spec_dict(
    env_id: str,
    env,
    obs_dim: int,
    joint_names: list[str],
    n_position: int,
    dt: float,
    action_names: list[str],
    extra: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Describe the spaces for ``gym/spec`` (JSON-able; infinite bounds are null).

    ``joint_names`` are the JointState names; the observation is ``position`` (the first
    ``n_position`` values) followed by ``velocity`` (the rest); ``observation_names``
    names each of the ``obs_dim`` values.
    """
    from gymnasium.spaces import flatten_space

    a_space, o_space = env.action_space, env.observation_space
    try:
        o_flat = flatten_space(o_space)
        o_low, o_high = _finite_or_none(o_flat.low), _finite_or_none(o_flat.high)
    except Exception:  # noqa: BLE001
        o_low = o_high = None
    spec = {
        'env_id': env_id,
        'obs_dim': obs_dim,
        'joint_names': list(joint_names),
        'position_dim': n_position,
        'velocity_dim': obs_dim - n_position,
        'observation_names': observation_names(joint_names, n_position, obs_dim),
        'observation_low': o_low,
        'observation_high': o_high,
        'observation_space': str(o_space),
        'action_dim': int(a_space.shape[0]),
        'action_names': list(action_names),
        'action_low': _finite_or_none(a_space.low),
        'action_high': _finite_or_none(a_space.high),
        'action_space': str(a_space),
        'dt': dt,
        'max_episode_steps': getattr(env.spec, 'max_episode_steps', None),
    }
    spec.update(extra or {})
    return spec


def world_spaces(cfg, camera: bool = False):
    """Observation and action spaces of the built-in world's gymnasium env.

    Args:
        cfg: the :class:`~robot_learning_sim.world_config.WorldConfig`.
        camera: whether the observation holds the forward camera image.

    Returns:
        ``(observation_space, action_space)``: a Dict of ``scan`` float32 (lidar_rays,)
        ranges in m (+inf: no return within range_max, -inf: closer than range_min,
        REP-117), ``detections`` float32 (n_colors, 2) pillar centres in the base frame, m
        (NaN rows for colours absent this episode, only with ``n_pillars`` > 0),
        ``velocity`` float32 (2,) forward m/s and yaw rate rad/s from odometry,
        ``instruction`` the index of the instructed colour in ``cfg.colors``, and with
        ``camera`` ``image`` uint8 (camera_height, camera_width, 3) RGB; a float32 Box
        action (v m/s in [min_linear, max_linear], w rad/s in [-max_angular, max_angular]).
    """
    from gymnasium import spaces

    inf = np.float32(np.inf)
    obs = {
        'scan': spaces.Box(-inf, inf, (cfg.lidar_rays,), np.float32),
        'detections': spaces.Box(-inf, inf, (len(cfg.colors), 2), np.float32),
        'velocity': spaces.Box(-inf, inf, (2,), np.float32),
        'instruction': spaces.Discrete(len(cfg.colors)),
    }
    if camera:
        obs['image'] = spaces.Box(0, 255, (cfg.camera_height, cfg.camera_width, 3), np.uint8)
    action = spaces.Box(
        np.array([cfg.min_linear, -cfg.max_angular], np.float32),
        np.array([cfg.max_linear, cfg.max_angular], np.float32),
    )
    return spaces.Dict(obs), action
