"""Mistakes that used to train silently wrong, or fail with a raw torch
error, get an error (or a warning) that names the fix."""
import logging
import os.path as osp

import pytest
import torch
from mmengine.config import Config
from mmengine.logging import MMLogger
from mmengine.runner import load_checkpoint

from mmfeatdistill.registry import MODELS
from mmfeatdistill.utils.checkpoint import load_checkpoint_file
from tests.helpers import (cls_batch, config_path, save_model_checkpoint,
                           state_dict_copy)

KD_CFG = config_path('kd/kd-mse_resnet18-w32_resnet18-w8_fmnist.py')
ND_CFG = config_path('nd/nd-kdpp_resnet18-w32_resnet18-w8_fmnist.py')


def _cfg(tmp_path, path=KD_CFG, seed=0):
    cfg = Config.fromfile(path).model
    ckpt = str(tmp_path / f'teacher{seed}.pth')
    save_model_checkpoint(cfg.teacher, ckpt, seed=seed)
    cfg.teacher_ckpt = ckpt
    return cfg


def _batch(model, size=4):
    data = model.data_preprocessor(cls_batch(size, (1, 28, 28)), True)
    return data['inputs'], data['data_samples']


def test_no_teacher_checkpoint_is_an_error_unless_opted_in(tmp_path):
    cfg = _cfg(tmp_path)
    cfg.teacher_ckpt = None
    with pytest.raises(
            ValueError, match='has no teacher_ckpt: the teacher '
            'would be randomly initialised.*'
            'untrained_teacher=True'):
        MODELS.build(cfg)
    cfg.untrained_teacher = True
    assert MODELS.build(cfg).teacher_ckpt is None


def test_flags_must_be_booleans(tmp_path):
    cfg = _cfg(tmp_path)
    cfg.loss_forward_mappings.loss_kd.t_logits.from_student = 'False'
    with pytest.raises(
            TypeError, match=r'loss_kd\.t_logits\.from_student '
            r"must be True or False .*got 'False'"):
        MODELS.build(cfg)
    cfg = _cfg(tmp_path)
    cfg.teacher_norm_eval = 'True'
    with pytest.raises(
            TypeError, match=r'teacher_norm_eval=\.\.\.\) must '
            'be True or False'):
        MODELS.build(cfg)


def test_index_on_a_tensor_record_is_an_error(tmp_path):
    """``index=0`` on a tensor would keep sample 0 of the batch."""
    cfg = _cfg(tmp_path)
    cfg.loss_forward_mappings.loss_kd.s_logits.index = 0
    cfg.loss_forward_mappings.loss_kd.t_logits.index = 0
    model = MODELS.build(cfg)
    with pytest.raises(
            TypeError, match="index=0 picks an item of a tuple/"
            "list, but student recorder 'logits' recorded a Tensor"
            r' of shape \(4, 10\) .*Remove `index`'):
        model.loss(*_batch(model))


def test_both_sides_reading_the_student_is_an_error(tmp_path):
    cfg = _cfg(tmp_path)
    cfg.loss_forward_mappings.loss_kd.t_logits.from_student = True
    with pytest.raises(
            ValueError, match='s_logits and t_logits both read '
            'the student.*from_student=False on t_logits'):
        MODELS.build(cfg)


def test_a_loss_named_loss_is_refused(tmp_path):
    cfg = _cfg(tmp_path)
    cfg.distill_losses['loss'] = cfg.distill_losses.pop('loss_kd')
    cfg.loss_forward_mappings['loss'] = cfg.loss_forward_mappings.pop(
        'loss_kd')
    with pytest.raises(KeyError, match='must not be "loss" itself'):
        MODELS.build(cfg)


def test_distiller_checkpoint_as_teacher_loads_its_teacher(tmp_path):
    """A checkpoint of an earlier distillation run names its teacher with a
    'teacher.' prefix: it serves as teacher_ckpt."""
    cfg = _cfg(tmp_path, seed=3)
    first = MODELS.build(cfg)
    run_ckpt = str(tmp_path / 'distill_run.pth')
    torch.save(dict(state_dict=first.state_dict(), meta={}), run_ckpt)
    cfg.teacher_ckpt = run_ckpt
    second = MODELS.build(cfg)
    for key, value in first.teacher.state_dict().items():
        assert torch.equal(second.teacher.state_dict()[key], value)


def test_nan_from_the_teacher_blames_the_teacher(tmp_path):
    cfg = _cfg(tmp_path)
    state = load_checkpoint_file(cfg.teacher_ckpt)
    state['state_dict']['backbone.conv1.weight'].fill_(float('nan'))
    torch.save(state, cfg.teacher_ckpt)
    model = MODELS.build(cfg)
    with pytest.raises(
            FloatingPointError, match="teacher's recorded "
            r"features \['stage4', 'logits'\] are already NaN/inf"
            '.*check teacher_ckpt'):
        model.loss(*_batch(model))


def test_wrong_preset_width_names_the_connector(tmp_path):
    cfg = _cfg(tmp_path, ND_CFG)
    cfg.connectors.transform.in_channels = 32  # the student has 64
    model = MODELS.build(cfg)
    for loss in model.distill_losses.values():
        if hasattr(loss, 'set_class_means'):
            loss.set_class_means(torch.randn(10, 256))
    with pytest.raises(
            ValueError, match="connector 'transform' "
            r"\(EmbeddingTransformConnector\) on student recorder "
            r"'feat' \(input \(4, 64\)\).*in_channels=32.*"
            'inspect_pair'):
        model.loss(*_batch(model))


def test_nd_transform_survives_a_training_batch_of_one(tmp_path):
    """A last training batch of one sample used to stop the run in
    BatchNorm1d; it is normalised with the running statistics."""
    cfg = _cfg(tmp_path, ND_CFG)
    model = MODELS.build(cfg)
    for loss in model.distill_losses.values():
        if hasattr(loss, 'set_class_means'):
            loss.set_class_means(torch.randn(10, 256))
    model.train()
    with pytest.warns(UserWarning, match='a training batch of one row.*'
                      'drop_last=True'):
        losses = model.loss(*_batch(model, size=1))
    assert torch.isfinite(losses['loss_nd'])
    assert model.connectors['transform'].training


def test_load_from_an_exported_student(tmp_path):
    """``load_from`` with a plain student checkpoint (tools/
    export_student.py, or the package's own training) fills the student
    instead of loading nothing."""
    cfg = _cfg(tmp_path)
    model = MODELS.build(cfg)
    source = MODELS.build(cfg)
    with torch.no_grad():
        for p in source.student.parameters():
            p.add_(1.0)
    exported = str(tmp_path / 'student.pth')
    torch.save(dict(state_dict=source.student.state_dict(), meta={}), exported)
    teacher = state_dict_copy(model.teacher)
    load_checkpoint(model, exported, strict=False)
    for key, value in source.student.state_dict().items():
        assert torch.equal(model.student.state_dict()[key], value), key
    after = state_dict_copy(model.teacher)
    assert all(torch.equal(teacher[k], after[k]) for k in teacher)


class _Logged(logging.Handler):
    """Collects what MMEngine's current logger prints."""

    def __init__(self):
        super().__init__()
        self.messages = []

    def emit(self, record):
        self.messages.append(record.getMessage())

    def __enter__(self):
        MMLogger.get_current_instance().addHandler(self)
        return self

    def __exit__(self, *exc):
        MMLogger.get_current_instance().removeHandler(self)


def test_load_from_a_distiller_checkpoint_with_another_teacher_warns(tmp_path):
    cfg = _cfg(tmp_path, seed=0)
    model = MODELS.build(cfg)
    other = MODELS.build(_cfg(tmp_path, seed=5))
    path = str(tmp_path / 'other_run.pth')
    torch.save(dict(state_dict=other.state_dict(), meta={}), path)
    with _Logged() as logged:
        load_checkpoint(model, path, strict=False)
    warning = [m for m in logged.messages if 'replaces the teacher' in m]
    assert warning and osp.basename(cfg.teacher_ckpt) in warning[0]
    assert 'tools/export_student.py' in warning[0]
    # the same teacher (a resume) says nothing
    same = str(tmp_path / 'same_run.pth')
    torch.save(dict(state_dict=model.state_dict(), meta={}), same)
    with _Logged() as logged:
        load_checkpoint(model, same, strict=False)
    assert not [m for m in logged.messages if 'replaces the teacher' in m]


def test_teacher_gets_its_own_normalisation(tmp_path):
    """A teacher whose config normalises differently from the student's
    (other mean/std) sees inputs normalised its way, as in its own
    training: the distiller's teacher logits equal the teacher's on its
    own preprocessing."""
    cfg = _cfg(tmp_path)
    cfg.teacher.data_preprocessor = dict(type='ClsDataPreprocessor',
                                         num_classes=10, mean=[10.0],
                                         std=[30.0])
    model = MODELS.build(cfg)
    model.eval()
    batch = cls_batch(4, (1, 28, 28))
    student_data = model.data_preprocessor(batch, False)
    with torch.no_grad():
        model.record(student_data['inputs'], student_data['data_samples'],
                     student=False)
        seen = model.teacher_recorders.get('logits')
        own = model.teacher.data_preprocessor(batch, False)
        expected = model.teacher(own['inputs'], mode='tensor')
    assert torch.allclose(seen, expected, atol=1e-4)
    # with the student's normalisation it would have seen other inputs
    with torch.no_grad():
        unconverted = model.teacher(student_data['inputs'], mode='tensor')
    assert not torch.allclose(unconverted, expected, atol=1e-2)
