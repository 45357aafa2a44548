# SPDX-License-Identifier: Apache-2.0
# The learner image for a GPU workstation: the same ROS 2 Jazzy base and workspace as
# docker/robot.Dockerfile, with the CUDA build of torch (`robot-learning train` and
# torchrun pick cuda:LOCAL_RANK; the online sac_learner node runs its updates on CPU).
#
# Why ros:jazzy-ros-base and not an nvidia/cuda base: torch's CUDA wheels carry their own
# CUDA runtime, cuBLAS, cuDNN and NCCL (the nvidia-* / cuda-toolkit wheels they depend
# on), so the image needs no CUDA toolkit, only the host's NVIDIA driver, which the NVIDIA
# Container Toolkit mounts in at run time (`--gpus all`, or the device reservation in
# docker/compose.yaml). An nvidia/cuda base would add a second, unused CUDA and leave ROS
# to be installed by hand; this way both images share every layer up to torch.
#
# PyPI's torch==2.13.0 is built for CUDA 13.0 and needs a host driver >= 580. For an older
# driver take a build for an older CUDA from the PyTorch index, e.g.
#   --build-arg TORCH_INDEX_URL=https://download.pytorch.org/whl/cu126
#
# Build from the repository root:
#   docker build -f docker/learner.Dockerfile -t robot_learning/learner:0.1.0 .
#   docker run --rm -it --gpus all --network host --ipc host -e ROS_DOMAIN_ID=0 \
#       -v "$PWD/runs:/data/runs" -v "$PWD/bags:/data/bags" robot_learning/learner:0.1.0 \
#       robot-learning train --algo bc --bags /data/bags --out runs/bc
FROM ros:jazzy-ros-base-noble

ARG TORCH_VERSION=2.13.0
ARG TORCH_INDEX_URL=
ARG USER_UID=1000

SHELL ["/bin/bash", "-o", "pipefail", "-c"]
# graphics: the NVIDIA toolkit then also mounts the driver's EGL library, so MuJoCo
# renders evaluation episodes on the GPU (MUJOCO_GL=egl); utility gives nvidia-smi.
ENV DEBIAN_FRONTEND=noninteractive \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PATH=/opt/venv/bin:$PATH \
    MUJOCO_GL=egl \
    NVIDIA_VISIBLE_DEVICES=all \
    NVIDIA_DRIVER_CAPABILITIES=compute,utility,graphics

# Not pinned to apt versions: the ROS and Ubuntu archives drop superseded ones.
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends \
        python3-venv python3-pip libegl1 libegl-mesa0 libgl1-mesa-dri libgbm1 libosmesa6 \
    && rm -rf /var/lib/apt/lists/*

# The same venv as the robot image, with torch's CUDA build (from PyPI, or from
# TORCH_INDEX_URL, whose `+cuXYZ` local version pip prefers to PyPI's).
COPY requirements-system-ros.txt /tmp/requirements-system-ros.txt
RUN python3 -m venv --system-site-packages /opt/venv \
    && touch /opt/venv/COLCON_IGNORE \
    && pip install ${TORCH_INDEX_URL:+--extra-index-url "$TORCH_INDEX_URL"} \
        "torch==${TORCH_VERSION}" -r /tmp/requirements-system-ros.txt \
    && python -c 'import numpy, torch; assert numpy.__version__ < "2" and torch.version.cuda'

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

COPY colcon.meta colcon.meta
COPY src src
COPY launch launch
COPY config config
RUN . "/opt/ros/$ROS_DISTRO/setup.bash" \
    && python -m colcon build --event-handlers console_cohesion+ \
    && rm -rf build log

COPY docker/entrypoint.sh /usr/local/bin/robot-learning-entrypoint
RUN if id -u ubuntu >/dev/null 2>&1; then userdel --remove ubuntu; fi \
    && useradd --create-home --uid "$USER_UID" --shell /bin/bash robot \
    && mkdir -p /data/runs /data/bags \
    && chown -R robot:robot /data
USER robot
WORKDIR /data

# The online learner with the suite's parameters (runs/learner under /data/runs); any
# other command replaces it, e.g. `robot-learning train ...` or `torchrun ...`.
ENTRYPOINT ["/usr/local/bin/robot-learning-entrypoint"]
CMD ["ros2", "run", "robot_learning_nodes", "sac_learner", "--ros-args", "--params-file", \
     "/ws/install/robot_learning_bringup/share/robot_learning_bringup/config/sac_learner.yaml"]
