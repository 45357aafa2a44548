# SPDX-License-Identifier: Apache-2.0
# The robot image: ROS 2 Jazzy from apt (the official ros-base image, Ubuntu 24.04,
# Python 3.12), the workspace built with colcon, and the CPU build of torch (a robot
# runs the policy node; no CUDA libraries on it).
#
# Build from the repository root (the build context; docker/compose.yaml uses the same):
#   docker build -f docker/robot.Dockerfile -t robot_learning/robot:0.1.0 .
#   docker run --rm -it --network host --ipc host -e ROS_DOMAIN_ID=0 \
#       -v "$PWD/runs:/data/runs" -v "$PWD/bags:/data/bags" robot_learning/robot:0.1.0 \
#       ros2 launch robot_learning_bringup robot_deploy.launch.py checkpoint:=/data/runs/...
FROM ros:jazzy-ros-base-noble

ARG TORCH_VERSION=2.13.0
# The uid that owns runs/ and bags/ on the host (volumes are written as this user).
ARG USER_UID=1000

SHELL ["/bin/bash", "-o", "pipefail", "-c"]
ENV DEBIAN_FRONTEND=noninteractive \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PATH=/opt/venv/bin:$PATH \
    MUJOCO_GL=egl

# python3-venv for the pinned packages; the rest is what MuJoCo's offscreen rendering
# needs (the Makefile's APT_PKGS), since the built-in world is part of the workspace.
# Not pinned to apt versions: the ROS and Ubuntu archives drop superseded ones.
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends \
        python3-venv python3-pip libegl1 libegl-mesa0 libgl1-mesa-dri libgbm1 libosmesa6 \
    && rm -rf /var/lib/apt/lists/*

# A venv that sees the system site-packages (apt's numpy 1.26, which rclpy and the
# generated messages are built against) takes everything rosdep has no pinned key for.
# COLCON_IGNORE keeps colcon from crawling it. `+cpu` picks the CPU build from the
# PyTorch CPU index; PyPI's torch of the same version is the CUDA build.
COPY requirements-system-ros.txt /tmp/requirements-system-ros.txt
RUN python3 -m venv --system-site-packages /opt/venv \
    && touch /opt/venv/COLCON_IGNORE \
    && pip install --extra-index-url https://download.pytorch.org/whl/cpu \
        "torch==${TORCH_VERSION}+cpu" -r /tmp/requirements-system-ros.txt \
    && python -c 'import numpy, torch; assert numpy.__version__ < "2" and not torch.version.cuda'

# System dependencies from the package.xml files alone first, so that this layer is
# rebuilt only when a package.xml changes. bringup's rosdep.yaml defines the pip keys
# that rosdistro lacks (python3-safetensors-pip, ...); it is a rosdep source like the
# default list (read after it, so rosdistro's own definitions win).
WORKDIR /ws
COPY docker/rosdep-install.sh /usr/local/bin/rosdep-install
COPY src/robot_learning/package.xml src/robot_learning/package.xml
COPY src/robot_learning_nodes/package.xml src/robot_learning_nodes/package.xml
COPY src/robot_learning_sim/package.xml src/robot_learning_sim/package.xml
COPY src/robot_learning_bringup/package.xml src/robot_learning_bringup/package.xml
COPY src/robot_learning_bringup/rosdep.yaml src/robot_learning_bringup/rosdep.yaml
RUN echo "yaml file:///ws/src/robot_learning_bringup/rosdep.yaml" \
        > /etc/ros/rosdep/sources.list.d/50-robot-learning.list \
    && apt-get update \
    && rosdep update --rosdistro "$ROS_DISTRO" \
    && rosdep-install src \
    && rm -rf /var/lib/apt/lists/*

# The workspace: robot_learning_bringup installs the top-level launch/ and config/.
# `python -m colcon` runs colcon under the venv's interpreter, so the nodes' scripts
# start with the venv's python (as the ROS 2 docs recommend for a venv).
COPY colcon.meta colcon.meta
COPY src src
COPY launch launch
COPY config config
RUN . "/opt/ros/$ROS_DISTRO/setup.bash" \
    && python -m colcon build --event-handlers console_cohesion+ \
    && rm -rf build log

# A non-root user; runs/ and bags/ under /data are the volumes (the nodes' relative
# defaults, runs/learner and bags, land there since /data is the working directory).
# Ubuntu 24.04 images already have a user `ubuntu` with uid 1000.
COPY docker/entrypoint.sh /usr/local/bin/robot-learning-entrypoint
RUN if id -u ubuntu >/dev/null 2>&1; then userdel --remove ubuntu; fi \
    && useradd --create-home --uid "$USER_UID" --shell /bin/bash robot \
    && mkdir -p /data/runs /data/bags \
    && chown -R robot:robot /data
USER robot
WORKDIR /data

ENTRYPOINT ["/usr/local/bin/robot-learning-entrypoint"]
CMD ["ros2", "launch", "robot_learning_bringup", "robot_deploy.launch.py"]
