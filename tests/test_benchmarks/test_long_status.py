"""benchmarks/long_status.py says where each long-run stage stands, from
the stage ledger and cache entries filed under the keys the quality
benchmark uses: done (ledger or cache), running (its entry locked by a
run), interrupted (a checkpoint, no run) or not started; a running
stage's position comes from its newest log."""
import json
import os
import os.path as osp

from benchmarks.long_check import stage_keys
from benchmarks.long_status import last_position, main, status_rows, sweep_keys
from mmfeatdistill.tools.demo import HEADS_STEP, PRETRAIN_STEP
from mmfeatdistill.tools.experiments import EXPERIMENTS
from mmfeatdistill.tools.stage_cache import StageCache

TASK = 'seg'
EXPERIMENT = EXPERIMENTS[TASK]
METRIC = EXPERIMENT.metrics[0].key
EPOCHS = EXPERIMENT.schedules['long']['epochs']


def _demo_args(tmp_path) -> list:
    """Data folders that do not exist: quick keys."""
    return [
        '--data-root',
        str(tmp_path / 'scenes'), '--pretrain-data-root',
        str(tmp_path / 'fmnist')
    ]


def _log(work_dir: str, run: str, lines: list) -> None:
    folder = osp.join(work_dir, run)
    os.makedirs(folder, exist_ok=True)
    with open(osp.join(folder, f'{run}.log'), 'w') as f:
        f.write(''.join(line + '\n' for line in lines))


def test_states_and_positions(tmp_path):
    keys = stage_keys(TASK, 'long', 0, '1', _demo_args(tmp_path), steps=True)
    tofd = next(s.name for s in EXPERIMENT.stages if s.teacher_heads)
    assert tofd + HEADS_STEP in keys
    assert {'student' + PRETRAIN_STEP, 'teacher' + PRETRAIN_STEP} <= set(keys)
    cache = StageCache(str(tmp_path / 'cache'))
    # in the ledger: the teacher and TOFD (its teacher-heads step never
    # ran on this machine); in the cache: the plain student
    ledger = tmp_path / 'long.json'
    ledger.write_text(
        json.dumps({
            keys['teacher']:
            dict(metrics={METRIC: 55.0}, val_metrics={METRIC: 54.0},
                 time=7200.0),
            keys[tofd]:
            dict(metrics={METRIC: 43.0}, val_metrics={METRIC: 42.0},
                 time=3600.0, teacher_heads_time=5400.0),
        }))
    baseline = cache.entry(keys['student (baseline)'])
    baseline.save_result(
        dict(metrics={METRIC: 40.5}, val_metrics={METRIC: 39.5}, files=[],
             time=3600.0))
    # KD interrupted at a checkpoint, its newest run's log at epoch 3
    kd = cache.entry(keys['KD'])
    cache.describe(keys['KD'], {}, 'kd.py', [f'train_cfg.max_epochs={EPOCHS}'])
    _log(kd.work_dir, '20261207_010000', [
        '2026/12/07 01:00:05 - mmengine - INFO - Epoch(train) [1][50/500] x',
    ])
    _log(kd.work_dir, '20261207_020000', [
        '2026/12/07 02:00:05 - mmengine - INFO - Epoch(train) [3][10/500] x',
        '2026/12/07 02:00:09 - mmengine - INFO - Epoch(train) [3][20/500] '
        ' lr: 3.2893e-01  eta: 2:33:03  time: 0.6379',
        '2026/12/07 02:00:10 - mmengine - INFO - Saving checkpoint',
    ])
    with open(osp.join(kd.work_dir, 'last_checkpoint'), 'w') as f:
        f.write(osp.join(kd.work_dir, 'iter_1000.pth'))
    # feature MSE running: a run holds its entry; OFD's run holds its
    # entry too, but has logged no training line yet
    mse = cache.entry(keys['feature MSE'])
    _log(mse.work_dir, '20261207_030000', [
        '2026/12/07 03:00:00 - mmengine - INFO - Iter(train) [ 70/900] x',
    ])
    with mse.lock(), cache.entry(keys['OFD']).lock():
        rows = status_rows([TASK], [0, 1], '1', str(ledger),
                           str(tmp_path / 'cache'), _demo_args(tmp_path))
    # the teacher and the pretraining steps (seed 0's for every seed) are
    # listed once
    assert [r['stage'] for r in rows].count('teacher') == 1
    assert {
        r['seed']
        for r in rows
        if 'pretraining' in r['stage'] or HEADS_STEP in r['stage']
    } == {'0'}
    rows = [r for r in rows if r['seed'] == '0']
    by_stage = {r['stage']: r for r in rows}
    # the long sweeps' variants (seed 0): a row each, but the variant
    # without options (its stage's key: the stage's row)
    sweeps = sweep_keys(TASK, '1', _demo_args(tmp_path))
    variants = {n for n, k in sweeps.items() if k not in keys.values()}
    assert variants and len(variants) < len(sweeps)
    assert set(by_stage) == set(keys) | variants | {
        f'student (baseline), 2E={2 * EPOCHS}'
    }
    for name in variants:
        assert by_stage[name]['state'] == 'not started'
        assert by_stage[name]['key'] == sweeps[name][:12]
    assert by_stage['teacher']['state'] == 'done (ledger)'
    assert by_stage['teacher']['result'] == '55.00 / 54.00 (2.0 h)'
    assert by_stage['student (baseline)']['state'] == 'done (cache)'
    assert by_stage['student (baseline)']['result'] == '40.50 / 39.50 (1.0 h)'
    assert by_stage['KD']['state'] == 'interrupted'
    total = 500 * EPOCHS
    assert by_stage['KD']['position'] == (
        f'iter 1020 of {total} ({100 * 1020 / total:.0f}%), logged '
        '2026/12/07 02:00:09, eta 2:33:03; checkpoint iter_1000.pth')
    assert by_stage['feature MSE']['state'] == 'running'
    assert by_stage['feature MSE']['position'] == \
        'iter 70 of 900 (8%), logged 2026/12/07 03:00:00'
    assert by_stage['OFD']['state'] == 'running'
    assert by_stage['OFD']['position'].startswith('no training log line')
    assert by_stage[tofd]['state'] == 'done (ledger)'
    # TOFD's heads step (shared by the seeds, one row) is still needed by
    # seed 1's TOFD
    assert by_stage[tofd + HEADS_STEP]['state'] == 'not started'
    for name in ('student' + PRETRAIN_STEP, 'PEFD'):
        assert by_stage[name]['state'] == 'not started', name
    assert by_stage['KD']['key'] == keys['KD'][:12]
    # no run holds the entry now: feature MSE is interrupted (no
    # checkpoint yet counts as not started)
    again = {
        r['stage']: r
        for r in status_rows([TASK], [0], '1', str(ledger),
                             str(tmp_path / 'cache'), _demo_args(tmp_path))
    }
    assert again['feature MSE']['state'] == 'not started'
    # seed 0 alone: the heads step's only stage is done
    assert again[tofd + HEADS_STEP]['state'] == \
        'not needed (its stages are done)'
    assert again[tofd + HEADS_STEP]['result'] == '(1.5 h)'
    # the command prints the table
    text = main([
        '--tasks', TASK, '--threads', '1', '--ledger',
        str(ledger), '--cache-dir',
        str(tmp_path / 'cache'), *_demo_args(tmp_path)
    ])
    assert '| seg | 0 | KD | interrupted |' in text


def test_a_log_without_training_lines_has_no_position(tmp_path):
    _log(str(tmp_path), '20261207_010000', ['2026/12/07 01:00:00 - start'])
    assert last_position(str(tmp_path), 48) is None


def test_sweep_keys_are_those_the_sweep_runs(monkeypatch, tmp_path):
    """The keys long_status lists a sweep's variants under are those of
    the stages ``benchmarks/sweep.py`` runs (its demo arguments and its
    widened experiment), as ``benchmarks/long_runs.sh`` calls it."""
    from benchmarks import sweep as sweep_script
    from benchmarks.long_check import REPO, chdir, torch_threads
    from mmfeatdistill.tools import demo
    runs = []

    def main(argv, experiment):
        runs.append((argv, experiment))
        raise KeyboardInterrupt  # (no run: its arguments are enough)

    monkeypatch.setattr(demo, 'main', main)
    for sweep in EXPERIMENT.sweeps['long']:
        runs.clear()
        try:
            sweep_script.main([
                '--task', TASK, '--schedule', 'long', *sweep.argv, '--seeds',
                '0', '--resume', '--jobs', '2', *_demo_args(tmp_path)
            ])
        except KeyboardInterrupt:
            pass
        (argv, experiment), = runs
        names = [s.name for s in experiment.stages[len(EXPERIMENT.stages):]]
        assert len(names) == len(sweep.variants)
        with torch_threads('1'), chdir(REPO):
            ran = demo.stage_keys_of(argv, experiment, names=names)
        listed = sweep_keys(TASK, '1', _demo_args(tmp_path))
        assert ran == {n: listed[n] for n in names}
