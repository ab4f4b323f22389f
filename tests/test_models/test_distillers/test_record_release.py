"""``release_records``: a training step drops each record once the last
loss reading it has been computed. What backward needs stays alive through
the losses' graphs (the student's records under OFD's connectors), the
rest (OFD's teacher features: ``PartialL2`` keeps its residual, not its
inputs) is freed before backward; losses and gradients are unchanged."""
import gc
import weakref

import pytest
import torch
from mmengine.config import Config

from mmfeatdistill.registry import MODELS
from tests.helpers import cls_batch, config_path, save_distill_teacher

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


def test_release_changes_no_loss_or_gradient(ofd_cfg):
    runs = []
    for release in (True, False):
        model = _model(ofd_cfg, release)
        data = _batch(model)
        losses = model.loss(data['inputs'], data['data_samples'])
        sum(v for k, v in losses.items() if 'loss' in k).backward()
        grads = {
            name: p.grad.clone()
            for name, p in model.named_parameters() if p.grad is not None
        }
        runs.append((losses, grads))
    (losses1, grads1), (losses2, grads2) = runs
    assert losses1.keys() == losses2.keys()
    assert len([k for k in losses1 if k.startswith('loss_ofd')]) == 4
    for key in losses1:
        assert torch.equal(losses1[key], losses2[key]), key
    assert grads1.keys() == grads2.keys() and any('connectors' in k
                                                  for k in grads1)
    for key in grads1:
        assert torch.equal(grads1[key], grads2[key]), key


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
