# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 robot_learning maintainers
"""Behaviour cloning (MLP or camera encoder, language-conditioned)."""
