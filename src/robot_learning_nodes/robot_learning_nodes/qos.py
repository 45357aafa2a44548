# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 robot_learning maintainers
"""QoS profiles of the nodes, chosen once (design.md, Interfaces).

Sensor subscriptions take the sensor-data profile; commands and episode events are
reliable; the instruction and streamed weights are latched for late joiners.
"""

from rclpy.qos import (
    DurabilityPolicy,
    HistoryPolicy,
    qos_profile_sensor_data,
    QoSProfile,
    ReliabilityPolicy,
)

#: Subscriptions to sensors: best effort, keep last 5 (REP-2003 sensor data QoS).
SENSOR_QOS = qos_profile_sensor_data
#: Publishers of sensor-like streams offer reliable delivery: compatible with best-effort
#: subscribers (ingestion) and with reliable ones (the recorder, which must drop nothing).
SENSOR_PUB_QOS = QoSProfile(
    history=HistoryPolicy.KEEP_LAST, depth=50, reliability=ReliabilityPolicy.RELIABLE
)
#: Commands and episode events: reliable, modest depth.
COMMAND_QOS = QoSProfile(
    history=HistoryPolicy.KEEP_LAST, depth=10, reliability=ReliabilityPolicy.RELIABLE
)
#: Streams the learner must not lose while it is busy with a gradient step.
DEEP_RELIABLE_QOS = QoSProfile(
    history=HistoryPolicy.KEEP_LAST, depth=1000, reliability=ReliabilityPolicy.RELIABLE
)
#: Latched topics (instruction, weights): late joiners get the last message.
LATCHED_QOS = QoSProfile(
    history=HistoryPolicy.KEEP_LAST,
    depth=1,
    reliability=ReliabilityPolicy.RELIABLE,
    durability=DurabilityPolicy.TRANSIENT_LOCAL,
)
#: State topics whose every change matters (``recorder/state``): latched like
#: :data:`LATCHED_QOS`, but deep, so two quick changes (``stopping``, then ``stopped``)
#: both reach a live reader and a late joiner gets the recent ones in order. The
#: publisher and every reader use it.
STATE_QOS = QoSProfile(
    history=HistoryPolicy.KEEP_LAST,
    depth=10,
    reliability=ReliabilityPolicy.RELIABLE,
    durability=DurabilityPolicy.TRANSIENT_LOCAL,
)
