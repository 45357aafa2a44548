#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Install the system dependencies that the workspace's package.xml files declare, with
# rosdep, except those that requirements-system-ros.txt installs pinned with pip:
#   - every key that rosdep resolves with its pip installer (python3-mujoco-pip, ...),
#     which rosdep would `pip install` unpinned, outside the venv;
#   - python3-torch (Ubuntu's build has no CUDA and is older than torch==2.13.0) and
#     python3-opencv (Ubuntu's 4.6 with GUI libraries; the headless wheel is pinned).
# Test dependencies are left out (-t): an image runs the suite, it does not test it.
#
# Usage: rosdep-install.sh [SRC_DIR]   (default: src; extra keys to skip: ROSDEP_SKIP_KEYS)
set -eo pipefail

src=${1:-src}
distro=${ROS_DISTRO:-jazzy}
skip=(python3-torch python3-opencv ${ROSDEP_SKIP_KEYS})

keys=$(rosdep keys --from-paths "$src" --ignore-src --rosdistro "$distro" -t buildtool -t build -t exec)
for key in $keys; do
    if ! resolved=$(rosdep resolve "$key" --rosdistro "$distro" 2>/dev/null); then
        echo "rosdep-install: no rosdep rule for '$key': fix the package.xml that declares it" >&2
        exit 1
    fi
    # `rosdep resolve` prints '#<installer>' and then the package names.
    if [ "$(sed -n 's/^#//p' <<<"$resolved" | head -n 1)" = pip ]; then
        skip+=("$key")
    fi
done

echo "rosdep-install: left to requirements-system-ros.txt: ${skip[*]}"
rosdep install --from-paths "$src" --ignore-src --rosdistro "$distro" -y \
    -t buildtool -t build -t exec --skip-keys "${skip[*]}"
