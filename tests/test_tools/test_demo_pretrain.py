"""The demo's backbone pretraining (``--pretrain-epochs``, the ``long``
schedules of the scenes' tasks): which stages it runs and the options it
hands to every stage, with the stages' runs replaced by a recorder (what
the runs then do with the options: test_fmnist_scenes_pretrain.py)."""
import os.path as osp
from typing import List

import pytest

from mmfeatdistill.tools import demo
from mmfeatdistill.tools.experiments import EXPERIMENTS, schedule_option


def _fake_runs(monkeypatch, tmp_path) -> List[tuple]:
    """Record ``(script, config, options, key)`` of every stage instead of
    running it (``key``: the one the stage cache would file it under);
    each stage 'writes' a checkpoint named after its config."""
    calls = []

    def cached_run(script, config, options, args, link=None, extra=(),
                   outputs=None, inputs=None, ledger=False, from_ledger=True):
        key = demo.stage_key(args, script, config, options, inputs, extra)[0]
        # the checkpoints it reads from other stages, made first
        options = list(options) + [
            f'{name}={output.path()}'
            for name, output in (inputs or {}).items()
        ]
        calls.append((script, config, options, key))
        ckpt = str(tmp_path / (osp.basename(config) + '.pth'))
        metrics = {m.key: 50.0 for m in EXPERIMENTS[args.task].metrics}
        return dict(ckpt=ckpt, files=[ckpt], metrics=metrics, val_metrics={},
                    records=[], time=1.0), False

    monkeypatch.setattr(demo, 'cached_run', cached_run)
    monkeypatch.setattr(demo, 'prepare_data', lambda *args: None)
    monkeypatch.setattr(demo, 'plot', lambda *args: None)
    return calls


def _init_cfg(options: List[str]) -> dict:
    """The ``init_cfg`` options: module -> {key: value}."""
    found = {}
    for option in options:
        key, value = option.split('=', 1)
        if '.init_cfg.' in key:
            module, field = key.split('.init_cfg.')
            found.setdefault(module, {})[field] = value
    return found


@pytest.mark.parametrize('task', ['det', 'seg'])
def test_long_schedule_pretrains_every_backbone(task, monkeypatch, tmp_path):
    calls = _fake_runs(monkeypatch, tmp_path)
    experiment = EXPERIMENTS[task]
    long = experiment.schedules['long']
    assert long['pretrain_epochs'] > 0
    fmnist = str(tmp_path / 'fmnist')
    # (data folders that do not exist: quick keys)
    args = [
        '--task', task, '--work-dir',
        str(tmp_path / 'work'), '--pretrain-data-root', fmnist, '--data-root',
        str(tmp_path / 'scenes')
    ]
    for key, value in long.items():  # as benchmarks/quality.py passes them
        args += [schedule_option(key), str(value)]
    demo.main(args)
    ckpt = {
        role: str(tmp_path / (osp.basename(config) + '.pth'))
        for role, config in experiment.pretrain.items()
    }
    # one pretraining stage per backbone, on Fashion-MNIST, each before
    # the first stage that starts from it (the teacher's before the
    # teacher, the student's before the plain student)
    pretrain = [c[:3] for c in calls if c[1] in experiment.pretrain.values()]
    assert sorted(c[1]
                  for c in pretrain) == sorted(experiment.pretrain.values())
    order = [c[1] for c in calls]
    for role, config in experiment.pretrain.items():
        first_user = min(
            order.index(s.config) for s in experiment.stages
            if demo.pretrain_role(s) == role)
        assert order.index(config) < first_user, role
    for script, config, options in pretrain:
        assert script == 'train.py'
        assert f'train_cfg.max_epochs={long["pretrain_epochs"]}' in options
        for loader in ('train', 'val', 'test'):
            assert f'{loader}_dataloader.dataset.data_root=' \
                f'{osp.abspath(fmnist)}' in options
        # its own training split whole (below 55000), no scenes options
        assert not any('indices' in o or 'evaluator' in o for o in options)
        assert not _init_cfg(options)
    # then every stage, its backbone from its role's pretraining
    by_config = {c[1]: c for c in calls if c[:3] not in pretrain}
    for stage in experiment.stages:
        script, _, options, _ = by_config[stage.config]
        module = 'model.student.backbone' if stage.kind in (
            'reference', 'method') else 'model.backbone'
        role = 'teacher' if stage.kind == 'teacher' else 'student'
        assert _init_cfg(options) == {
            module:
            dict(type='Pretrained', checkpoint=ckpt[role], prefix='backbone.')
        }, stage.name
        assert f'train_cfg.max_epochs=' \
            f'{long["teacher_epochs" if role == "teacher" else "epochs"]}' \
            in options
    # TOFD's teacher-heads step trains on the teacher alone
    heads = [c for c in calls if c[0] == 'train_tofd_teacher_heads.py']
    assert len(heads) == 1 and not _init_cfg(heads[0][2])
    # the keys the benchmarks find each stage's result by, computed
    # without a run, are the ones its run was filed under
    keys = demo.stage_keys_of(args)
    assert keys == {
        s.name: next(c[3] for c in calls if c[1] == s.config)
        for s in experiment.stages
    }
    # and those of the steps that make stages' inputs
    steps = demo.stage_keys_of(args, steps=True)
    tofd = next(s.name for s in experiment.stages if s.teacher_heads)
    assert steps == dict(
        keys, **{tofd + demo.HEADS_STEP: heads[0][3]}, **{
            role + demo.PRETRAIN_STEP: next(c[3] for c in calls
                                            if c[1] == config)
            for role, config in experiment.pretrain.items()
        })


@pytest.mark.parametrize('task', ['cls', 'det', 'seg'])
def test_short_schedule_does_not_pretrain(task, monkeypatch, tmp_path):
    """The committed short tables stay valid: the same stages with the
    same options as before."""
    calls = _fake_runs(monkeypatch, tmp_path)
    assert 'pretrain_epochs' not in EXPERIMENTS[task].schedules['short']
    demo.main(['--task', task, '--work-dir', str(tmp_path / 'work')])
    assert len(calls) == len(EXPERIMENTS[task].stages) + 1  # TOFD's heads
    assert not any(_init_cfg(options) for _, _, options, _ in calls)


def test_pretrain_needs_pretraining_stages(tmp_path):
    with pytest.raises(SystemExit):
        demo.parse_args(['--task', 'cls', '--pretrain-epochs', '2'])
    args = demo.parse_args(['--task', 'det'])
    assert args.pretrain_epochs == 0
    assert args.pretrain_data_root == EXPERIMENTS['det'].pretrain_data_root
