"""benchmarks/long_check.py applies issue 28's convergence rule (2E within
0.3 points of E, on validation) to the plain student's ledger records,
found by the keys the quality benchmark files them under (the thread
count, seed and epochs asked for; nothing else with the same config)."""
import json

import pytest

from benchmarks.long_check import MISSING, NOT_CONVERGED, main, stage_keys
from mmfeatdistill.tools.experiments import EXPERIMENTS

TASK = 'seg'
BASELINE = next(s for s in EXPERIMENTS[TASK].stages if s.kind == 'baseline')


def _demo_args(tmp_path) -> list:
    """Data folders that do not exist: quick keys (the keys cover data
    folders by content)."""
    return [
        '--data-root',
        str(tmp_path / 'scenes'), '--pretrain-data-root',
        str(tmp_path / 'fmnist')
    ]


def _record(tmp_path, epochs: int, value: float, threads: str = '1',
            seed: int = 0) -> tuple:
    """The key and ledger record of the plain student trained ``epochs``
    epochs (``value`` on validation)."""
    key = stage_keys(TASK, 'long', seed, threads,
                     _demo_args(tmp_path) +
                     ['--epochs', str(epochs)], [BASELINE.name])[BASELINE.name]
    metric = EXPERIMENTS[TASK].metrics[0].key
    return key, dict(
        config=BASELINE.config, threads=threads, date='2026-12-07 08:00',
        options=[f'randomness.seed={seed}', f'train_cfg.max_epochs={epochs}'],
        val_metrics={metric: value}, metrics={metric: value + 5})


def _check(tmp_path, records: list, *extra: str) -> int:
    ledger = tmp_path / 'long.json'
    ledger.write_text(json.dumps(dict(records)))
    return main([
        '--task', TASK, '--epochs', '48', '96', '--threads', '1', '--ledger',
        str(ledger), *extra, *_demo_args(tmp_path)
    ])


@pytest.mark.parametrize('late, expected', [(39.30, 0), (39.40, NOT_CONVERGED),
                                            (38.00, 0)])
def test_the_rule_compares_validation_at_e_and_2e(tmp_path, late, expected):
    assert _check(tmp_path,
                  [_record(tmp_path, 48, 39.07),
                   _record(tmp_path, 96, late)]) == expected


def test_other_threads_seeds_and_records_do_not_count(tmp_path):
    e = _record(tmp_path, 48, 39.0)
    two_e_key, two_e = _record(tmp_path, 96, 45.0)
    records = [
        e,
        # the same stage at 2 threads, or seed 1: another run
        _record(tmp_path, 96, 39.1, threads='2'),
        _record(tmp_path, 96, 39.1, seed=1),
        # a record of the same config, epochs, seed and threads under
        # another key (another version of the config, other options)
        ('f' * 64,
         dict(two_e, val_metrics={k: 39.1
                                  for k in two_e['val_metrics']},
              date='2026-12-08 08:00')),
    ]
    assert _check(tmp_path, records) == MISSING
    records.append((two_e_key, two_e))
    assert _check(tmp_path, records) == NOT_CONVERGED
    assert _check(tmp_path, records, '--tolerance', '6') == 0


def test_an_empty_ledger_is_missing(tmp_path):
    assert main([
        '--task', TASK, '--epochs', '1', '2', '--ledger',
        str(tmp_path / 'none.json'), *_demo_args(tmp_path)
    ]) == MISSING


def test_keys_do_not_depend_on_the_working_directory(monkeypatch, tmp_path):
    """The demo's default data folders are relative: the keys are those
    of a run from the repository's root, wherever the check runs."""
    from benchmarks.long_check import REPO
    keys = []
    for where in (tmp_path, REPO):
        monkeypatch.chdir(where)
        keys.append(stage_keys(TASK, 'long', 0, '1', names=[BASELINE.name]))
    assert keys[0] == keys[1]


@pytest.mark.parametrize('args, message', [
    (['--task', 'nope'], "--task 'nope': not a task of the experiment table"),
    (['--task', TASK, '--schedule', 'nope'
      ], f"--schedule 'nope': not a schedule of task '{TASK}'"),
])
def test_unknown_task_or_schedule_names_the_choices(capsys, args, message):
    with pytest.raises(SystemExit):
        main(args + ['--epochs', '1', '2'])
    assert message in capsys.readouterr().err
