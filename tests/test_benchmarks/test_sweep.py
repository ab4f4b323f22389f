"""benchmarks/sweep.py trains each variant of a stage as a stage of the
demo (its options in that stage's key and run, not in its teacher-heads
step's; the variant without options is the table's stage itself) and
reports the validation split only. The stages' runs are replaced by a
stand-in whose validation result depends on the loss weight it is given
(and whose test result is a value the table must not show)."""
import json
import os
import os.path as osp
from typing import List

import pytest
from mmengine.config import Config

from benchmarks.quality import demo_argv
from benchmarks.sweep import main
from mmfeatdistill.tools import demo
from mmfeatdistill.tools.experiments import EXPERIMENTS

TASK = 'cls'
METRIC = EXPERIMENTS[TASK].metrics[0]
WEIGHT = 'model.distill_losses.loss_kd.loss_weight'


def _fake_runs(monkeypatch) -> List[tuple]:
    calls = []

    def run_script(script, config, work_dir, options, quiet, extra=(),
                   device='cpu'):
        calls.append((script, osp.basename(config), list(options)))
        ckpt = osp.join(work_dir, 'epoch_1.pth')
        with open(ckpt, 'wb') as f:
            f.write(os.urandom(64))
        with open(osp.join(work_dir, 'last_checkpoint'), 'w') as f:
            f.write(ckpt)
        if script == 'train_tofd_teacher_heads.py':
            with open(osp.join(work_dir, 'teacher_with_heads.pth'), 'wb') as f:
                f.write(os.urandom(64))
        # validation: 0.6 with the loss weight 0.3, else 0.5; test: 0.987
        val = 0.6 if f'{WEIGHT}=0.3' in options else 0.5
        with open(osp.join(work_dir, 'test_metrics.json'), 'w') as f:
            json.dump({METRIC.key: 0.987}, f)
        os.makedirs(osp.join(work_dir, 'run', 'vis_data'), exist_ok=True)
        with open(osp.join(work_dir, 'run', 'vis_data', 'scalars.json'),
                  'w') as f:
            f.write(json.dumps({METRIC.key: val, 'step': 1}) + '\n')
        return 1.0

    monkeypatch.setattr(demo, 'run_script', run_script)
    monkeypatch.setattr(demo, 'prepare_data', lambda *args: None)
    monkeypatch.setattr(demo, 'plot', lambda *args: None)
    return calls


def _args(tmp_path, *variants: str, stage: str = 'KD') -> List[str]:
    args = ['--task', TASK, '--stage', stage, '--seeds', '0', '1']
    for variant in variants:
        args += ['--variant', variant]
    return args + [
        '--out',
        str(tmp_path / 'sweeps.md'), '--work-dir',
        str(tmp_path / 'work'), '--cache-dir',
        str(tmp_path / 'cache'), '--data-root',
        str(tmp_path / 'fmnist')
    ]


def test_variants_train_as_demo_stages_and_report_validation(
        monkeypatch, tmp_path):
    calls = _fake_runs(monkeypatch)
    text = main(
        _args(tmp_path, 'config:', f'weight 0.3: {WEIGHT.replace("kd", "k*")}'
              '=0.3'))
    kd = [c for c in calls if c[1].startswith('kd_')]
    # per seed: the table's KD (no options) and the variant, its option
    # expanded and given to its run alone
    assert len(kd) == 4
    assert sum(f'{WEIGHT}=0.3' in c[2] for c in kd) == 2
    scale = METRIC.scale
    assert f'| student (baseline) | {0.5 * scale:.2f}, {0.5 * scale:.2f} |' \
        in text
    assert f'| config | {0.5 * scale:.2f}, {0.5 * scale:.2f} |' in text
    assert f'| weight 0.3 | {0.6 * scale:.2f}, {0.6 * scale:.2f} | ' \
        f'{0.6 * scale:.2f} |' in text
    assert f'{0.987 * scale:.2f}' not in text  # no test result
    # the header benchmarks/long_runs.sh looks for to skip a done sweep
    assert text.startswith(
        f'### {TASK} / KD: validation split, `short` schedule (')
    assert open(tmp_path / 'sweeps.md').read().strip() == text.strip()
    # the variant without options is the table's stage: the quality
    # benchmark's KD (same seed, schedule, data) is not trained again
    calls.clear()
    demo.main(
        demo_argv(TASK, 'short', 1, [
            '--cache-dir',
            str(tmp_path / 'cache'), '--data-root',
            str(tmp_path / 'fmnist'), '--only', 'KD'
        ], work_dir=str(tmp_path / 'quality')))
    assert calls == []


def test_variant_options_stay_out_of_the_teacher_heads_step(
        monkeypatch, tmp_path):
    calls = _fake_runs(monkeypatch)
    option = 'model.distill_losses.loss_tofd_ce*.loss_weight=0.25'
    main(_args(tmp_path, f'heads x0.25: {option}', stage='TOFD'))
    heads = [c for c in calls if c[0] == 'train_tofd_teacher_heads.py']
    tofd = [c for c in calls if c[1].startswith('tofd_')]
    assert heads and tofd
    assert not any('loss_tofd_ce' in o for c in heads for o in c[2])
    assert all(any('loss_weight=0.25' in o for o in c[2]) for c in tofd)


@pytest.mark.parametrize('variant, message', [
    ('no colon here', 'label: key=value'),
    (': x=1', 'label: key=value'),
    ('w: model.no_such_key*.loss_weight=1', 'matches no key'),
])
def test_bad_variants_name_the_fix(monkeypatch, tmp_path, variant, message):
    calls = _fake_runs(monkeypatch)
    with pytest.raises((ValueError, KeyError), match=message):
        main(_args(tmp_path, variant))
    assert calls == []


def test_a_variant_label_twice_is_an_error(monkeypatch, tmp_path):
    _fake_runs(monkeypatch)
    with pytest.raises(ValueError, match='given twice'):
        main(_args(tmp_path, 'a:', 'a: x=1'))


@pytest.mark.parametrize('extra, message', [
    ([], "--stage 'teacher': not a student stage"),
    (['--seed', '3'], "['--seed']: the sweep sets these demo options"),
    (['--teacher-dir=x'], "['--teacher-dir']: the sweep sets"),
])
def test_usage_errors_name_the_fix(tmp_path, capsys, extra, message):
    with pytest.raises(SystemExit):
        main(
            _args(tmp_path, 'a:', stage='teacher' if not extra else 'KD') +
            extra)
    assert message in capsys.readouterr().err


@pytest.mark.parametrize('task, sweep', [(task, sweep)
                                         for task, e in EXPERIMENTS.items()
                                         for sweeps in e.sweeps.values()
                                         for sweep in sweeps])
def test_table_sweeps_are_valid_variants(task, sweep):
    """Each sweep of the experiment table (``benchmarks/long_runs.sh``
    runs the ``long`` ones) gives stages of distinct options: its
    options match keys of the stage's config."""
    from benchmarks.sweep import variant_stages
    stage = next(s for s in EXPERIMENTS[task].stages if s.name == sweep.stage)
    stages = variant_stages(stage, list(sweep.variants))
    assert len({s.options for _, s in stages}) == len(sweep.variants)
    cfg = Config.fromfile(demo._repo_path(stage.config)).to_dict()
    for _, variant in stages:
        for option in variant.options:
            node = cfg
            for part in option.split('=')[0].split('.'):
                assert isinstance(node, dict) and part in node, option
                node = node[part]


def test_sweep_done_needs_every_variant_and_the_seed(tmp_path):
    """``benchmarks/long_runs.sh`` skips a table sweep only when a section
    of sweeps.md ran every one of its variants, exactly, and seed 0."""
    from benchmarks.sweep import sweep_done
    from mmfeatdistill.tools.experiments import Sweep
    sweep = Sweep('KD', ('weight 1 (config):', 'weight 0.3: x.loss_weight=0.3',
                         'weight 0.1: x.loss_weight=0.1'))
    path = tmp_path / 'sweeps.md'
    assert not sweep_done(str(path), 'seg', sweep.argv)  # no file

    def section(variants, seeds='0', task='seg', stage='KD', schedule='long'):
        return (f'### {task} / {stage}: validation split, `{schedule}` '
                'schedule (2026-12-08, 1 min)\n\nCommand: `python '
                f'benchmarks/sweep.py --task {task} --stage {stage!r} '
                f'--schedule {schedule} ' + ' '.join(f'--variant {v!r}'
                                                     for v in variants) +
                f' --seeds {seeds} --resume`\n\n| variant |\n')

    near = [v + '5' if '=' in v else v for v in sweep.variants]
    not_done = [
        section(sweep.variants[:k] + sweep.variants[k + 1:])
        for k in range(len(sweep.variants))
    ] + [
        section(near),
        section(sweep.variants, seeds='1 2'),
        section(sweep.variants, task='det'),
        section(sweep.variants, stage='OFD'),
        section(sweep.variants, schedule='short')
    ]
    path.write_text('# Sweeps\n\n' + '\n'.join(not_done))
    assert not sweep_done(str(path), 'seg', sweep.argv)
    # one section with every variant (and more), seeds 0-2: done
    path.write_text('# Sweeps\n\n' + '\n'.join(not_done) + '\n' + section(
        list(sweep.variants) + ['weight 3: x.loss_weight=3'], seeds='0 1 2'))
    assert sweep_done(str(path), 'seg', sweep.argv)
