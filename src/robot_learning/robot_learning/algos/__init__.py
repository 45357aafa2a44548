# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 robot_learning maintainers
"""Learning algorithms, one package each (configuration apart from modelling)."""
