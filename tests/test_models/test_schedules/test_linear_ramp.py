"""Schedules of loss attributes: the values of ``LinearRamp`` and the
distiller setting them from the Runner's epoch or iteration."""
import os.path as osp

import pytest
import torch
from mmengine.config import Config
from mmengine.hooks import Hook
from mmengine.logging import MessageHub
from mmengine.runner import Runner

from mmfeatdistill.models.schedules import LinearRamp
from mmfeatdistill.registry import MODELS
from tests.helpers import (cls_batch, config_path, fast_runner_cfg,
                           make_fake_fashion_mnist, save_model_checkpoint)

KD_CFG = 'kd/kd-mse_resnet18-w32_resnet18-w8_fmnist.py'


def test_kdpp_warmup_values():
    """KD++: ``kd_w * min(1, epoch / warmup)`` with 1-based epochs (ND's
    released code), here 0-based steps + 1."""
    ramp = LinearRamp(start=0.0, length=5)
    seen = [ramp.value(epoch, 100, 2.5) for epoch in range(7)]
    assert seen == pytest.approx([0.5, 1.0, 1.5, 2.0, 2.5, 2.5, 2.5])


def test_tofd_temperature_values():
    """TOFD: ``T = 1 + 3 (epoch + 1) / max_epochs``, over the whole run."""
    ramp = LinearRamp(start=1.0, end=4.0)
    assert ramp.value(0, 250, 1.0) == pytest.approx(1 + 3 / 250)
    assert ramp.value(249, 250, 1.0) == pytest.approx(4.0)
    assert [ramp.value(i, 6, 1.0) for i in range(6)
            ] == pytest.approx([1 + 3 * (i + 1) / 6 for i in range(6)])


def test_ramp_argument_errors():
    with pytest.raises(ValueError, match='whole number of steps >= 1'):
        LinearRamp(length=0)
    with pytest.raises(TypeError, match='by_epoch must be a bool'):
        LinearRamp(by_epoch='False')
    with pytest.raises(ValueError, match='needs the run'):
        LinearRamp().value(0, None, 1.0)


def _kd_model(tmp_path, schedules):
    cfg = Config.fromfile(config_path(KD_CFG))
    ckpt = osp.join(str(tmp_path), 'teacher.pth')
    save_model_checkpoint(cfg.model.teacher, ckpt)
    cfg.model.teacher_ckpt = ckpt
    cfg.model.schedules = schedules
    return cfg


def test_distiller_sets_scheduled_attributes_from_the_message_hub(tmp_path):
    cfg = _kd_model(
        tmp_path,
        dict(loss_kd=dict(
            loss_weight=dict(type='LinearRamp', start=0.0,
                             length=4, by_epoch=False), tau=dict(
                                 type='LinearRamp', start=1.0, end=3.0))))
    model = MODELS.build(cfg.model)
    kd = model.distill_losses['loss_kd']
    hub = MessageHub.get_instance('test_schedules')
    data = model.data_preprocessor(cls_batch(4, (1, 28, 28)), True)
    for unit in ('iter', 'epoch', 'max_iters', 'max_epochs'):
        hub.runtime_info.pop(unit, None)
    model.loss(**data)  # outside a Runner: configured values
    assert (kd.loss_weight, kd.tau) == (1.0, 4.0)
    hub.update_info('max_iters', 100)
    hub.update_info('max_epochs', 4)
    for it, epoch, weight, tau in ((0, 0, 0.25, 1.5), (1, 0, 0.5, 1.5),
                                   (3, 1, 1.0, 2.0), (50, 3, 1.0, 3.0)):
        hub.update_info('iter', it)
        hub.update_info('epoch', epoch)
        model.loss(**data)
        assert kd.loss_weight == pytest.approx(weight)
        assert kd.tau == pytest.approx(tau)


def test_schedule_errors_name_the_loss(tmp_path):
    cfg = _kd_model(tmp_path,
                    dict(loss_x=dict(loss_weight=dict(type='LinearRamp'))))
    with pytest.raises(KeyError, match="schedules.loss_x: no such loss"):
        MODELS.build(cfg.model)
    cfg = _kd_model(tmp_path,
                    dict(loss_kd=dict(temperature=dict(type='LinearRamp'))))
    with pytest.raises(
            AttributeError, match='KDLoss has no numeric '
            "attribute 'temperature'"):
        MODELS.build(cfg.model)


class _WeightProbe(Hook):
    """Records loss_kd's weight after each training iteration."""

    def __init__(self):
        self.weights = []

    def after_train_iter(self, runner, batch_idx, data_batch=None,
                         outputs=None):
        self.weights.append(runner.model.distill_losses['loss_kd'].loss_weight)


def test_runner_epochs_drive_the_schedule(tmp_path):
    """In a real run the weight follows the epochs (2 iterations each)."""
    data_root = make_fake_fashion_mnist(str(tmp_path / 'data'), 16, 10)
    cfg = _kd_model(
        tmp_path,
        dict(loss_kd=dict(
            loss_weight=dict(type='LinearRamp', start=0.0, length=2))))
    cfg = fast_runner_cfg(cfg, str(tmp_path / 'work'), data_root, batch_size=8)
    cfg.train_cfg = dict(by_epoch=True, max_epochs=3, val_interval=3)
    cfg.default_hooks.checkpoint = dict(type='CheckpointHook', interval=3)
    runner = Runner.from_cfg(cfg)
    probe = _WeightProbe()
    runner.register_hook(probe)
    runner.train()
    assert probe.weights == pytest.approx([0.5, 0.5, 1.0, 1.0, 1.0, 1.0])
    assert torch.isfinite(torch.tensor(probe.weights)).all()


def test_ramp_length_as_a_fraction_of_the_run():
    """``length=0.05``: 5% of the run, whatever its length (KD++'s 5 of
    100 epochs on a 20-epoch or a 2000-iteration schedule)."""
    ramp = LinearRamp(start=0.0, length=0.05, by_epoch=False)
    assert ramp.value(0, 2000, 1.0) == pytest.approx(1 / 100)
    assert ramp.value(99, 2000, 1.0) == pytest.approx(1.0)
    assert LinearRamp(length=0.05).value(0, 20, 1.0) == pytest.approx(1.0)
    with pytest.raises(ValueError, match='fraction of the run'):
        LinearRamp(length=1.5)
