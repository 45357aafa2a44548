# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 robot_learning maintainers
"""System test: record -> behaviour cloning -> closed-loop eval -> interventions -> retrain.

The ``make demo`` stages of issue 3 at toy size, real processes over real DDS topics.

Asserts the data path, not the success rate: the demo bags train a camera checkpoint,
the policy node runs it against the sim, the expert's takeovers are recorded as
interventions, and the retrained checkpoint is evaluated on the same seeds.
"""

import json
from pathlib import Path

from robot_learning import cli
from robot_learning.data.bagwriter import read_custom_data
from robot_learning.policy import load_policy


def test_demo_bc_and_dagger_stages(tmp_path):
    rc = cli.main(
        [
            'demo',
            '--stages',
            'record,bc,dagger',
            '--demo-episodes',
            '3',
            '--bc-minutes',
            '0.1',
            '--intervention-episodes',
            '2',
            '--bc-eval-episodes',
            '2',
            '--runs-dir',
            str(tmp_path),
        ]
    )
    assert rc == 0
    run = (tmp_path / 'latest').resolve()
    m = json.loads((run / 'metrics.json').read_text())
    assert m['demo_episodes'] == 3 and m['demo_expert_success_rate'] == 1.0
    for prefix in ('bc_eval_', 'bc_dagger_eval_'):
        assert m[prefix + 'episodes'] == 2 and 0.0 <= m[prefix + 'success_rate'] <= 1.0
        assert sum(v['episodes'] for v in m[prefix + 'success_per_instruction'].values()) == 2
    policy = load_policy(m['bc_checkpoint'])
    assert policy.needs_image  # the demo's BC is the camera policy
    # A barely trained policy stalls: the expert takes over, the recorder counts it.
    episodes = sorted((run / 'bags' / 'interventions').glob('episode_*'))
    assert len(episodes) == 2 and m['dagger_intervention_steps'] > 0
    assert (
        sum(int(read_custom_data(e)['intervention_steps']) for e in episodes)
        == m['dagger_intervention_steps']
    )
    train_m = json.loads((run / 'bc_dagger' / 'metrics.json').read_text())
    assert (
        train_m['train_transitions']
        > json.loads((run / 'bc' / 'metrics.json').read_text())['train_transitions']
    )
    assert Path(m['dagger_checkpoint']).exists()
    for png in ('bc_eval.png', 'bc_dagger_eval.png'):
        assert (run / png).stat().st_size > 0


def test_demo_rejects_unknown_stages(tmp_path, capsys):
    assert cli.main(['demo', '--stages', 'record,dance', '--runs-dir', str(tmp_path)]) == 2
    assert 'dance' not in capsys.readouterr().err.split(':', 1)[0]


def test_dagger_round_gated_by_the_policys_uncertainty(tmp_path):
    """``--dagger-takeover on_request``: policy_node's takeover requests make the takeovers.

    With a threshold below any uncertainty the policy asks every step; stall and obstacle
    gating are off (``on_request``, ``near_obstacle_m`` 0), so every recorded human step
    answers a request that went from policy_node to expert_teleop over DDS.
    """
    rc = cli.main(
        [
            'demo', '--stages', 'record,bc,dagger', '--demo-episodes', '2', '--bc-minutes',
            '0.05', '--bc-eval-episodes', '1', '--intervention-episodes', '2',
            '--dagger-takeover', 'on_request', '--takeover-uncertainty', '1e-9',
            '--uncertainty-samples', '4', '--set', 'expert_teleop.near_obstacle_m=0.0',
            '--runs-dir', str(tmp_path),
        ]
    )
    assert rc == 0
    m = json.loads(((tmp_path / 'latest').resolve() / 'metrics.json').read_text())
    assert m['dagger_takeover'] == 'on_request'
    assert m['dagger_episodes_with_interventions'] == 2 and m['dagger_intervention_steps'] > 0


def test_demo_rejects_a_set_for_no_stage_before_writing(tmp_path, capsys):
    assert cli.main(['demo', '--set', 'bogus_node.x=1', '--runs-dir', str(tmp_path)]) == 2
    assert "bogus_node.x=1: give node.param=value for a node of the demo's stages" in (
        capsys.readouterr().err
    )
    assert not any(tmp_path.iterdir())
