#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Install the system dependencies that the workspace's package.xml files declare, with
# rosdep, except those that requirements-system-ros.txt installs pinned with pip:
#   - every key that rosdep resolves with its pip installer (python3-mujoco-pip, ...),
#     which rosdep would `pip install` unpinned, outside the venv;
#   - the apt keys of packages that file pins too (PIN_FROM_PIP): Ubuntu's python3-torch
#     has no CUDA and is older than torch==2.13.0, python3-opencv is 4.6 with the GUI
#     libraries, and the others would be shadowed by the venv's pinned copy anyway.
#     python3-numpy and python3-yaml stay with apt: ROS itself imports them, and the file
#     pins them to Ubuntu 24.04's versions.
# Test dependencies are left out (-t): an image runs the suite, it does not test it.
#
# Usage: rosdep-install.sh [SRC_DIR]   (default: src; extra keys to skip: ROSDEP_SKIP_KEYS)
set -eo pipefail

src=${1:-src}
distro=${ROS_DISTRO:-jazzy}
PIN_FROM_PIP=(python3-torch python3-opencv python3-pil python3-matplotlib python3-tqdm
    python3-imageio python3-safetensors python3-tensorboard python3-mujoco python3-gymnasium)
read -r -a extra <<<"${ROSDEP_SKIP_KEYS:-}"
skip=("${PIN_FROM_PIP[@]}" "${extra[@]}")

keys=$(rosdep keys --from-paths "$src" --ignore-src --rosdistro "$distro" -t buildtool -t build -t exec)
for key in $keys; do
    if [[ " ${skip[*]} " == *" $key "* ]]; then
        continue
    fi
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
