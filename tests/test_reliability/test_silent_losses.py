"""Nothing silent: a distillation loss that cannot train anything is an
error when the distiller is built, and a loss weight too small (or too
large) to matter is named in a warning over the first iterations."""
import logging
import re
import types

import pytest
import torch
from mmengine.config import Config

from mmfeatdistill.engine.hooks import LossBalanceHook
from mmfeatdistill.models.distillers import build_loss_arguments
from mmfeatdistill.registry import MODELS
from mmfeatdistill.tools.train import build_runner, parse_args
from tests.helpers import (config_path, fast_runner_cfg,
                           make_fake_fashion_mnist, save_model_checkpoint)

KD_CFG = config_path('kd/kd_resnet18-w32_resnet18-w8_fmnist.py')
KD_MSE_CFG = config_path('kd/kd-mse_resnet18-w32_resnet18-w8_fmnist.py')
FITNET_CFG = config_path('fitnet/fitnet_resnet18-w32_resnet18-w8_fmnist.py')
STAGES = [f'backbone.layer{i}' for i in range(1, 5)]


def _model_cfg(path):
    cfg = Config.fromfile(path).model
    cfg.teacher_ckpt = None
    cfg.untrained_teacher = True  # building is all these tests need
    return cfg


def test_kd_reading_the_teacher_on_both_sides_is_an_error():
    """``loss_kd.s_logits.from_student=False`` trained with ``loss_kd:
    0.0000`` on every iteration."""
    cfg = _model_cfg(KD_CFG)
    cfg.loss_forward_mappings.loss_kd.s_logits.from_student = False
    with pytest.raises(
            ValueError, match='loss_kd: s_logits and t_logits both read '
            'the teacher, so KDLoss compares the teacher with itself and '
            'trains nothing.*from_student=True on s_logits'):
        MODELS.build(cfg)


def _with_label_loss(logits_from_student):
    """The KD + MSE config plus a cross-entropy of the logits (student's or
    teacher's) with the labels of the recorded data samples."""
    cfg = _model_cfg(KD_MSE_CFG)
    cfg.student_recorders.samples = dict(type='MethodInputRecorder',
                                         source='head.loss', arg_index=1)
    cfg.connectors.labels = dict(type='GTLabelConnector')
    cfg.distill_losses.loss_ce = dict(type='LabelCrossEntropyLoss')
    cfg.loss_forward_mappings.loss_ce = dict(
        logits=dict(from_student=logits_from_student, recorder='logits'),
        labels=dict(from_student=True, recorder='samples', connector='labels'))
    return cfg


def test_a_loss_of_teacher_features_and_labels_is_an_error():
    """Labels read from the student's data samples carry no gradient: a
    loss of the teacher's logits and the labels trains nothing."""
    with pytest.raises(
            ValueError, match=r"loss_ce: none of the inputs of "
            r"LabelCrossEntropyLoss \(logits: teacher recorder 'logits'; "
            r"labels: student recorder 'samples' -> connector 'labels'\) "
            r'reaches a trainable parameter of the student or of a '
            r'connector, so loss_ce would train nothing.*'
            r'from_student=True'):
        MODELS.build(_with_label_loss(logits_from_student=False))
    model = MODELS.build(_with_label_loss(logits_from_student=True))
    assert 'loss_ce' in model.loss_arguments


def test_a_trainable_connector_attribute_counts():
    """TOFD's orthogonal loss reads only a link's weight: it trains the
    link, so it builds; the same loss on a frozen link trains nothing."""
    cfg = _model_cfg(KD_MSE_CFG)
    cfg.connectors.head4 = dict(type='TOFDAuxHead', stages=STAGES,
                                stage_index=3, num_classes=10,
                                link_to='backbone.layer4')
    cfg.distill_losses.loss_orth = dict(type='OrthogonalLoss')
    mapping = dict(weight=dict(connector='head4', attribute='link_weight'))
    cfg.loss_forward_mappings.loss_orth = mapping
    model = MODELS.build(cfg)
    assert 'loss_orth' in model.loss_arguments
    model.connectors.head4.requires_grad_(False)
    with pytest.raises(
            ValueError, match=r"loss_orth: none of the inputs of "
            r"OrthogonalLoss \(weight: connector 'head4'\.link_weight\) "
            r'reaches a trainable parameter'):
        build_loss_arguments('loss_orth', model.distill_losses.loss_orth,
                             mapping,
                             student_recorders=model.student_recorders,
                             teacher_recorders=model.teacher_recorders,
                             connectors=model.connectors)


class _Logged(logging.Handler):
    """Collects (level, message) of what a logger prints."""

    def __init__(self):
        super().__init__()
        self.records = []

    def emit(self, record):
        self.records.append((record.levelno, record.getMessage()))


@pytest.mark.parametrize('weight,warning', [
    (1e-6, r"Distillation loss 'loss_mse_stage4' stays below 1% of the task "
     r'loss over the first 1 iteration\(s\) .*too small to change the '
     r'training\. Raise model\.distill_losses\.loss_mse_stage4\.loss_weight '
     r'\(now 1e-06\)'),
    (1.0, None),
    (1e4, r"Distillation loss 'loss_mse_stage4' stays above 100x the task "
     r'loss .*the task loss barely counts\. Lower '
     r'model\.distill_losses\.loss_mse_stage4\.loss_weight \(now 10000\)'),
])
def test_train_warns_about_a_loss_weight_out_of_balance(
        tmp_path, weight, warning):
    """``tools/train.py``'s runner logs each distillation loss's share of
    the total and warns, naming the config key, when a distillation loss
    is below 1% or above 100x the task loss (a real one-iteration run of
    the shipped feature-MSE config, whose weight 1 is in balance)."""
    data_root = make_fake_fashion_mnist(str(tmp_path / 'data'), 8, 4)
    cfg = fast_runner_cfg(Config.fromfile(FITNET_CFG), str(tmp_path / 'work'),
                          data_root, max_iters=1, batch_size=8)
    cfg.val_dataloader = cfg.val_cfg = cfg.val_evaluator = None
    cfg.default_hooks.checkpoint = None
    ckpt = str(tmp_path / 'teacher.pth')
    save_model_checkpoint(cfg.model.teacher, ckpt)
    cfg.model.teacher_ckpt = ckpt
    cfg.model.distill_losses.loss_mse_stage4.loss_weight = weight
    runner = build_runner(cfg, parse_args([FITNET_CFG]))
    logged = _Logged()
    runner.logger.addHandler(logged)
    try:
        runner.train()
    finally:
        runner.logger.removeHandler(logged)
    balance = [m for _, m in logged.records if m.startswith('Loss balance')]
    assert len(balance) == 1, logged.records
    assert 'loss_mse_stage4' in balance[0], balance
    assert 'task loss (loss_student)' in balance[0], balance
    warnings = [
        m for level, m in logged.records
        if level >= logging.WARNING and 'Distillation loss' in m
    ]
    if warning is None:
        assert not warnings, warnings
    else:
        assert len(warnings) == 1, warnings
        assert re.search(warning, warnings[0]), warnings[0]


def test_loss_balance_hook_skips_other_models():
    """A model that is not a FeatureDistiller is skipped quietly."""
    runner = types.SimpleNamespace(model=torch.nn.Linear(1, 1), iter=0,
                                   max_iters=1)
    hook = LossBalanceHook()
    hook.after_train_iter(runner, 0, None, dict(loss=torch.tensor(1.0)))
    assert hook._done
