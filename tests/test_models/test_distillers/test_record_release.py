"""``release_records``: a training step drops each record once the last
loss reading it has been computed. What backward needs stays alive through
the losses' graphs (the student's records under OFD's connectors), the
rest (OFD's teacher features: ``PartialL2`` keeps its residual, not its
inputs) is freed before backward; losses and gradients are unchanged."""
import gc
import glob
import os.path as osp
import weakref

import pytest
import torch
from mmengine.config import Config

from mmfeatdistill.models.losses import NDLoss
from mmfeatdistill.registry import MODELS
from tests.helpers import CONFIGS, cls_batch, config_path, save_distill_teacher

OFD_CFG = config_path('ofd/ofd_resnet18-w32_resnet18-w8_fmnist.py')


@pytest.fixture(scope='module')
def ofd_cfg(tmp_path_factory):
    cfg = Config.fromfile(OFD_CFG)
    cfg.model.teacher_ckpt = save_distill_teacher(
        OFD_CFG, cfg, tmp_path_factory.mktemp('ofd_teacher'))
    return cfg


def _model(cfg, release):
    model_cfg = cfg.model.copy()
    model_cfg.release_records = release
    torch.manual_seed(0)
    model = MODELS.build(model_cfg)
    model.train()
    return model


def _batch(model):
    torch.manual_seed(1)
    return model.data_preprocessor(cls_batch(4, (1, 28, 28)), True)


def _losses_and_grads(model):
    for loss in model.losses_of_type(NDLoss).values():  # the same in each
        loss.set_class_means(
            torch.randn(10, 256, generator=torch.Generator().manual_seed(3)))
    data = _batch(model)
    losses = model.loss(data['inputs'], data['data_samples'])
    sum(v for k, v in losses.items() if 'loss' in k).backward()
    grads = {
        name: p.grad.clone()
        for name, p in model.named_parameters() if p.grad is not None
    }
    return losses, grads


def _assert_same_losses_and_grads(cfg):
    (losses1, grads1), (losses2, grads2) = [
        _losses_and_grads(_model(cfg, release)) for release in (True, False)
    ]
    assert losses1.keys() == losses2.keys()
    for key in losses1:
        assert torch.equal(losses1[key], losses2[key]), key
    assert grads1.keys() == grads2.keys() and grads1
    for key in grads1:
        assert torch.equal(grads1[key], grads2[key]), key
    return losses1, grads1


def test_release_changes_no_loss_or_gradient(ofd_cfg):
    losses, grads = _assert_same_losses_and_grads(ofd_cfg)
    assert any('connectors' in k for k in grads)
    assert len([k for k in losses if k.startswith('loss_ofd')]) == 4


#: every distillation config of the demo pair (one per method, KD, ...)
FMNIST_CONFIGS = sorted(
    p for p in glob.glob(osp.join(CONFIGS, '*', '*_fmnist.py'))
    if 'Distiller' in str(Config.fromfile(p).model.get('type')))


@pytest.mark.parametrize('path', FMNIST_CONFIGS,
                         ids=[osp.basename(p) for p in FMNIST_CONFIGS])
def test_release_changes_no_loss_or_gradient_of_any_method(path, tmp_path):
    """Every method's records (tuples read by index, records read through
    connectors and directly, TOFD's stage records read by several losses)
    released after their last reader: losses and gradients unchanged."""
    cfg = Config.fromfile(path)
    cfg.model.teacher_ckpt = save_distill_teacher(path, cfg, tmp_path)
    readers = {}
    for name in (probe := _model(cfg, True)).distill_losses:
        for argument in probe.loss_inputs_spec(name).values():
            key = argument.record_key()
            readers[key] = readers.get(key, 0) + 1
    if 'tofd' in osp.basename(path):
        assert max(readers.values()) > 1  # a record with several readers
    _assert_same_losses_and_grads(cfg)


@pytest.mark.parametrize('release', [True, False])
def test_teacher_records_freed_before_backward(ofd_cfg, release):
    """With release, OFD's teacher features are gone once the losses are
    computed and the student's records once backward has run; without it
    every record lives until the next forward."""
    model = _model(ofd_cfg, release)
    data = _batch(model)
    model.record(data['inputs'], data['data_samples'])
    refs = {
        (side, name): weakref.ref(manager.get(name))
        for side, manager in (('student', model.student_recorders),
                              ('teacher', model.teacher_recorders))
        for name in manager.recorders
    }
    assert len(refs) == 8
    losses = model.compute_distill_losses()
    gc.collect()
    alive = {key for key, ref in refs.items() if ref() is not None}
    if release:
        # the student connectors' convolutions keep their inputs
        assert alive == {k for k in refs if k[0] == 'student'}
        with pytest.raises(RuntimeError, match='release_records=False'):
            model.teacher_recorders.get(
                next(iter(model.teacher_recorders.recorders)))
    else:
        assert alive == set(refs)
    sum(losses.values()).backward()
    del losses
    gc.collect()
    alive = {key for key, ref in refs.items() if ref() is not None}
    assert alive == (set() if release else set(refs))
