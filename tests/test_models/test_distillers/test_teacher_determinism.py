"""The teacher is deterministic in training: with a teacher that has
stochastic depth (mmpretrain's DropPath) and Dropout, two training
forwards of the same batch give identical teacher features and losses, for
every method's Fashion-MNIST config (OFD and TOFD keep the teacher's BN in
train mode: batch statistics, running statistics untouched)."""
import glob
import os.path as osp

import pytest
import torch
from mmengine.config import Config
from torch import nn
from torch.nn.modules.batchnorm import _BatchNorm

from mmfeatdistill.models.losses import NDLoss
from mmfeatdistill.registry import MODELS
from tests.helpers import (CONFIGS, cls_batch, save_distill_teacher,
                           state_dict_copy)

#: every distillation config of the demo pair: one per method (and KD)
FMNIST_CONFIGS = sorted(
    p for p in glob.glob(osp.join(CONFIGS, '*', '*_fmnist.py'))
    if 'Distiller' in str(Config.fromfile(p).model.get('type')))


def _stochastic_teacher_distiller(path, tmp_path):
    cfg = Config.fromfile(path)
    cfg.model.teacher.backbone.drop_path_rate = 0.3  # DropPath in every block
    cfg.model.teacher_ckpt = save_distill_teacher(path, cfg, tmp_path)
    cfg.model.release_records = False  # the records are read after loss()
    torch.manual_seed(0)
    model = MODELS.build(cfg.model)
    for stage in (model.teacher.backbone.layer2,
                  model.teacher.backbone.layer4):
        stage.append(nn.Dropout(0.5))  # Dropout inside the teacher too
    for loss in model.losses_of_type(NDLoss).values():
        loss.set_class_means(torch.randn(10, 256))
    for connector in model.connectors.modules():
        if isinstance(connector, nn.Dropout):  # ND's student-side dropout
            connector.p = 0.0
    return model


@pytest.mark.parametrize('path', FMNIST_CONFIGS,
                         ids=[osp.relpath(p, CONFIGS) for p in FMNIST_CONFIGS])
def test_same_batch_twice_gives_the_same_teacher(path, tmp_path):
    model = _stochastic_teacher_distiller(path, tmp_path)
    model.train()
    teacher_modes = {type(m): m.training for m in model.teacher.modules()}
    assert teacher_modes[nn.Dropout] is False
    assert not any(m.training for m in model.teacher.modules()
                   if 'DropPath' in type(m).__name__)
    bns = [m for m in model.teacher.modules() if isinstance(m, _BatchNorm)]
    assert all(m.training for m in bns) != model.teacher_norm_eval
    buffers = state_dict_copy(model.teacher)
    data = model.data_preprocessor(cls_batch(8, (1, 28, 28)), True)
    runs = []
    for seed in (1, 2):  # other random draws in each forward
        torch.manual_seed(seed)
        losses = model.loss(data['inputs'], data['data_samples'])
        records = {
            name: model.teacher_recorders.get(name)
            for name in model.teacher_recorders.recorders
        }
        runs.append(({
            k: v.detach().clone()
            for k, v in losses.items()
            if k.startswith('loss_') and k != 'loss_student'
        }, records))
    (losses1, records1), (losses2, records2) = runs
    for name in records1:
        first, second = records1[name], records2[name]
        if isinstance(first, (tuple, list)):
            first, second = first[0], second[0]
        assert torch.equal(first, second), f'teacher feature {name} changed'
    assert losses1.keys() == losses2.keys() and losses1
    for name in losses1:
        assert torch.equal(losses1[name], losses2[name]), name
    # the teacher's running statistics and weights never change
    after = state_dict_copy(model.teacher)
    assert all(torch.equal(buffers[k], after[k]) for k in buffers)
