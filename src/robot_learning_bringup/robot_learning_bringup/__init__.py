# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 robot_learning maintainers
"""Orchestration: the profile runner (``up``), launch description builder, demo operator."""
