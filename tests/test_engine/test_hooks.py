import types

import pytest
import torch
from mmengine.config import Config
from mmengine.hooks import Hook
from mmengine.optim import OptimWrapper
from mmengine.runner import Runner

from mmfeatdistill.engine.hooks import ConnectorWarmupHook, SSDPredictFixHook
from mmfeatdistill.registry import MODELS
from mmfeatdistill.utils import resolve_model_cfg
from tests.helpers import (config_path, det_batch, fast_runner_cfg,
                           make_fake_fashion_mnist, save_model_checkpoint,
                           state_dict_copy)

KD_CFG = config_path('kd/kd-mse_resnet18-w32_resnet18-w8_fmnist.py')


class LrProbe(Hook):
    """Records, after each step and before the warm-up hook undoes its
    multiplier, the lr of every param group and whether the student
    requires grad."""
    priority = 'HIGH'

    def __init__(self):
        self.seen = []

    def after_train_iter(self, runner, batch_idx, data_batch=None,
                         outputs=None):
        model = runner.model
        self.seen.append(
            ([g['lr'] for g in runner.optim_wrapper.param_groups],
             any(p.requires_grad for p in model.student.parameters())))


def test_connector_warmup_trains_only_connectors(tmp_path):
    data_root = make_fake_fashion_mnist(str(tmp_path / 'data'), 32, 8)
    cfg = fast_runner_cfg(Config.fromfile(KD_CFG), str(tmp_path / 'work'),
                          data_root, max_iters=3)
    ckpt = str(tmp_path / 'teacher.pth')
    save_model_checkpoint(cfg.model.teacher, ckpt)
    cfg.model.teacher_ckpt = ckpt
    cfg.optim_wrapper.paramwise_cfg = dict(
        custom_keys={'connectors': dict(lr_mult=1.0)})
    cfg.optim_wrapper.optimizer.weight_decay = 0.0
    cfg.custom_hooks = [
        dict(type='ConnectorWarmupHook', warmup_iters=2, lr_mult=10.0)
    ]
    runner = Runner.from_cfg(cfg)
    probe = LrProbe()
    runner.register_hook(probe)
    snapshots = []
    runner.register_hook(_Snapshot(snapshots))
    runner.train()
    # after the 2 warm-up iterations: the student's parameters are the same
    # (BN running statistics still follow the batches), connectors moved
    # snapshots: before the first iteration (after init_weights), then
    # after each iteration
    student0, conn0 = snapshots[0]
    after_warmup_student, after_warmup_conn = snapshots[2]
    params = {n for n, _ in runner.model.student.named_parameters()}
    assert all(
        torch.equal(student0[k], after_warmup_student[k]) for k in params)
    assert any(not torch.equal(conn0[k], after_warmup_conn[k]) for k in conn0)
    # the third iteration trains the student
    final = state_dict_copy(runner.model.student)
    assert any(not torch.equal(after_warmup_student[k], final[k])
               for k in params)
    # lr x10 on the connector groups only during the warm-up
    conn_ids = {id(p) for p in runner.model.connectors.parameters()}
    is_conn = [
        any(id(p) in conn_ids for p in g['params'])
        for g in runner.optim_wrapper.param_groups
    ]
    base = [g['lr'] for g in runner.optim_wrapper.param_groups]
    for it, (lrs, student_trains) in enumerate(probe.seen):
        warm = it < 2
        assert student_trains == (not warm)
        for lr, b, c in zip(lrs, base, is_conn):
            assert lr == pytest.approx(b * 10 if (warm and c) else b)


class _Snapshot(Hook):
    priority = 'LOWEST'

    def __init__(self, out):
        self.out = out

    def _take(self, runner):
        self.out.append((state_dict_copy(runner.model.student),
                         state_dict_copy(runner.model.connectors)))

    def before_train(self, runner):
        self._take(runner)

    def after_train_iter(self, runner, batch_idx, data_batch=None,
                         outputs=None):
        self._take(runner)


def test_connector_warmup_needs_one_length():
    with pytest.raises(ValueError, match='exactly one'):
        ConnectorWarmupHook()
    with pytest.raises(ValueError, match='exactly one'):
        ConnectorWarmupHook(warmup_iters=1, warmup_epochs=1)
    with pytest.raises(ValueError,
                       match=r'warmup_ratio=\.\.\.\) must be in \(0, 1\)'):
        ConnectorWarmupHook(warmup_ratio=2)


@pytest.mark.parametrize('counts', [1, 2])
def test_connector_warmup_as_a_fraction_of_the_run(counts):
    """``warmup_ratio``: OFD's 1 of 30 epochs on any schedule;
    ``warmup_epochs``: the dataloader's length. Both in optimizer steps
    (``accumulative_counts`` iterations each, rounded up)."""
    model = types.SimpleNamespace(connectors=torch.nn.Linear(1, 1),
                                  student=torch.nn.Linear(1, 1))
    optim_wrapper = OptimWrapper(
        torch.optim.SGD(model.student.parameters(), lr=0.1),
        accumulative_counts=counts)
    runner = types.SimpleNamespace(
        model=model, iter=0, max_iters=300, optim_wrapper=optim_wrapper,
        train_dataloader=[None] * 7,
        logger=types.SimpleNamespace(info=lambda *a: None))
    hook = ConnectorWarmupHook(warmup_ratio=1 / 30)
    hook.before_train(runner)
    assert hook.warmup_iters == 10 // counts
    hook = ConnectorWarmupHook(warmup_epochs=1)
    hook.before_train(runner)
    assert hook.warmup_iters == (7 + counts - 1) // counts


@pytest.mark.parametrize('schedule,expected', [('short', 2), ('long', 100)])
def test_detection_ofd_warmup_follows_the_runs_iterations(schedule, expected):
    """The scenes detection OFD config warms the connectors up for 1/120
    of the run's optimizer steps (the VOC config's 500 of ~62k), so the
    length follows the schedule: epochs x ceil(training scenes / batch)
    iterations of the demo's short (250) and long (12000: 48 epochs of
    250) schedules."""
    import math

    from mmfeatdistill.registry import HOOKS
    from mmfeatdistill.tools.experiments import EXPERIMENTS
    cfg = Config.fromfile(
        config_path('ofd/ofd_ssd-r18w32_ssd-r18w8_fmnist-scenes.py'))
    hook_cfg, = [
        h for h in cfg.custom_hooks if h['type'] == 'ConnectorWarmupHook'
    ]
    assert 'warmup_iters' not in hook_cfg
    run = EXPERIMENTS['det'].schedules[schedule]
    scenes = run['train_subset'] or 8000  # the scenes' training split
    steps = run['epochs'] * math.ceil(scenes / cfg.train_dataloader.batch_size)
    model = types.SimpleNamespace(connectors=torch.nn.Linear(1, 1),
                                  student=torch.nn.Linear(1, 1))
    runner = types.SimpleNamespace(
        model=model, iter=0, max_iters=steps, optim_wrapper=OptimWrapper(
            torch.optim.SGD(model.student.parameters(), lr=0.1)),
        logger=types.SimpleNamespace(info=lambda *a: None))
    hook = HOOKS.build(hook_cfg)
    hook.before_train(runner)
    assert hook.warmup_iters == expected
    assert hook.warmup_iters == max(1, round(steps / 120))


def test_ssd_predict_fix_hook_makes_ssd_predict():
    model = MODELS.build(
        resolve_model_cfg(
            dict(cfg_path='mmdet::ssd/ssd300_coco.py', load_pretrained=False)))
    model.eval()
    data = model.data_preprocessor(det_batch(1, 300), False)
    with pytest.raises(AttributeError, match='loss_cls'):
        model.predict(data['inputs'], data['data_samples'])  # mmdet's bug
    SSDPredictFixHook().before_run(types.SimpleNamespace(model=model))
    before = state_dict_copy(model)
    with torch.no_grad():
        results = model.predict(data['inputs'], data['data_samples'])
    assert len(results) == 1 and 'bboxes' in results[0].pred_instances
    assert state_dict_copy(model).keys() == before.keys()
