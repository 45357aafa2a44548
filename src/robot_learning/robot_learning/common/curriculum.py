# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 robot_learning maintainers
"""A success-gated curriculum: the task gets harder as the training episodes succeed (ROS-free).

Curriculum learning (Bengio et al. 2009, "Curriculum learning", ICML) orders training
from easy to hard. Here the difficulty is one number per level, in the built-in world the
largest start-to-goal distance (m, ``WorldConfig.goal_distance_max``; 0 = any distance,
the full task). The schedule is the threshold rule of the teacher-student curricula
(Matiisen et al. 2019 use the learning progress; a fixed success threshold is its
simplest form, as in Florensa et al. 2017's goal difficulty bands): after ``window``
episodes at a level with a success rate of at least ``promote_at``, the next level starts
with a fresh window. The last level is never left. ``sim_node`` runs it when its
``curriculum`` parameter is on; ``bench/sac_world.py --curriculum`` measures it.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
import math

from robot_learning.errors import ConfigError


@dataclass
class CurriculumConfig:
    """The levels and the rule that moves between them.

    Attributes:
        levels: difficulty per level, easiest first (start-to-goal distance cap, m;
            0 = no cap, which may only be the last). Default: 1.5 m, then 2.5 m, then the
            full room (its start-to-goal distances run 1-5.3 m, median 2.4 m).
        window: episodes at a level before it can be left (and over which the success
            rate is taken).
        promote_at: success rate over the window that moves to the next level.
    """

    levels: tuple = (1.5, 2.5, 0.0)
    window: int = 20
    promote_at: float = 0.8

    def __post_init__(self):
        try:
            self.levels = tuple(float(v) for v in self.levels)
        except (TypeError, ValueError):
            raise ConfigError(f'curriculum levels {self.levels!r} must be numbers (m)') from None
        if not self.levels or any(not math.isfinite(v) or v < 0 for v in self.levels):
            raise ConfigError(f'curriculum levels {list(self.levels)}: finite numbers >= 0')
        if 0.0 in self.levels[:-1]:
            raise ConfigError(
                f'curriculum levels {list(self.levels)}: 0 (no cap) may only be the last'
            )
        if isinstance(self.window, bool) or not isinstance(self.window, int) or self.window < 1:
            raise ConfigError(f'curriculum window {self.window!r} must be an integer >= 1')
        if not 0.0 < float(self.promote_at) <= 1.0:
            raise ConfigError(f'curriculum promote_at {self.promote_at} must be in (0, 1]')


class SuccessCurriculum:
    """Tracks training outcomes and says the difficulty of the next episode.

    Attributes:
        cfg: the configuration.
        level: index into ``cfg.levels`` (0 first).
        promotions: (episode count, new level) per move, in order.
    """

    def __init__(self, cfg: CurriculumConfig | None = None):
        self.cfg = cfg or CurriculumConfig()
        self.level = 0
        self.episodes = 0
        self.promotions: list[tuple[int, int]] = []
        self._recent: deque = deque(maxlen=self.cfg.window)

    @property
    def value(self) -> float:
        """Return the current level's difficulty (m; 0 = full task)."""
        return self.cfg.levels[self.level]

    @property
    def final(self) -> bool:
        """Return True at the last level (the full task)."""
        return self.level == len(self.cfg.levels) - 1

    def success_rate(self) -> float:
        """Success rate over the episodes of the current window (0 before any)."""
        return sum(self._recent) / len(self._recent) if self._recent else 0.0

    def record(self, success: bool) -> bool:
        """Count one finished training episode; return True when the level went up."""
        self.episodes += 1
        self._recent.append(bool(success))
        if (
            not self.final
            and len(self._recent) == self.cfg.window
            and self.success_rate() >= self.cfg.promote_at
        ):
            self.level += 1
            self._recent.clear()
            self.promotions.append((self.episodes, self.level))
            return True
        return False
