"""The distiller core on real mmpretrain, mmdet and mmseg models."""
import copy
import os.path as osp

import pytest
import torch
from mmengine.config import Config
from mmengine.optim import build_optim_wrapper
from mmengine.runner import Runner

from mmfeatdistill.registry import MODELS
from tests.helpers import (assert_state_equal, cls_batch, config_path,
                           det_batch, fast_runner_cfg, make_fake_fashion_mnist,
                           save_model_checkpoint, seg_batch, state_dict_copy)

KD_CFG = 'kd/kd-mse_resnet18-w32_resnet18-w8_fmnist.py'


@pytest.fixture(scope='module')
def fmnist(tmp_path_factory):
    return make_fake_fashion_mnist(str(tmp_path_factory.mktemp('fmnist')),
                                   num_train=64, num_test=20)


def _kd_cfg(tmp_path, fmnist, **model_overrides):
    cfg = Config.fromfile(config_path(KD_CFG))
    ckpt = osp.join(str(tmp_path), 'teacher.pth')
    save_model_checkpoint(cfg.model.teacher, ckpt)
    cfg.model.teacher_ckpt = ckpt
    cfg.model.update(model_overrides)
    return fast_runner_cfg(cfg, str(tmp_path / 'work'), fmnist, max_iters=3)


def test_runner_distills_and_keeps_teacher(tmp_path, fmnist):
    cfg = _kd_cfg(tmp_path, fmnist)
    runner = Runner.from_cfg(cfg)
    model = runner.model
    teacher_before = state_dict_copy(model.teacher)
    student_before = state_dict_copy(model.student)
    connector_before = state_dict_copy(model.connectors)
    runner.train()
    # each loss logged under its own name
    scalars = runner.message_hub.log_scalars
    for key in ('train/loss', 'train/loss_kd', 'train/loss_mse_stage4'):
        assert key in scalars, sorted(scalars)
    assert scalars['train/loss_kd'].current() > 0
    # the teacher is bit-identical (weights and BN buffers), the student not
    assert_state_equal(teacher_before, state_dict_copy(model.teacher))
    student_after = state_dict_copy(model.student)
    assert any(not torch.equal(student_before[k], student_after[k])
               for k in student_before)
    # the connector trained with the student
    connector_after = state_dict_copy(model.connectors)
    assert not torch.equal(connector_before['s_stage4.conv.conv.weight'],
                           connector_after['s_stage4.conv.conv.weight'])
    # validation used the student's predict and mmpretrain's Accuracy
    metrics = runner.val_loop.run()
    assert 'accuracy/top1' in metrics


def test_teacher_is_frozen_and_not_in_optimizer(tmp_path, fmnist):
    cfg = _kd_cfg(tmp_path, fmnist)
    model = MODELS.build(cfg.model)
    assert not any(p.requires_grad for p in model.teacher.parameters())
    optim = build_optim_wrapper(model, cfg.optim_wrapper)
    in_optim = {
        id(p)
        for g in optim.optimizer.param_groups
        for p in g['params']
    }
    assert not in_optim & {id(p) for p in model.teacher.parameters()}
    assert {id(p) for p in model.student.parameters()} <= in_optim
    assert {id(p) for p in model.connectors.parameters()} <= in_optim


@pytest.mark.parametrize('norm_eval', [False, True])
def test_teacher_bn_mode(tmp_path, fmnist, norm_eval):
    """False: batch statistics without touching the running statistics;
    True: running statistics. The teacher's state never changes."""
    cfg = _kd_cfg(tmp_path, fmnist, teacher_norm_eval=norm_eval)
    model = MODELS.build(cfg.model)
    model.train()
    bn = model.teacher.backbone.norm1
    assert bn.training is (not norm_eval)
    before = state_dict_copy(model.teacher)
    data = model.data_preprocessor(cls_batch(4, (1, 28, 28)), True)
    x = data['inputs']
    recorded = []
    handle = bn.register_forward_hook(
        lambda m, a, o: recorded.append(o.clone()))
    with torch.no_grad():
        model.teacher(x, data['data_samples'], mode='tensor')
        stem = model.teacher.backbone.conv1(x)
        if norm_eval:
            mean, var = bn.running_mean, bn.running_var
        else:
            mean = stem.mean((0, 2, 3))
            var = stem.var((0, 2, 3), unbiased=False)
        ref = (stem - mean[None, :, None, None]
               ) / torch.sqrt(var[None, :, None, None] + bn.eps)
        ref = ref * bn.weight[None, :, None, None] + \
            bn.bias[None, :, None, None]
    handle.remove()
    torch.testing.assert_close(recorded[0], ref, rtol=1e-4, atol=1e-4)
    assert_state_equal(before, state_dict_copy(model.teacher))


def test_config_errors_are_clear(tmp_path, fmnist):
    cfg = _kd_cfg(tmp_path, fmnist)
    bad = copy.deepcopy(cfg.model)
    bad.connectors = dict()
    bad.loss_forward_mappings.loss_mse_stage4.s_feature.pop('connector')
    model = MODELS.build(bad)
    data = model.data_preprocessor(cls_batch(2, (1, 28, 28)), True)
    with pytest.raises(ValueError) as info:
        model(**data, mode='loss')
    msg = str(info.value)
    assert "'loss_mse_stage4'" in msg and 'FeatureMSELoss' in msg
    assert "student recorder 'stage4'" in msg
    assert "teacher recorder 'stage4'" in msg
    assert '(2, 64, 4, 4)' in msg and '(2, 256, 4, 4)' in msg

    bad = copy.deepcopy(cfg.model)
    bad.distill_losses['kd'] = bad.distill_losses.pop('loss_kd')
    bad.loss_forward_mappings['kd'] = bad.loss_forward_mappings.pop('loss_kd')
    with pytest.raises(KeyError, match='must contain "loss"'):
        MODELS.build(bad)

    bad = copy.deepcopy(cfg.model)
    bad.loss_forward_mappings.loss_kd.pop('t_logits')
    with pytest.raises(KeyError, match=r"missing \['t_logits'\]"):
        MODELS.build(bad)

    bad = copy.deepcopy(cfg.model)
    bad.loss_forward_mappings.loss_kd.t_logits.recorder = 'logit'
    with pytest.raises(KeyError, match="teacher recorder 'logit'"):
        MODELS.build(bad)

    bad = copy.deepcopy(cfg.model)
    bad.student.pop('_scope_')
    with pytest.raises(KeyError, match="_scope_='mmpretrain'"):
        MODELS.build(bad)


def _train_step(model, data, lr=0.01):
    optim = build_optim_wrapper(
        model,
        dict(constructor='DistillerOptimWrapperConstructor',
             optimizer=dict(type='SGD', lr=lr, momentum=0.9)))
    model.train()
    return model.train_step(data, optim)


def test_ssd_pair_one_train_step(tmp_path):
    teacher = dict(cfg_path='mmdet::ssd/ssd300_coco.py', load_pretrained=False)
    ckpt = str(tmp_path / 'ssd300.pth')
    save_model_checkpoint(teacher, ckpt)
    student = dict(
        cfg_path='mmdet::ssd/ssdlite_mobilenetv2-scratch_8xb24-600e_coco.py',
        load_pretrained=False, data_preprocessor=dict(pad_size_divisor=1),
        backbone=dict(norm_cfg=dict(type='BN')),
        neck=dict(norm_cfg=dict(type='BN')),
        bbox_head=dict(norm_cfg=dict(type='BN')))
    model = MODELS.build(
        dict(
            _scope_='mmfeatdistill', type='FeatureDistiller', student=student,
            teacher=teacher, teacher_ckpt=ckpt, student_recorders=dict(
                p=dict(type='ModuleOutputRecorder', source='neck')),
            teacher_recorders=dict(
                p=dict(type='ModuleOutputRecorder', source='neck')),
            connectors=dict(c=dict(type='ConvConnector', in_channels=96,
                                   out_channels=1024)),
            distill_losses=dict(loss_mse_p0=dict(type='FeatureMSELoss')),
            loss_forward_mappings=dict(loss_mse_p0=dict(
                s_feature=dict(from_student=True, recorder='p', index=0,
                               connector='c'),
                t_feature=dict(from_student=False, recorder='p', index=1)))))
    model.init_weights()
    teacher_before = state_dict_copy(model.teacher)
    # both see the 300x300 batch: SSDLite's first map and SSD300's second
    # are 19x19
    log = _train_step(model, det_batch(2, 300))
    assert {'loss_cls', 'loss_bbox', 'loss_mse_p0'} <= set(log)
    assert torch.isfinite(log['loss'])
    assert_state_equal(teacher_before, state_dict_copy(model.teacher))


def test_deeplabv3plus_pair_one_train_step(tmp_path):
    common = dict(load_pretrained=False, data_preprocessor=dict(size=(64, 64)),
                  backbone=dict(norm_cfg=dict(type='BN')),
                  decode_head=dict(norm_cfg=dict(type='BN')),
                  auxiliary_head=dict(norm_cfg=dict(type='BN')))
    teacher = dict(
        cfg_path='mmseg::deeplabv3plus/'
        'deeplabv3plus_r50-d8_4xb2-40k_cityscapes-512x1024.py', **common)
    student = dict(
        cfg_path='mmseg::deeplabv3plus/'
        'deeplabv3plus_r18-d8_4xb2-80k_cityscapes-512x1024.py', **common)
    ckpt = str(tmp_path / 'dlv3p_r50.pth')
    save_model_checkpoint(teacher, ckpt)
    model = MODELS.build(
        dict(
            _scope_='mmfeatdistill', type='FeatureDistiller', student=student,
            teacher=teacher, teacher_ckpt=ckpt, student_recorders=dict(
                s4=dict(type='ModuleOutputRecorder', source='backbone.layer4'),
                logits=dict(type='ModuleOutputRecorder',
                            source='decode_head.conv_seg')),
            teacher_recorders=dict(
                s4=dict(type='ModuleOutputRecorder', source='backbone.layer4'),
                logits=dict(type='ModuleOutputRecorder',
                            source='decode_head.conv_seg')),
            connectors=dict(c4=dict(type='ConvConnector', in_channels=512,
                                    out_channels=2048)),
            distill_losses=dict(
                loss_mse_s4=dict(type='FeatureMSELoss', loss_weight=0.1),
                loss_kd=dict(type='KDLoss', tau=1.0)),
            loss_forward_mappings=dict(
                loss_mse_s4=dict(
                    s_feature=dict(from_student=True, recorder='s4',
                                   connector='c4'),
                    t_feature=dict(from_student=False, recorder='s4')),
                loss_kd=dict(
                    s_logits=dict(from_student=True, recorder='logits'),
                    t_logits=dict(from_student=False, recorder='logits')))))
    model.init_weights()
    teacher_before = state_dict_copy(model.teacher)
    log = _train_step(model, seg_batch(2, (64, 64)))
    assert {'decode.loss_ce', 'aux.loss_ce', 'loss_mse_s4',
            'loss_kd'} <= set(log)
    assert all(torch.isfinite(v) for k, v in log.items() if 'loss' in k)
    assert_state_equal(teacher_before, state_dict_copy(model.teacher))
