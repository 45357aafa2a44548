# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 robot_learning maintainers
"""Pieces every algorithm shares: observation features, networks, checkpoints, language, curves."""
