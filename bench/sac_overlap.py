# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 robot_learning maintainers
"""Our SAC in-process, synchronous and actor/learner-overlapped (rows of bench/sac_vs_sb3.py).

Two ways to run ``robot_learning.algos.sac.SAC`` on a gymnasium environment without ROS,
with the learner's defaults (256x256, batch 256, LayerNorm critics, 3-step returns, UTD 1):

* :func:`run_sync` -- SB3's loop: one environment step, then one gradient step, in one
  process (``--threads`` torch threads). The speed of the algorithm alone.
* :func:`run_overlap` -- a bench-only actor/learner split in the manner of SERL (Luo et
  al. 2024, arXiv:2401.16013): this process steps the environment and acts (1 torch
  thread) while a spawned process runs the gradient steps (``--learner-threads``). The
  replay rows live in shared-memory tensors; the learner publishes the actor weights
  every ``--push-every`` updates through shared memory. UTD 1 holds as a gate: the
  learner never runs more updates than env steps past ``--learning-starts``, and the actor
  waits when it is more than ``--max-lag`` steps ahead of the learner (the ROS bridge's
  ``lockstep_max_lag``), so the policy acting at step k is about as trained as SB3's.
  This variant is clearly not the ROS learner; it shows what the overlap buys.

Both take the same number of gradient steps as SB3 (one per env step after
``learning_starts``). Each returns the dict :func:`sac_vs_sb3.run_sb3` returns: ``wall_s``
(first env step to the last gradient step), ``updates``, ``updates_per_s`` (gradient steps
per wall second of updating), ``curve`` (step -> deterministic eval return of the actor in
use at that step, evaluated afterwards by the caller's ``evaluate``).
"""

from __future__ import annotations

import multiprocessing as mp
import os
import time

import numpy as np


def _config(env, seed: int, args):
    from robot_learning.algos.sac import SACConfig

    return SACConfig(
        obs_dim=int(np.prod(env.observation_space.shape)),
        action_dim=int(np.prod(env.action_space.shape)),
        hidden=(256, 256),
        batch_size=256,
        seed=seed,
    )


def _scale(env):
    low = np.asarray(env.action_space.low, np.float64)
    high = np.asarray(env.action_space.high, np.float64)
    return lambda a: (low + (np.asarray(a, np.float64) + 1.0) * 0.5 * (high - low)).astype(
        env.action_space.dtype
    )


def _random_action(env, rng):
    return rng.uniform(-1.0, 1.0, env.action_space.shape).astype(np.float32)


def _evaluate_states(env_id, states, cfg, evaluate, episodes, scale):
    from robot_learning.algos.sac import SAC

    sac = SAC(cfg)
    curve = {}
    for step, state in sorted(states.items()):
        sac.load_actor_state(state)
        curve[step] = evaluate(
            env_id, lambda o: scale(sac.act(np.asarray(o), deterministic=True)), episodes
        )
    return curve


def run_sync(env_id: str, seed: int, args, evaluate) -> dict:
    """One env step, one gradient step (SB3's loop) with our SAC and replay."""
    import gymnasium as gym
    from robot_learning.algos.sac import SAC
    from robot_learning.data.buffers import NStepAccumulator, ReplayBuffer
    import torch

    torch.set_num_threads(args.threads)
    env = gym.make(env_id)
    cfg = _config(env, seed, args)
    sac = SAC(cfg)
    buffer = ReplayBuffer(cfg.obs_dim, cfg.action_dim, max(args.steps, 1000), seed=seed)
    nstep = NStepAccumulator(cfg.n_step, cfg.gamma)
    scale, rng = _scale(env), np.random.default_rng(seed)
    states, updates, t_update = {}, 0, 0.0
    obs, _ = env.reset(seed=seed)
    t0 = time.perf_counter()
    for step in range(1, args.steps + 1):
        action = _random_action(env, rng) if step <= args.learning_starts else sac.act(obs)
        nobs, reward, terminated, truncated, _ = env.step(scale(action))
        for tr in nstep.add(obs, action, float(reward), nobs, terminated, truncated):
            buffer.add(*tr)
        obs = nobs
        if terminated or truncated:
            obs, _ = env.reset()
        if step > args.learning_starts:
            t = time.perf_counter()
            sac.update(buffer.sample(cfg.batch_size))
            t_update += time.perf_counter() - t
            updates += 1
        if step % args.eval_every == 0:
            states[step] = sac.actor_state()
    wall = time.perf_counter() - t0
    env.close()
    return {
        'wall_s': wall,
        'updates': updates,
        'updates_per_s': updates / wall,
        'update_ms': 1e3 * t_update / max(updates, 1),
        'curve': _evaluate_states(env_id, states, cfg, evaluate, args.eval_episodes, scale),
    }


def _learner(cfg, threads, shared, counters, lock, learning_starts, budget, push_every):
    """Run gradient steps from the shared rows until the budget is met (spawned process)."""
    from robot_learning.algos.sac import SAC
    import torch

    torch.set_num_threads(threads)
    rows, weights = shared
    env_steps, written, updates, version, t_first, t_last = counters
    sac = SAC(cfg)
    version.value = 1  # ready: the actor starts its clock now (start-up is not timed)
    rng = torch.Generator().manual_seed(cfg.seed + 3)
    target = budget - learning_starts
    done, parent = 0, os.getppid()
    while done < target:
        if os.getppid() != parent:
            return  # the bench was killed (e.g. by a timeout): leave no orphan
        if env_steps.value - learning_starts <= done:
            time.sleep(0.0002)  # the UTD gate: no more updates than env steps
            continue
        if done == 0:
            t_first.value = time.perf_counter()
        n = written.value
        idx = torch.randint(0, n, (cfg.batch_size,), generator=rng)
        sac.update(tuple(field.index_select(0, idx) for field in rows))
        done += 1
        updates.value = done
        if done % push_every == 0 or done == target:
            with lock:
                for key, value in sac.actor.state_dict().items():
                    weights[key].copy_(value)
                version.value += 1
    t_last.value = time.perf_counter()


def run_overlap(env_id: str, seed: int, args, evaluate) -> dict:
    """Env stepping here, gradient steps in a spawned process at the same time."""
    import gymnasium as gym
    from robot_learning.algos.sac import SAC
    from robot_learning.data.buffers import NStepAccumulator
    import torch

    torch.set_num_threads(1)
    env = gym.make(env_id)
    cfg = _config(env, seed, args)
    sac = SAC(cfg)  # the actor side's copy; same seed, so the same initial actor
    capacity = max(args.steps, 1000)
    rows = (
        torch.zeros(capacity, cfg.obs_dim).share_memory_(),
        torch.zeros(capacity, cfg.action_dim).share_memory_(),
        torch.zeros(capacity).share_memory_(),
        torch.zeros(capacity, cfg.obs_dim).share_memory_(),
        torch.zeros(capacity).share_memory_(),
        torch.zeros(capacity).share_memory_(),
    )
    weights = {k: v.clone().share_memory_() for k, v in sac.actor.state_dict().items()}
    ctx = mp.get_context('spawn')
    counters = (
        ctx.Value('q', 0, lock=False),
        ctx.Value('q', 0, lock=False),
        ctx.Value('q', 0, lock=False),
        ctx.Value('q', 0, lock=False),
        ctx.Value('d', 0.0, lock=False),
        ctx.Value('d', 0.0, lock=False),
    )
    env_steps, written, updates, version, t_first, t_last = counters
    lock = ctx.Lock()
    proc = ctx.Process(
        target=_learner,
        args=(
            cfg, args.learner_threads, (rows, weights), counters, lock, args.learning_starts,
            args.steps, args.push_every,
        ),
        daemon=True,
    )
    proc.start()
    while version.value == 0:  # the learner is importing torch and building its SAC
        if not proc.is_alive():
            raise RuntimeError(f'{env_id} seed {seed}: the learner process died starting')
        time.sleep(0.01)
    nstep = NStepAccumulator(cfg.n_step, cfg.gamma)
    scale, rng = _scale(env), np.random.default_rng(seed)
    states, seen, waits = {}, 1, 0.0
    obs, _ = env.reset(seed=seed)
    t0 = time.perf_counter()
    try:
        for step in range(1, args.steps + 1):
            if version.value != seen:
                with lock:
                    seen = version.value
                    sac.load_actor_state(weights)
            action = _random_action(env, rng) if step <= args.learning_starts else sac.act(obs)
            nobs, reward, terminated, truncated, _ = env.step(scale(action))
            for tr in nstep.add(obs, action, float(reward), nobs, terminated, truncated):
                i = written.value
                for field, value in zip(rows, tr):
                    field[i] = torch.as_tensor(np.asarray(value, np.float32))
                written.value = i + 1
            obs = nobs
            if terminated or truncated:
                obs, _ = env.reset()
            env_steps.value = step
            if step % args.eval_every == 0:
                states[step] = {k: v.clone() for k, v in sac.actor.state_dict().items()}
            # The lag cap (lockstep_max_lag): wait for the learner to catch up.
            t = time.perf_counter()
            while step - args.learning_starts - updates.value > args.max_lag:
                if not proc.is_alive():
                    raise RuntimeError(f'{env_id} seed {seed}: the learner process died')
                time.sleep(0.0002)
            waits += time.perf_counter() - t
        proc.join(timeout=args.timeout)
        if proc.is_alive() or proc.exitcode != 0:
            raise RuntimeError(f'{env_id} seed {seed}: learner exit code {proc.exitcode}')
    finally:
        if proc.is_alive():
            proc.kill()
    env.close()
    done = updates.value
    return {
        'wall_s': t_last.value - t0,
        'updates': done,
        'updates_per_s': done / max(t_last.value - t_first.value, 1e-9),
        'actor_wait_s': waits,
        'curve': _evaluate_states(env_id, states, cfg, evaluate, args.eval_episodes, scale),
    }
