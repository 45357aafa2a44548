# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 robot_learning maintainers
"""Closed-loop evaluation of the scripted expert in the built-in world (ROS-free).

``python -m robot_learning_sim.expert_eval [episodes]`` prints the figures quoted in
:mod:`robot_learning_sim.expert`.
"""

from __future__ import annotations

import dataclasses

from robot_learning_sim.expert import ExpertPolicy


@dataclasses.dataclass
class ExpertStats:
    """Result of :func:`evaluate`."""

    episodes: int
    successes: int
    failures: int
    timeouts: int
    mean_steps: float
    collisions: int
    """Steps with a collision, summed over episodes."""

    @property
    def success_rate(self) -> float:
        return self.successes / max(self.episodes, 1)


def evaluate(
    world, policy: ExpertPolicy | None = None, episodes: int = 200, seed: int = 0
) -> ExpertStats:
    """Run the expert in a :class:`~robot_learning_sim.world.World` for ``episodes``.

    The first reset uses ``seed``; later episodes continue that random stream.
    """
    policy = policy or ExpertPolicy()
    succ = fail = tout = coll = steps = 0
    for ep in range(episodes):
        world.reset(seed=seed if ep == 0 else None)
        policy.reset()
        while True:
            v, w = policy.act(world.pose(), world.goal_position(), world.scan())
            r = world.step(v, w)
            coll += r.collided
            if r.terminated or r.truncated:
                break
        steps += world.episode_steps
        succ += r.outcome == 'success'
        fail += r.outcome == 'failure'
        tout += r.outcome == 'timeout'
    return ExpertStats(episodes, succ, fail, tout, steps / max(episodes, 1), coll)


if __name__ == '__main__':  # python -m robot_learning_sim.expert_eval [episodes]
    import sys
    import time

    from robot_learning_sim.world import World, WorldConfig

    n = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    t0 = time.perf_counter()
    stats = evaluate(World(WorldConfig()), episodes=n)
    print(
        f'{stats}  success_rate={stats.success_rate:.3f}  ' f'({time.perf_counter() - t0:.1f} s)'
    )
