# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 robot_learning maintainers
"""A flood of broken compressed images: stderr stays bounded, the node keeps converting.

camera_ingest runs in its own process so that everything written on its fd 2 (rclpy
log lines, and whatever a decoder library prints there itself) is captured and counted.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import cv2
from diagnostic_msgs.msg import DiagnosticArray
import numpy as np
from sensor_msgs.msg import CompressedImage, Image


def broken_images() -> dict[str, bytes]:
    rng = np.random.default_rng(0)
    img = cv2.GaussianBlur(rng.integers(0, 255, (120, 160, 3), dtype=np.uint8), (5, 5), 2)
    png = cv2.imencode('.png', img)[1].tobytes()
    jpg = cv2.imencode('.jpg', img)[1].tobytes()
    return {
        'png_truncated': png[: len(png) // 2],
        'png_idat_crc': png[:60] + bytes([png[60] ^ 0xFF]) + png[61:],
        'png_ihdr_crc': png[:16] + bytes(8) + png[24:],
        'jpeg_truncated': jpg[: len(jpg) // 2],
        'jpeg_corrupt': jpg[:300] + bytes(b ^ 0x55 for b in jpg[300:400]) + jpg[400:],
        'garbage': b'\x89PNG\r\n\x1a\n' + bytes(200),
    }


def test_broken_png_and_jpeg_flood_keeps_stderr_bounded(ros, tmp_path):
    # The libraries themselves (libpng, libjpeg bundled with OpenCV) print one line each.
    cases = broken_images()
    err_path = tmp_path / 'stderr.txt'
    env = dict(os.environ, PYTHONUNBUFFERED='1')
    with open(err_path, 'wb') as err:
        proc = subprocess.Popen(
            [
                sys.executable,
                '-m',
                'robot_learning_nodes.camera_ingest',
                '--ros-args',
                '-r',
                f'__ns:={ros.ns}',
                '-p',
                'diagnostics.period_s:=0.2',
            ],
            stdout=subprocess.DEVNULL,
            stderr=err,
            env=env,
        )
    try:
        fqn = f'{ros.ns}/camera_ingest'
        status = {}

        def on_diag(msg):
            for st in msg.status:
                if st.hardware_id == fqn:
                    status.update({kv.key: kv.value for kv in st.values})
                    status['_level'] = st.level

        ros.helper.create_subscription(DiagnosticArray, '/diagnostics', on_diag, 50)
        out = ros.collect(Image, 'observation/image')
        pub = ros.helper.create_publisher(CompressedImage, 'image/compressed', 10)
        ros.wait_matched(pub, timeout=30.0)
        ros.spin_until(lambda: status, 30.0, 'diagnostics of the camera_ingest process')
        rounds = 150
        for _ in range(rounds):
            for name, data in cases.items():
                fmt = 'png' if name.startswith(('png', 'garbage')) else 'jpeg'
                pub.publish(CompressedImage(format=fmt, data=data))
            ros.spin_for(0.005)  # let the node keep up (sensor QoS drops what it cannot)
        broken = 5  # every case but the corrupt jpeg, which still decodes to pixels
        ros.spin_until(
            lambda: int(status.get('error_compressed', 0)) >= rounds * broken // 3,
            30.0,
            'broken images counted on /diagnostics',
        )
        assert proc.poll() is None, 'camera_ingest died'
        good = CompressedImage(format='png')
        good.header.stamp.sec = 77
        good.data = cv2.imencode('.png', np.full((48, 64, 3), 200, np.uint8))[1].tobytes()
        got = ros.send_until_output(pub, good, out, 77, timeout=30.0)
        assert (got.width, got.height) == (64, 64)
        assert set(bytes(got.data)) == {200}
        errors = int(status['error_compressed'])
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    lines = err_path.read_text(errors='replace').splitlines()
    assert not [ln for ln in lines if 'libpng' in ln or 'JPEG' in ln or 'WARN:' in ln], lines
    # Our own error line is throttled (one per 2 s per key), whatever the flood's size.
    assert len(lines) <= 10, f'{len(lines)} stderr lines for {errors} broken images:\n' + (
        '\n'.join(lines[:20])
    )
    assert errors >= rounds * broken // 3
