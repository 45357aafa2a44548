# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 robot_learning maintainers
"""Offline RL from bags: IQL and SAC pretraining."""
