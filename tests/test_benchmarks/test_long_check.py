"""benchmarks/long_check.py applies issue 28's convergence rule (2E within
0.3 points of E, on validation) to the plain student's ledger records of
the thread count asked for."""
import json

import pytest

from benchmarks.long_check import MISSING, NOT_CONVERGED, main
from mmfeatdistill.tools.experiments import EXPERIMENTS

TASK = 'seg'


def _record(epochs: int, value: float, threads: str = '1',
            date: str = '2026-12-07 08:00', seed: int = 0) -> dict:
    baseline = next(s for s in EXPERIMENTS[TASK].stages
                    if s.kind == 'baseline')
    key = EXPERIMENTS[TASK].metrics[0].key
    return dict(
        config=baseline.config, threads=threads, date=date,
        options=[f'randomness.seed={seed}', f'train_cfg.max_epochs={epochs}'],
        val_metrics={key: value}, metrics={key: value + 5})


def _check(tmp_path, records: list, *extra: str) -> int:
    ledger = tmp_path / 'long.json'
    ledger.write_text(json.dumps({str(i): r for i, r in enumerate(records)}))
    return main([
        '--task', TASK, '--epochs', '48', '96', '--threads', '1', '--ledger',
        str(ledger), *extra
    ])


@pytest.mark.parametrize('late, expected', [(39.30, 0), (39.40, NOT_CONVERGED),
                                            (38.00, 0)])
def test_the_rule_compares_validation_at_e_and_2e(tmp_path, late, expected):
    assert _check(tmp_path, [_record(48, 39.07), _record(96, late)]) == \
        expected


def test_other_threads_seeds_and_older_records_do_not_count(tmp_path):
    records = [
        _record(48, 39.0),
        # the same stage at 2 threads, or seed 1: another run
        _record(96, 39.1, threads='2'),
        _record(96, 39.1, seed=1),
    ]
    assert _check(tmp_path, records) == MISSING
    # the newest record of a stage wins
    records += [
        _record(96, 39.1, date='2026-12-07 09:00'),
        _record(96, 45.0, date='2026-12-07 10:00')
    ]
    assert _check(tmp_path, records) == NOT_CONVERGED
    assert _check(tmp_path, records, '--tolerance', '6') == 0


def test_an_empty_ledger_is_missing(tmp_path):
    assert main([
        '--task', TASK, '--epochs', '1', '2', '--ledger',
        str(tmp_path / 'none.json')
    ]) == MISSING
