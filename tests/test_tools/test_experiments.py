"""The experiment table's checks and the demo options it implies."""
import pytest

from mmfeatdistill.tools.demo import parse_args
from mmfeatdistill.tools.experiments import (EXPERIMENTS, SCHEDULE_KEYS,
                                             Experiment, Metric, Stage, Sweep,
                                             schedule_option)


def _experiment(sweeps=None, **schedules) -> Experiment:
    return Experiment(
        task='toy', title='toy', metrics=(Metric('acc', 'acc (%)'), ),
        stages=(Stage('teacher', 't.py', 'teacher'),
                Stage('student (baseline)', 's.py', 'baseline')),
        data_root='data/toy', schedules=schedules, sweeps=sweeps or {})


def test_a_misspelt_schedule_key_is_refused():
    assert _experiment(short=dict(epochs=1)).defaults == dict(epochs=1)
    with pytest.raises(
            ValueError, match=r"schedule 'long' has unknown "
            r"keys \['epoch'\]"):
        _experiment(short=dict(epochs=1), long=dict(epoch=3))


def test_a_sweep_names_a_schedule_a_student_stage_and_variants():
    good = Sweep('student (baseline)', ('a:', 'b: x=1'))
    assert good.argv == [
        '--stage', 'student (baseline)', '--variant', 'a:', '--variant',
        'b: x=1'
    ]
    _experiment(dict(long=(good, )), long=dict(epochs=1))
    for sweeps in (dict(short=(good, )),
                   dict(long=(Sweep('teacher', good.variants), )),
                   dict(long=(Sweep('KD', good.variants), )),
                   dict(long=(Sweep(good.stage, ('a:', )), )),
                   dict(long=(Sweep(good.stage, ('a:', 'b: x=1\ny=2')), ))):
        with pytest.raises(ValueError, match='needs a schedule'):
            _experiment(sweeps, long=dict(epochs=1))


@pytest.mark.parametrize('task', sorted(EXPERIMENTS))
def test_every_schedule_key_is_a_demo_option(task):
    """quality.py passes a schedule to the demo as these options."""
    for name, schedule in EXPERIMENTS[task].schedules.items():
        argv = ['--task', task]
        for key, value in schedule.items():
            argv += [schedule_option(key), str(value + 1)]
        args = parse_args(argv)
        assert {
            k: getattr(args, k)
            for k in schedule
        } == {
            k: v + 1
            for k, v in schedule.items()
        }, name
    assert set(SCHEDULE_KEYS) >= set().union(
        *EXPERIMENTS[task].schedules.values())
