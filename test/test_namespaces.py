# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 robot_learning maintainers
"""``sim_learn`` under ``/robot1`` keeps its parameters, and ``up`` equals the launch file.

The profile runs twice, once with ``robot-learning up sim_learn --namespace /robot1`` (one
process per group) and once with ``sim_learn.launch.py namespace:=/robot1`` (one process per
node), each with the same user ``params_file`` written with bare ``<node>:`` keys. Both
times every node reports a value from config/ or the profile that differs from its code
default (a parameter file ignored under the namespace would leave the code default), and
the two graphs (node names, namespaces, published and subscribed topics) and parameter
values are the same.
"""

import time

from launch_support import (
    expected_parameters,
    fresh_domain,
    launch_available,
    LaunchRun,
    Probe,
    same_value,
)
import pytest
import yaml

pytestmark = pytest.mark.skipif(
    not launch_available(), reason='launch_ros not importable (make test-deps installs it)'
)

NAMESPACE = '/robot1'
#: Per node, values from config/*.yaml or config/profiles/sim_learn.yaml that differ from
#: the code defaults (in comments).
NON_DEFAULT = {
    'sim_node': {'mode': 'lockstep', 'camera_every': 0},  # code: 'realtime', 1
    'lidar_ingest': {'use_sim_time': True},  # code: False (profile use_sim_time)
    'policy_node': {'deterministic': False},  # code: True
    'sac_learner': {'sac.n_step': 1, 'use_sim_time': True},  # code: SACConfig.n_step 3
}


def _user_file(tmp_path):
    """Write a user parameter file with bare keys that keeps the run directory in tmp_path."""
    path = tmp_path / 'user.yaml'
    doc = {'sac_learner': {'ros__parameters': {'run_dir': str(tmp_path / 'learner')}}}
    path.write_text(yaml.safe_dump(doc))
    return path


def _snapshot(probe, nodes):
    """Parameters of every node (what the files and profile set) and the settled graph."""
    params = {}
    for n in nodes:
        fqn = f'{NAMESPACE}/{n["name"]}'
        want = expected_parameters(n)
        got = probe.get_parameters(fqn, sorted(want))
        for key, value in NON_DEFAULT[n['name']].items():
            assert key in got and same_value(got[key], value), (
                f'{fqn}: {key} is {got.get(key)!r}, config says {value!r} (file ignored?)'
            )
        if 'run_dir' in want:  # from the user's params_file (bare key, namespaced node)
            assert got['run_dir'] == want['run_dir'], f'{fqn}: user params_file ignored'
        params[fqn] = got
    # Publishers and subscriptions appear as each node finishes its start-up: wait until
    # two looks a second apart agree.
    previous, deadline = None, time.monotonic() + 60
    while time.monotonic() < deadline:
        graph = probe.graph()
        if graph == previous and set(params) <= set(graph):
            return params, graph
        previous = graph
        probe.spin(1.0)
    raise AssertionError(f'graph never settled: {previous}')


def test_sim_learn_under_a_namespace_keeps_parameters_and_up_equals_launch(tmp_path):
    from robot_learning_bringup.launch_description import profile_nodes
    from robot_learning_bringup.launcher import ProfileProcesses

    user = _user_file(tmp_path)
    nodes = profile_nodes('sim_learn', namespace=NAMESPACE, params_file=str(user))
    assert {n['name'] for n in nodes} == set(NON_DEFAULT)

    domain = fresh_domain()
    probe = Probe(domain)
    procs = ProfileProcesses(
        'sim_learn',
        [],
        NAMESPACE,
        log_dir=tmp_path / 'up',
        env={'ROS_DOMAIN_ID': str(domain)},
        params_file=str(user),
    )
    try:
        up_params, up_graph = _snapshot(probe, nodes)
        codes = procs.stop()
        assert all(c == 0 for c in codes.values()), codes
    finally:
        procs.stop()
        probe.close()
    assert '/robot1/cmd_vel' in up_graph['/robot1/policy_node']['pub']
    assert '/robot1/observation/scan' in up_graph['/robot1/sac_learner']['sub']

    domain = fresh_domain()
    probe = Probe(domain)
    run = LaunchRun(
        'sim_learn.launch.py',
        [f'namespace:={NAMESPACE}', f'params_file:={user}'],
        cwd=tmp_path,
        domain=domain,
        log=tmp_path / 'launch.log',
    )
    try:
        launch_params, launch_graph = _snapshot(probe, nodes)
        rc, _, orphans = run.stop()
        assert rc == 0 and not orphans, run.text()[-3000:]
    finally:
        run.kill()
        probe.close()

    assert launch_graph == up_graph
    for fqn, values in up_params.items():
        diff = {
            k: (v, launch_params[fqn].get(k))
            for k, v in values.items()
            if not same_value(v, launch_params[fqn].get(k))
        }
        assert not diff, f'{fqn}: up vs launch {diff}'
