# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 robot_learning maintainers
"""System test: the demo's online stage with every lever, at toy size, over real topics.

record -> Cal-QL offline pretraining on the demo bags -> online SAC in ``sim_learn`` with
the supervising expert (``interventions:=true``) and the update in its own process, from
the pretrained state -> closed-loop evaluation. Asserts the data path and the report (the
online stage first in metrics.json, human steps counted), not the success rate.
"""

import json

from robot_learning import cli


def test_demo_sac_stage_with_every_lever(tmp_path, capsys):
    rc = cli.main(
        [
            'demo',
            '--stages',
            'record,sac',
            '--demo-episodes',
            '2',
            '--sac-init',
            'calql',
            '--sac-pretrain-minutes',
            '0.1',
            '--sac-critic-warmup',
            '20',
            '--sac-interventions',
            'on',
            '--learn-steps',
            '400',
            '--learn-minutes',
            '1.5',
            '--eval-episodes',
            '2',
            '--runs-dir',
            str(tmp_path),
        ]
    )
    assert rc == 0
    run = (tmp_path / 'latest').resolve()
    m = json.loads((run / 'metrics.json').read_text())
    assert next(iter(m)) == 'eval_success_rate'  # the online stage is the headline
    assert 0.0 <= m['eval_success_rate'] <= 1.0 and m['eval_episodes'] == 2
    assert m['sac_levers'] == {'interventions': True, 'init': 'calql', 'update_process': True}
    pre = run / 'sac_pretrain' / 'checkpoints' / 'last' / 'checkpoint.json'
    assert json.loads(pre.read_text())['algorithm'] == 'sac'
    ckpts = run / 'learner' / 'checkpoints'
    latest = json.loads((ckpts / 'latest' / 'checkpoint.json').read_text())
    assert latest['init_from'] == str(pre.parent)
    rows = [
        json.loads(line)
        for line in (run / 'learner' / 'episodes.jsonl').read_text().splitlines()
        if line.strip()
    ]
    assert rows and all('human_steps' in r for r in rows)
    assert m['sac_human_steps'] == sum(r['human_steps'] for r in rows)
    summary = capsys.readouterr().out
    assert summary.index('"eval_success_rate"') < summary.index('"demo_episodes"')
