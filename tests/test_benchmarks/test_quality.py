"""benchmarks/quality.py's summary: gains over the plain student and over
logit KD, seeds ahead and "beyond 1 std", checked against a hand
computation on made-up results of three seeds."""
import pytest

from benchmarks.quality import (default_versus, demo_argv, format_rows,
                                stage_hours, summarise)
from mmfeatdistill.tools.experiments import EXPERIMENTS

TOP1 = 'accuracy/top1'


def results(values: dict) -> list:
    """One seed's demo results: stage name -> top-1."""
    return [
        dict(name=name, metrics={TOP1: v}, val_metrics={TOP1: v - 1},
             time=10.0) for name, v in values.items()
    ]


def test_gains_over_the_baseline_and_kd():
    experiment = EXPERIMENTS['cls']
    names = [s.name for s in experiment.stages]
    teacher, plain, kd, ofd = names[0], names[1], 'KD', 'OFD'
    assert default_versus(experiment) == kd
    per_seed = [
        results({
            teacher: 90.0,
            plain: 80.0,
            kd: 82.0,
            ofd: 83.0
        }),
        results({
            teacher: 90.0,
            plain: 81.0,
            kd: 83.0,
            ofd: 82.5
        }),
        results({
            teacher: 90.0,
            plain: 82.0,
            kd: 84.0,
            ofd: 85.5
        }),
    ]
    rows = {r['name']: r for r in summarise(per_seed, experiment, kd)}
    assert list(rows) == [teacher, plain, kd, ofd]
    # OFD: mean 83.67, std of (83, 82.5, 85.5) = 1.607; plain: mean 81,
    # std 1; KD: mean 83, std 1
    assert rows[ofd][TOP1][0] == pytest.approx(251 / 3)
    assert rows[ofd][TOP1][1] == pytest.approx(1.6073, abs=1e-4)
    assert rows[ofd]['gain'] == pytest.approx(251 / 3 - 81)  # +2.67
    assert rows[ofd]['ahead'] == 3
    assert rows[ofd]['beyond_std']  # 2.67 > max(1.607, 1)
    vs = rows[ofd]['vs']
    assert vs['gain'] == pytest.approx(251 / 3 - 83)  # +0.67
    assert vs['ahead'] == 2  # 83 > 82, 82.5 < 83, 85.5 > 84
    assert not vs['beyond_std']  # 0.67 < 1.607
    # KD against the baseline: +2.00 in 3/3, beyond max(1, 1); not
    # against itself
    assert (rows[kd]['gain'], rows[kd]['ahead'],
            rows[kd]['beyond_std']) == (pytest.approx(2.0), 3, True)
    assert 'vs' not in rows[kd] and 'gain' not in rows[plain]
    assert rows[ofd]['val'] == pytest.approx(251 / 3 - 1)

    table = format_rows(list(rows.values()), experiment, kd)
    lines = table.splitlines()
    assert 'gain over KD (seeds ahead; beyond 1 std)' in lines[0]
    # every line has as many cells as the header
    assert len({line.count('|') for line in lines}) == 1, table
    ofd_line = next(line for line in lines if line.startswith('| OFD |'))
    assert '| +2.67 | 3/3 seeds | yes | +0.67 (2/3; no) |' in ofd_line
    # the teacher, one run for every seed: no std
    assert f'| {teacher} | 90.00 | ' in table


def test_no_kd_column_without_kd_runs():
    """The plain student alone (``--only``): no comparison with KD."""
    experiment = EXPERIMENTS['cls']
    plain = experiment.stages[1].name
    rows = summarise([results({plain: 80.0})], experiment, 'KD')
    table = format_rows(rows, experiment, 'KD')
    assert 'gain over KD' not in table
    assert len({line.count('|') for line in table.splitlines()}) == 1


def test_one_seed_claims_no_spread():
    """One seed measures no spread: no std, and "beyond 1 std" is n/a, not
    the "yes" that a zero std would give any gain."""
    experiment = EXPERIMENTS['cls']
    teacher, plain = (s.name for s in experiment.stages[:2])
    rows = summarise(
        [results({
            teacher: 90.0,
            plain: 80.0,
            'KD': 79.0,
            'OFD': 81.5
        })], experiment, 'KD')
    ofd = next(r for r in rows if r['name'] == 'OFD')
    assert ofd['gain'] == pytest.approx(1.5) and ofd['ahead'] == 1
    assert ofd['beyond_std'] is None and ofd['vs']['beyond_std'] is None
    line = next(line
                for line in format_rows(rows, experiment, 'KD').splitlines()
                if line.startswith('| OFD |'))
    assert line.startswith('| OFD | 81.50 | +1.50 | 1/1 seeds | n/a (1 seed) '
                           '| +2.50 (1/1; n/a (1 seed)) |'), line
    assert 'mean ± std' not in format_rows(rows, experiment, 'KD')


def test_stage_hours_count_a_shared_teacher_once():
    """Resumed long tables: the header's hours add up the stages' own
    times (an invocation that finds them cached takes seconds); the seeds'
    shared teacher and teacher-heads step count once, names outside the
    table not at all."""
    experiment = EXPERIMENTS['cls']
    teacher, plain = (s.name for s in experiment.stages[:2])
    per_seed = [[
        dict(name=teacher, time=3600.0),
        dict(name=plain, time=1800.0 + seed),
        dict(name='KD', time=900.0),
        dict(name='TOFD', time=1000.0 + 400.0, teacher_heads_time=400.0),
        dict(name='not a stage', time=7200.0)
    ] for seed in range(3)]
    # 3600 + (1800 + 1801 + 1802) + 3 * 900 + (400 + 3 * 1000) = 15103 s:
    # TOFD's teacher-heads step, shared by the seeds, once too
    assert stage_hours(per_seed, experiment) == pytest.approx(15103 / 3600)


def test_each_seed_runs_the_demo_with_the_schedule_and_one_teacher(
        monkeypatch, tmp_path):
    """The demo's arguments per seed (``demo_argv``; the stage keys of the
    cached long stages were made with them): the schedule's settings but
    those the options override, the options, the seed, teacher seed 0,
    a shared teacher folder; ``long_check.py`` and ``loss_curves.py`` find
    the stages by the keys of the same arguments."""
    from benchmarks import quality
    from mmfeatdistill.tools import demo
    assert demo_argv('seg', 'long', 1, ['--jobs', '2', '--epochs', '96'],
                     '/w') == [
                         '--task', 'seg', '--train-subset', '0',
                         '--teacher-epochs', '48', '--teacher-train-subset',
                         '0', '--pretrain-epochs', '5', '--jobs', '2',
                         '--epochs', '96', '--seed', '1', '--teacher-seed',
                         '0', '--quiet', '--teacher-dir', '/w/teacher',
                         '--work-dir', '/w/seed1'
                     ]
    seen = []

    def fake_demo(argv):
        seen.append(argv)
        return results({'student (baseline)': 80.0})

    monkeypatch.setattr(demo, 'main', fake_demo)
    quality.main([
        '--task', 'cls', '--seeds', '0', '3', '--work-dir', '/w', '--out',
        str(tmp_path / 'r.md'), '--only', '--jobs', '2'
    ])
    assert seen == [
        demo_argv('cls', 'short', seed, ['--only', '--jobs', '2'], '/w')
        for seed in (0, 3)
    ]
