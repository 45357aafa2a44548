# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 robot_learning maintainers
"""``episodes.jsonl`` of a recording session: one JSON line per kept episode, for humans.

Fields: ``dir``, ``instruction``, ``outcome``, ``messages``, ``episode``,
``start_time_ns``, ``stop_time_ns``, ``interventions``. The bags' own metadata is the
record datasets read; this file is a summary that a failed write must not stop.
"""

from __future__ import annotations

import json
import os
from pathlib import Path


def append_episode(path: Path, dirname: str, custom: dict, count: int) -> None:
    """Append the line of a kept episode (``custom``: the bag's custom_data).

    Raises:
        OSError: the file cannot be written.
    """
    line = {
        'dir': dirname,
        'instruction': custom['instruction'],
        'outcome': custom['outcome'],
        'messages': count,
        'episode': int(custom['episode']),
        'start_time_ns': int(custom['start_time_ns']),
        'stop_time_ns': int(custom['stop_time_ns']),
        'interventions': int(custom.get('interventions', 0)),
    }
    with open(path, 'a', encoding='utf8') as f:
        f.write(json.dumps(line) + '\n')


def rewrite_episode(path: Path, dirname: str, outcome: str | None) -> None:
    """Set the outcome of ``dirname``'s line, or drop the line (outcome None).

    A missing file is left missing; lines that are not JSON are kept as they are. The
    file is replaced atomically.

    Raises:
        OSError: the new file cannot be written.
    """
    try:
        lines = path.read_text('utf8').splitlines()
    except OSError:
        return
    out = []
    for text in lines:
        try:
            rec = json.loads(text)
        except ValueError:
            out.append(text)
            continue
        if rec.get('dir') == dirname:
            if outcome is None:
                continue
            rec['outcome'] = outcome
            text = json.dumps(rec)
        out.append(text)
    tmp = path.with_suffix('.jsonl.tmp')
    tmp.write_text(''.join(x + '\n' for x in out), 'utf8')
    os.replace(tmp, path)
