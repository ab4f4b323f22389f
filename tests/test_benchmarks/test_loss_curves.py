"""benchmarks/loss_curves.py reads each student's losses from the stage
cache's MMEngine scalars (a resumed run's lines replacing the earlier
run's) and summarises them; checked against a hand computation on
made-up logs."""
import json
import os

import pytest

from benchmarks.loss_curves import main
from mmfeatdistill.tools.experiments import EXPERIMENTS
from mmfeatdistill.tools.stage_cache import StageCache

TASK = 'cls'


def _stage(kind_or_name: str):
    return next(s for s in EXPERIMENTS[TASK].stages
                if kind_or_name in (s.kind, s.name))


def _write_run(cache: StageCache, key: str, run: str, lines: list) -> None:
    folder = f'{cache.entry(key).work_dir}/{run}/vis_data'
    os.makedirs(folder)
    with open(f'{folder}/scalars.json', 'w') as f:
        f.write('\n'.join(json.dumps(line) for line in lines) + '\n')


def _train(step: int, **losses) -> dict:
    return dict(lr=0.1, step=step, iter=step, loss=sum(losses.values()),
                **losses)


def _setup(tmp_path, with_baseline: bool = True):
    epochs = EXPERIMENTS[TASK].schedules['long']['epochs']
    top1 = EXPERIMENTS[TASK].metrics[0].key
    cache = StageCache(str(tmp_path / 'cache'))
    records = {}

    def record(stage, key, test):
        records[key] = dict(
            config=stage.config, threads='1', date='2026-12-07 10:00',
            options=['randomness.seed=0', f'train_cfg.max_epochs={epochs}'],
            metrics={top1: test}, val_metrics={top1: test - 1})

    if with_baseline:
        # plain student: mmpretrain logs only the total ('loss')
        plain = [
            dict(lr=0.1, step=s, iter=s, loss=v)
            for s, v in zip(range(1, 21), [1.0] * 18 + [0.5, 0.7])
        ]
        _write_run(cache, 'a' * 64, '20261207_100000', plain)
        record(_stage('baseline'), 'a' * 64, 85.0)
    ofd = _stage('OFD')
    student = [1.0] * 18 + [0.4, 0.6]
    added = [2.0] + [1.0] * 17 + [0.2, 0.6]
    # the first run reached iteration 20 with other values (9.0) from
    # iteration 2 on; the resumed run (later timestamp) logged 11-20 again
    _write_run(
        cache, 'b' * 64, '20261207_100000',
        [_train(1, loss_student=1.0, loss_ofd=2.0)] +
        [_train(s, loss_student=9.0, loss_ofd=9.0) for s in range(2, 21)])
    # (a validation line, no lr, has the epoch as its step: not training)
    _write_run(cache, 'b' * 64, '20261207_110000', [
        _train(s, loss_student=student[s - 1], loss_ofd=added[s - 1])
        for s in range(11, 21)
    ] + [{
        EXPERIMENTS[TASK].metrics[0].key: 80.0,
        'step': 1
    }])
    record(ofd, 'b' * 64, 86.5)
    ledger = tmp_path / 'long.json'
    ledger.write_text(json.dumps(records))
    return cache, ledger


def test_task_loss_and_added_terms_by_hand(tmp_path):
    cache, ledger = _setup(tmp_path)
    out, png = tmp_path / 'results.md', tmp_path / 'curves.png'
    text = main([
        '--task', TASK, '--ledger',
        str(ledger), '--cache', cache.root, '--threads', '1', '--out',
        str(out), '--plot',
        str(png)
    ])
    rows = {
        line.split(' | ')[0].strip('| '): line
        for line in text.splitlines() if line.startswith('| ')
    }
    plain = rows[_stage('baseline').name]
    # last 10% of 20 iterations: (0.5 + 0.7) / 2
    assert '| 85.00 | 84.00 | 20 | 0.6000 | - | - | - |' in plain
    # the resumed run's iterations 11-20 replace the first run's (9.0);
    # task (0.4 + 0.6) / 2 = 0.5, 0.1 below the plain student; added terms
    # from 2.0 (first 5%: iteration 1, from the first run) to
    # (0.2 + 0.6) / 2 = 0.4 (0.20x), 0.4 / (0.5 + 0.4) = 44% of the total
    assert rows['OFD'].endswith(
        '| 86.50 | 85.50 | 20 | 0.5000 | -0.1000 | 2.0000 -> 0.4000 (0.20x) '
        '| 44% |')
    assert png.stat().st_size > 0
    assert 'written by benchmarks/loss_curves.py' in out.read_text()


def test_the_plain_student_is_required(tmp_path):
    cache, ledger = _setup(tmp_path, with_baseline=False)
    with pytest.raises(SystemExit, match='plain student .* is not in'):
        main([
            '--task', TASK, '--ledger',
            str(ledger), '--cache', cache.root, '--threads', '1', '--out',
            str(tmp_path / 'r.md'), '--plot',
            str(tmp_path / 'c.png')
        ])
