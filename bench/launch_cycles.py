# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 robot_learning maintainers
"""Start and stop every launch file N times in a row under launch (issue-8 target).

Each cycle runs ``launch/<x>.launch.py`` as ``ros2 launch`` does (``ros2launch.api.
launch_a_launch_file`` in a session of its own), waits until every node publishes
``/diagnostics`` (start time) and, for a learner, until it holds a transition, then sends
Ctrl-C and measures the stop: seconds until launch returned, processes of the session left
running (orphans, from /proc), nodes launch had to escalate to SIGTERM/SIGKILL, and whether
the learner's final checkpoint holds the counters it logged last. ``--full-buffer`` also
times the learner's real shutdown path (``SacLearner.close``) with a full 300000-row buffer.

    python bench/launch_cycles.py                       # every launch file, 10 cycles
    python bench/launch_cycles.py --cycles 3 --files sim_learn.launch.py --full-buffer
"""

from __future__ import annotations

import argparse
from pathlib import Path
import re
import statistics
import sys
import tempfile
import time

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / 'test'))

from launch_support import (  # noqa: E402
    checkpoint_meta,
    expected_parameters,
    fresh_domain,
    LAUNCH_DIR,
    LaunchRun,
    Probe,
    tiny_navigation_checkpoint,
)

_FINAL = re.compile(r'final checkpoint: (\d+) transitions, (\d+) updates, .* in ([\d.]+) s')


def one_cycle(launch_file: str, work: Path) -> dict:
    """Start, wait for every node (and a learner transition), stop; the figures."""
    from robot_learning_bringup.launch_description import profile_nodes
    from robot_learning_bringup.profiles import load_profile

    profile = launch_file[: -len('.launch.py')]
    args, options = [], {}
    if load_profile(profile).get('checkpoint_node'):
        ckpt = work / 'ckpt'
        if not ckpt.exists():
            tiny_navigation_checkpoint(ckpt)
        args.append(f'checkpoint:={ckpt}')
        options['checkpoint'] = str(ckpt)
    nodes = profile_nodes(profile, **options)
    fqns = [f'{n["namespace"]}/{n["name"]}' for n in nodes]
    learners = [n for n in nodes if n['executable'] == 'sac_learner']
    domain = fresh_domain()
    probe = Probe(domain)
    run = LaunchRun(launch_file, args, cwd=work, domain=domain, log=work / 'launch.log')
    out = {'ok': False}
    try:
        probe.wait_for(lambda: set(fqns) <= set(probe.diagnostics), 180, 'every node')
        out['start_s'] = time.monotonic() - run.started
        for n in learners:
            fqn = f'{n["namespace"]}/{n["name"]}'
            probe.wait_for(
                lambda fqn=fqn: int(probe.diagnostics.get(fqn, {}).get('transitions', 0)),
                120,
                'a transition',
            )
        rc, out['stop_s'], orphans = run.stop()
        text = run.text()
        out['orphans'] = len(orphans)
        out['sigterm'] = text.count("escalating to 'SIGTERM'")
        out['sigkill'] = text.count("escalating to 'SIGKILL'")
        out['died'] = text.count('process has died')
        out['checkpoints'] = 0
        out['save_s'] = []
        for n in learners:
            run_dir = work / str(expected_parameters(n)['run_dir'])
            final = _FINAL.findall(text)
            meta = checkpoint_meta(run_dir / 'checkpoints' / 'latest')
            if final and (meta.get('env_steps'), meta.get('updates')) == tuple(
                map(int, final[-1][:2])
            ):
                out['checkpoints'] += 1
                out['save_s'].append(float(final[-1][2]))
        out['learners'] = len(learners)
        out['ok'] = rc == 0 and not orphans and not out['died']
    except AssertionError as exc:
        out['error'] = str(exc)
        out['orphans'] = len(run.stop()[2])
    finally:
        run.kill()
        probe.close()
    return out


def full_buffer_close(rows: int = 300000) -> tuple[float, str]:
    """Seconds ``SacLearner.close()`` takes with ``rows`` in the replay buffer, its line."""
    import numpy as np
    import rclpy
    from rclpy.parameter import Parameter
    from robot_learning_nodes.sac_learner import SacLearner

    with tempfile.TemporaryDirectory() as tmp:
        rclpy.init()
        try:
            node = SacLearner(
                parameter_overrides=[
                    Parameter('run_dir', value=tmp),
                    Parameter('buffer_capacity', value=rows),
                ]
            )
            rng = np.random.default_rng(0)
            d, a = node.obs_cfg.dim, node.act_cfg.dim
            node.learner.online.add_many(
                rng.random((rows, d), dtype=np.float32),
                rng.random((rows, a), dtype=np.float32),
                rng.random(rows, dtype=np.float32),
                rng.random((rows, d), dtype=np.float32),
                np.zeros(rows, dtype=np.float32),
            )
            t0 = time.monotonic()
            node.close()
            seconds = time.monotonic() - t0
            size = sum(f.stat().st_size for f in Path(tmp).rglob('*') if f.is_file())
            node.destroy_node()
        finally:
            rclpy.try_shutdown()
    return seconds, f'{size / 1e6:.0f} MB on disk'


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--cycles', type=int, default=10)
    ap.add_argument('--files', nargs='*', default=None, help='launch file names (default: all)')
    ap.add_argument('--full-buffer', action='store_true', help='also time close() at 300000 rows')
    a = ap.parse_args()
    files = a.files or sorted(p.name for p in LAUNCH_DIR.glob('*.launch.py'))
    if a.full_buffer:
        seconds, size = full_buffer_close()
        print(f'final checkpoint, 300000-row buffer: close() {seconds:.2f} s ({size})', flush=True)
    print(
        f'{"launch file":32s} {"ok":>5s} {"start s (med/max)":>18s} {"stop s (med/max)":>17s} '
        f'{"orphans":>7s} {"SIGTERM":>7s} {"SIGKILL":>7s} {"final ckpt":>10s} {"save s max":>10s}',
        flush=True,
    )
    bad = 0
    for launch_file in files:
        rows = []
        with tempfile.TemporaryDirectory(prefix='launch_cycles_') as tmp:
            for i in range(a.cycles):
                work = Path(tmp) / f'cycle{i}'
                work.mkdir()
                first = Path(tmp) / 'cycle0' / 'ckpt'
                if first.is_dir():  # the checkpoint of the first cycle serves all of them
                    (work / 'ckpt').symlink_to(first)
                r = one_cycle(launch_file, work)
                rows.append(r)
                print(
                    f'  {launch_file} cycle {i}: ok {r["ok"]}, start {r.get("start_s", 0):.1f} s, '
                    f'stop {r.get("stop_s", 0):.1f} s, orphans {r.get("orphans")}, SIGTERM '
                    f'{r.get("sigterm")}, died {r.get("died")}, final checkpoints '
                    f'{r.get("checkpoints", 0)}/{r.get("learners", 0)} {r.get("error", "")}',
                    file=sys.stderr,
                    flush=True,
                )
                if not r['ok']:
                    name = f'launch_cycles_failed_{launch_file}_{i}.log'
                    keep = Path(tempfile.gettempdir()) / name
                    keep.write_text((work / 'launch.log').read_text(errors='replace'))
        ok = sum(r['ok'] for r in rows)
        bad += len(rows) - ok
        starts = [r['start_s'] for r in rows if 'start_s' in r] or [float('nan')]
        stops = [r['stop_s'] for r in rows if 'stop_s' in r] or [float('nan')]
        saves = [s for r in rows for s in r.get('save_s', [])]
        total = {k: sum(r.get(k, 0) for r in rows) for k in (
            'checkpoints', 'learners', 'orphans', 'sigterm', 'sigkill')}
        ckpt = f'{total["checkpoints"]}/{total["learners"]}'
        print(
            f'{launch_file:32s} {ok:>2d}/{len(rows):<2d} '
            f'{statistics.median(starts):8.1f}/{max(starts):<8.1f} '
            f'{statistics.median(stops):8.1f}/{max(stops):<7.1f} '
            f'{total["orphans"]:7d} {total["sigterm"]:7d} {total["sigkill"]:7d} {ckpt:>10s} '
            f'{max(saves) if saves else float("nan"):10.2f}',
            flush=True,
        )
    return 1 if bad else 0


if __name__ == '__main__':
    sys.exit(main())
