# robot_learning — everything a fresh Debian 12 / Python 3.11 machine needs, from nothing.
#   make demo   set up, build, and run the main job in the built-in simulator
#   make test   set up, build, and run every test (colcon test + system tests)
# A second run skips what is done (stamp files under .make/).

SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
VPY := $(VENV)/bin/python
STAMP := .make
APT_PKGS := libegl1 libegl-mesa0 libgl1-mesa-dri libgbm1 libosmesa6
# Test-only: libsdformat (and a compiler for test/sdf_check.cpp) to check the Gazebo SDF export.
# FFmpeg 5.1's libraries for torchcodec, which decodes the LeRobot export's video in its test.
APT_TEST_PKGS := libsdformat-dev g++ pkg-config libavcodec59 libavformat59 libavutil57 \
                 libswscale6 libswresample4 libavdevice59 libavfilter8
PKG_SOURCES := $(shell find src -name '*.py' -o -name 'package.xml' -o -name 'setup.cfg' 2>/dev/null) \
               $(wildcard launch/*.py config/*.yaml config/profiles/*.yaml)
export MUJOCO_GL ?= egl
export ROS_AUTOMATIC_DISCOVERY_RANGE ?= LOCALHOST

.PHONY: all setup apt venv build test test-deps demo bench bench-deps clean

all: build

setup: apt venv

# MuJoCo's offscreen rendering needs EGL (or OSMesa); install only what is missing.
apt: $(STAMP)/apt
$(STAMP)/apt:
	@mkdir -p $(STAMP)
	@missing=""; for p in $(APT_PKGS); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "apt: installing$$missing"; \
	  SUDO=""; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing; \
	else echo "apt: offscreen rendering packages present"; fi
	@touch $@

venv: $(STAMP)/venv
$(STAMP)/venv: requirements.txt
	@mkdir -p $(STAMP)
	@test -x $(VPY) || $(PYTHON) -m venv $(VENV)
	$(VPY) -m pip install -q --upgrade pip wheel
	$(VPY) -m pip install -q -r requirements.txt
	@touch $@

build: $(STAMP)/build
$(STAMP)/build: $(STAMP)/venv $(STAMP)/apt $(PKG_SOURCES)
	source $(VENV)/bin/activate && colcon build --symlink-install --event-handlers console_cohesion- summary- status- 2>&1 | tail -n 20
	@touch $@

# Test-only dependencies (linters, an independent MCAP reader) and, when ../shared/wheels
# exists, the upstream launch/launch_ros wheels (--no-deps: never resolve `launch` from the
# index). Without that folder the launch tests skip with one line.
WHEELS ?= ../shared/wheels
test-deps: $(STAMP)/test-deps
$(STAMP)/test-deps: $(STAMP)/venv requirements-test.txt requirements-lerobot.txt
	$(VPY) -m pip install -q -r requirements.txt -r requirements-test.txt -r requirements-lerobot.txt
	$(VPY) -m pip install -q --no-deps lerobot==0.4.4
	@if ls $(WHEELS)/*.whl >/dev/null 2>&1; then \
	  echo "test-deps: installing launch/launch_ros from $(WHEELS)"; \
	  $(VPY) -m pip install -q --no-deps $(WHEELS)/*.whl; \
	else echo "test-deps: $(WHEELS) not found: launch tests will be skipped"; fi
	@missing=""; for p in $(APT_TEST_PKGS); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "test-deps: installing$$missing (libsdformat check of the Gazebo world, FFmpeg for torchcodec)"; \
	  SUDO=""; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
	  { $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq \
	    --no-install-recommends $$missing; } \
	  || echo "test-deps: could not install$$missing: the libsdformat and LeRobot video tests will be skipped"; \
	else echo "test-deps: libsdformat-dev present"; fi
	@touch $@

# colcon test runs each package's pytest suite (and its flake8/pep257 linters); test/ holds
# the cross-package system tests.
test: build test-deps
	source $(VENV)/bin/activate && source install/setup.bash && \
	  colcon test --return-code-on-test-failure --event-handlers console_direct+ --pytest-args -q && \
	  python -m pytest test -q

demo: build
	source $(VENV)/bin/activate && source install/setup.bash && robot-learning demo

# Benchmark-only dependencies (Stable-Baselines3 for bench/sac_vs_sb3.py), pinned beside torch.
bench-deps: $(STAMP)/bench-deps
$(STAMP)/bench-deps: $(STAMP)/venv requirements-bench.txt
	$(VPY) -m pip install -q -r requirements.txt -r requirements-bench.txt
	@touch $@

bench: build bench-deps
	source $(VENV)/bin/activate && source install/setup.bash && \
	  for b in bench/*.py; do echo "== $$b"; python $$b || exit 1; done

clean:
	rm -rf build install log $(STAMP)
