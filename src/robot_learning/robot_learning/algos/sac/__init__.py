# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 robot_learning maintainers
"""Soft Actor-Critic: the update, its options, the online learner and its checkpoint layout."""
