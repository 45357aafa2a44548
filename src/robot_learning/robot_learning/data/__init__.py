# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 robot_learning maintainers
"""Data layer: bags, time-synced datasets, transitions, replay buffers, sensor conversion."""
