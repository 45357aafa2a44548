#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Entrypoint of the robot and learner images: source ROS 2 (the underlay) and the
# workspace (the overlay), make the venv's pinned packages importable from every Python
# process, then run the command in place of this shell (so it gets the container's
# signals: `docker stop` sends SIGTERM to `ros2 launch`, which stops its nodes).
#
# RL_UNDERLAY and RL_OVERLAY override the two setup locations; RL_VENV the venv.
set -e

underlay=${RL_UNDERLAY:-/opt/ros/${ROS_DISTRO:-jazzy}}
overlay=${RL_OVERLAY:-/ws/install}
venv=${RL_VENV:-/opt/venv}

for setup in "$underlay/setup.bash" "$overlay/setup.bash"; do
    if [ ! -f "$setup" ]; then
        echo "entrypoint: $setup not found: build the image from the repository root" >&2
        exit 1
    fi
    # shellcheck disable=SC1090
    source "$setup"
done

# ros2 and the launch files run under /usr/bin/python3 (their shebang), not the venv's
# python: appending the venv's site-packages lets them import torch and the rest too,
# after ROS's own paths so that rclpy and the messages stay those of /opt/ros.
for site in "$venv"/lib/python3*/site-packages; do
    if [ -d "$site" ]; then
        export PYTHONPATH="${PYTHONPATH:+$PYTHONPATH:}$site"
    fi
done

if [ "$#" -eq 0 ]; then
    set -- bash
fi
exec "$@"
