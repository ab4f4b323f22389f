"""benchmarks/loss_curves.py reads each student's losses from the stage
cache's MMEngine scalars (a resumed run's lines replacing the earlier
run's) and summarises them; checked against a hand computation on
made-up logs. The stages are found by the keys the quality benchmark
files them under (the data folders given do not exist: quick keys)."""
import json
import os

import pytest

from benchmarks.long_check import stage_keys
from benchmarks.loss_curves import main
from mmfeatdistill.tools.experiments import EXPERIMENTS
from mmfeatdistill.tools.stage_cache import StageCache

TASK = 'cls'


def _stage(kind_or_name: str):
    return next(s for s in EXPERIMENTS[TASK].stages
                if kind_or_name in (s.kind, s.name))


def _demo_args(tmp_path) -> list:
    return [
        '--data-root',
        str(tmp_path / 'data'), '--pretrain-data-root',
        str(tmp_path / 'fmnist')
    ]


def _keys(tmp_path, task: str = TASK) -> dict:
    """Stage name -> key: the long schedule, seed 0, one thread."""
    return stage_keys(task, 'long', 0, '1', _demo_args(tmp_path))


def _write_run(cache: StageCache, key: str, run: str, lines: list) -> None:
    folder = f'{cache.entry(key).work_dir}/{run}/vis_data'
    os.makedirs(folder)
    with open(f'{folder}/scalars.json', 'w') as f:
        f.write('\n'.join(json.dumps(line) for line in lines) + '\n')


def _train(step: int, **losses) -> dict:
    return dict(lr=0.1, step=step, iter=step, loss=sum(losses.values()),
                **losses)


def _record(task: str, stage, test: float) -> dict:
    """A ledger record of ``stage`` at the task's long E, seed 0, one
    thread: ``test`` on the test split, one point less on validation."""
    epochs = EXPERIMENTS[task].schedules['long']['epochs']
    key = EXPERIMENTS[task].metrics[0].key
    return dict(
        config=stage.config, threads='1', date='2026-12-07 10:00',
        options=['randomness.seed=0', f'train_cfg.max_epochs={epochs}'],
        metrics={key: test}, val_metrics={key: test - 1})


def _rows(text: str) -> dict:
    """The written table's rows, by stage name."""
    return {
        line.split(' | ')[0].strip('| '): line
        for line in text.splitlines() if line.startswith('| ')
    }


def _setup(tmp_path, with_baseline: bool = True):
    cache = StageCache(str(tmp_path / 'cache'))
    records = {}
    keys = _keys(tmp_path)
    plain_key, ofd_key = keys[_stage('baseline').name], keys['OFD']

    def record(stage, key, test):
        records[key] = _record(TASK, stage, test)

    if with_baseline:
        # plain student: mmpretrain logs only the total ('loss')
        plain = [
            dict(lr=0.1, step=s, iter=s, loss=v)
            for s, v in zip(range(1, 21), [1.0] * 18 + [0.5, 0.7])
        ]
        _write_run(cache, plain_key, '20261207_100000', plain)
        record(_stage('baseline'), plain_key, 85.0)
    ofd = _stage('OFD')
    student = [1.0] * 18 + [0.4, 0.6]
    added = [2.0] + [1.0] * 17 + [0.2, 0.6]
    # the first run reached iteration 20 with other values (9.0) from
    # iteration 2 on; the resumed run (later timestamp) logged 11-20 again
    _write_run(
        cache, ofd_key, '20261207_100000',
        [_train(1, loss_student=1.0, loss_ofd=2.0)] +
        [_train(s, loss_student=9.0, loss_ofd=9.0) for s in range(2, 21)])
    # (a validation line, no lr, has the epoch as its step: not training)
    _write_run(cache, ofd_key, '20261207_110000', [
        _train(s, loss_student=student[s - 1], loss_ofd=added[s - 1])
        for s in range(11, 21)
    ] + [{
        EXPERIMENTS[TASK].metrics[0].key: 80.0,
        'step': 1
    }])
    record(ofd, ofd_key, 86.5)
    # another record of OFD's config, epochs, seed and threads (another
    # version of its config): not read
    records['f' * 64] = dict(_record(TASK, ofd, 99.0), date='2026-12-08')
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
        str(png), *_demo_args(tmp_path)
    ])
    rows = _rows(text)
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
            str(tmp_path / 'c.png'), *_demo_args(tmp_path)
        ])


def _dense_ledger(tmp_path, cache: StageCache, runs: dict) -> str:
    """A seg ledger: stage name -> its runs (timestamp -> lines), written
    into ``cache`` under the stage's key."""
    experiment = EXPERIMENTS['seg']
    keys = _keys(tmp_path, 'seg')
    records = {}
    for name, by_run in runs.items():
        key = keys[name]
        stage = next(s for s in experiment.stages if s.name == name)
        records[key] = _record('seg', stage, 40.0)
        for run, lines in by_run.items():
            _write_run(cache, key, run, lines)
    ledger = tmp_path / 'long.json'
    ledger.write_text(json.dumps(records))
    return str(ledger)


def _seg(tmp_path, runs: dict) -> dict:
    cache = StageCache(str(tmp_path / 'cache'))
    ledger = _dense_ledger(tmp_path, cache, runs)
    text = main([
        '--task', 'seg', '--ledger', ledger, '--cache', cache.root,
        '--threads', '1', '--out',
        str(tmp_path / 'r.md'), '--plot',
        str(tmp_path / 'c.png'), *_demo_args(tmp_path)
    ])
    return _rows(text)


def test_dense_task_loss_is_the_plain_students_keys(tmp_path):
    """A dense task's loss is the plain student's loss keys (the decoder's
    and the auxiliary head's); a resumed run replaces every later line of
    the earlier run; a term that starts at 0 is shown from 0; a stage that
    lacks the task's keys, or has no logs, gets a row that says so."""

    def seg(step, **extra):
        return _train(step, **{
            'decode.loss_ce': 0.5,
            'aux.loss_ce': 0.2
        }, **extra)

    rows = _seg(
        tmp_path,
        {
            'student (baseline)': {
                't1': [seg(s) for s in range(1, 21)]
            },
            # run 1 logged 1-20; the resumed run started from iteration 11's
            # checkpoint and logged 11-15 only (killed again): 16-20 of run 1
            # are gone (they would add 9.0 to the end)
            'KD': {
                't1': [seg(1, loss_kd=0.0)] +
                [seg(s, loss_kd=9.0) for s in range(2, 21)],
                't2': [seg(s, loss_kd=0.3) for s in range(11, 16)]
            },
            'OFD': {
                't1': [_train(s, loss_ofd=1.0) for s in range(1, 21)]
            },
            'PEFD': {},
        })
    # task = 0.5 + 0.2 over the last 10% of 20 iterations
    assert '| 20 | 0.7000 | - | - | - |' in rows['student (baseline)']
    # 15 iterations: the last 10% is iteration 15 (0.3); the first 5% is
    # iteration 1 (0.0)
    assert rows['KD'].endswith('| 15 | 0.7000 | +0.0000 | 0 -> 0.3000 | 30% |')
    assert 'the task loss (aux.loss_ce, decode.loss_ce) is not among the ' \
        'logged losses (loss_ofd)' in rows['OFD']
    assert f'no logs in {tmp_path}' in rows['PEFD']


def test_the_plain_students_logs_are_required(tmp_path):
    with pytest.raises(SystemExit, match='no logs of the plain student'):
        _seg(tmp_path, {'student (baseline)': {}})
