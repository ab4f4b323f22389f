"""KD and ND (KD++) on pairs of different architectures, from the presets
alone: a ViT teacher (mmpretrain's DeiT-S config, shrunk) with a
ResNet_CIFAR-18 student, and the other way round. One training step each
on a generated batch; nothing is downloaded."""
import pytest
import torch
from mmengine.config import Config
from mmengine.optim import build_optim_wrapper
from mmengine.registry import DefaultScope

from mmfeatdistill.models.losses import NDLoss
from mmfeatdistill.models.losses.nd_class_means import extract_class_means
from mmfeatdistill.presets import kd, nd, position
from mmfeatdistill.registry import MODELS
from tests.helpers import (assert_state_equal, cls_batch, config_path,
                           save_model_checkpoint, state_dict_copy)

#: mmpretrain's DeiT-S (VisionTransformer + VisionTransformerClsHead, no
#: neck, class-token output) at 32x32 with 2 layers of width 32
VIT = dict(
    cfg_path='mmpretrain::deit/deit-small_4xb256_in1k.py',
    load_pretrained=False, backbone=dict(
        arch=dict(_delete_=True, embed_dims=32, num_layers=2, num_heads=2,
                  feedforward_channels=64), img_size=32, patch_size=8),
    head=dict(num_classes=10, in_channels=32), train_cfg=None)
#: mmpretrain's CIFAR ResNet-18 at widths 8-64
RESNET = dict(cfg_path='mmpretrain::resnet/resnet18_8xb16_cifar10.py',
              load_pretrained=False, backbone=dict(stem_channels=8,
                                                   base_channels=8),
              head=dict(in_channels=64))
#: the ViT's logits and class-token embedding
VIT_LOGITS = 'head.layers.head'
VIT_EMBEDDING = position('backbone', 0)


def _build(model_cfg: dict, teacher: dict, tmp_path) -> torch.nn.Module:
    ckpt = str(tmp_path / 'teacher.pth')
    save_model_checkpoint(teacher, ckpt)
    model = MODELS.build(dict(model_cfg, teacher_ckpt=ckpt))
    model.init_weights()
    return model


def _one_step(model) -> dict:
    with DefaultScope.overwrite_default_scope('mmfeatdistill'):
        optim = build_optim_wrapper(
            model,
            dict(constructor='DistillerOptimWrapperConstructor',
                 optimizer=dict(type='SGD', lr=0.01, momentum=0.9)))
    teacher_before = state_dict_copy(model.teacher)
    student_before = state_dict_copy(model.student)
    model.train()
    log = model.train_step(cls_batch(4, (3, 32, 32)), optim)
    assert torch.isfinite(log['loss'])
    assert_state_equal(teacher_before, state_dict_copy(model.teacher))
    student_after = state_dict_copy(model.student)
    assert any(not torch.equal(v, student_after[k])
               for k, v in student_before.items())
    return log


def _install_class_means(model) -> None:
    """ND's class means from the teacher, as ``ClassMeansHook`` computes
    them (one pass; every class appears in the batch)."""
    model.eval()
    names = list(model.losses_of_type(NDLoss))
    means = extract_class_means(model, [cls_batch(10, (3, 32, 32))], names,
                                num_classes=10, progress=False)
    for name, (class_means, counts) in means.items():
        assert (counts == 1).all()
        model.distill_losses[name].set_class_means(class_means)


def test_kd_vit_teacher_cnn_student(tmp_path):
    model_cfg, hooks = kd(teacher=VIT, student=RESNET, teacher_ckpt=None,
                          teacher_logits_source=VIT_LOGITS)
    assert hooks == []
    assert model_cfg['student_recorders']['logits']['source'] == 'head.fc'
    assert model_cfg['teacher_recorders']['logits']['source'] == VIT_LOGITS
    log = _one_step(_build(model_cfg, VIT, tmp_path))
    assert log['loss_kd'] > 0


def test_nd_kdpp_vit_teacher_cnn_student(tmp_path):
    """KD++ with the ViT's class token as the teacher's embedding: the
    student's pooled 64-d embedding is mapped to the teacher's 32."""
    model_cfg, hooks = nd(teacher=VIT, student=RESNET, teacher_ckpt=None,
                          student_channels=64, teacher_channels=32,
                          teacher_positions=[VIT_EMBEDDING],
                          teacher_logits_source=VIT_LOGITS,
                          kd=dict(tau=4.0, weight=1.0, warmup=2))
    assert hooks == [dict(type='ClassMeansHook')]
    assert model_cfg['student_recorders']['feat']['source'] == 'neck'
    assert model_cfg['teacher_recorders']['feat']['source'] == 'backbone'
    assert model_cfg['teacher_recorders']['logits']['source'] == VIT_LOGITS
    model = _build(model_cfg, VIT, tmp_path)
    _install_class_means(model)
    assert model.distill_losses['loss_nd'].class_means.shape == (10, 32)
    log = _one_step(model)
    assert {'loss_nd', 'loss_kd', 'loss_student'} <= set(log)


def test_nd_vit_teacher_tokens_mean(tmp_path):
    """A (B, N, C) token output pooled by the preset (patch tokens, the
    class token left out)."""
    teacher = dict(VIT, backbone=dict(VIT['backbone'], out_type='raw'),
                   head=dict(type='ClsHead', _delete_=True))
    model_cfg, _ = nd(teacher=teacher, student=RESNET, teacher_ckpt=None,
                      student_channels=64, teacher_channels=32,
                      teacher_positions=[VIT_EMBEDDING],
                      teacher_tokens=dict(mode='mean', num_extra_tokens=1))
    assert model_cfg['connectors']['teacher_tokens'] == dict(
        type='TokenPoolConnector', mode='mean', num_extra_tokens=1)
    model = _build(model_cfg, teacher, tmp_path)
    _install_class_means(model)
    _one_step(model)


def test_nd_kdpp_cnn_teacher_vit_student(tmp_path):
    """The other way round: the ViT student's class token (32-d) mapped to
    the ResNet teacher's pooled 64-d embedding."""
    model_cfg, _ = nd(teacher=RESNET, student=VIT, teacher_ckpt=None,
                      student_channels=32, teacher_channels=64,
                      positions=[VIT_EMBEDDING], logits_source=VIT_LOGITS,
                      teacher_positions=[position('neck', 0)
                                         ], teacher_logits_source='head.fc',
                      kd=dict(tau=4.0, weight=1.0))
    model = _build(model_cfg, RESNET, tmp_path)
    _install_class_means(model)
    log = _one_step(model)
    assert {'loss_nd', 'loss_kd'} <= set(log)


def test_kd_cnn_teacher_vit_student(tmp_path):
    model_cfg, _ = kd(teacher=RESNET, student=VIT, teacher_ckpt=None,
                      logits_source=VIT_LOGITS,
                      teacher_logits_source='head.fc')
    log = _one_step(_build(model_cfg, RESNET, tmp_path))
    assert log['loss_kd'] > 0


def test_nd_student_tokens_and_transform_in_sequence():
    model_cfg, _ = nd(teacher=RESNET, student=VIT, teacher_ckpt=None,
                      student_channels=32, teacher_channels=64,
                      positions=[VIT_EMBEDDING], tokens='cls',
                      teacher_positions=[position('neck', 0)])
    assert 'teacher_tokens' not in model_cfg['connectors']
    assert model_cfg['connectors']['transform'] == dict(
        type='SequentialConnector', connectors=[
            dict(type='TokenPoolConnector', mode='cls'),
            dict(type='EmbeddingTransformConnector', in_channels=32,
                 out_channels=64)
        ])


@pytest.mark.parametrize('rows', ['pixel', 'anchor'])
def test_nd_dense_rows_refuse_token_positions(rows):
    with pytest.raises(ValueError) as info:
        nd(teacher=VIT, student=RESNET, teacher_ckpt=None, student_channels=64,
           teacher_channels=32, rows=rows, positions=[position('neck', 0)],
           teacher_positions=[VIT_EMBEDDING], teacher_tokens='cls')
    message = str(info.value)
    assert f"nd(rows='{rows}')" in message
    assert "teacher_tokens='cls'" in message
    assert "out_type='featmap'" in message and "rows='image'" in message


def test_nd_loss_refuses_unpooled_tokens():
    loss = MODELS.build(dict(type='NDLoss', class_means=torch.ones(10, 32)))
    tokens = torch.randn(2, 17, 32)
    with pytest.raises(ValueError) as info:
        loss(tokens, tokens, torch.tensor([0, 1]))
    message = str(info.value)
    assert 'NDLoss' in message and '(2, 17, 32)' in message
    assert "tokens='cls'" in message and "out_type='cls_token'" in message


def test_missing_teacher_side_points_at_the_teacher_arguments(tmp_path):
    """What a new user meets: a ViT teacher has no ``neck``; the error
    names the recorder and the preset arguments of the teacher's side."""
    model_cfg, _ = nd(teacher=VIT, student=RESNET, teacher_ckpt=None,
                      student_channels=64, teacher_channels=32)
    with pytest.raises(KeyError) as info:
        _build(model_cfg, VIT, tmp_path)
    message = info.value.args[0]
    assert "teacher recorder 'feat'" in message and "'neck'" in message
    assert 'teacher_positions=' in message
    assert 'teacher_logits_source=' in message


def test_deit_small_resnet18_config_loads_its_teacher_strictly(tmp_path):
    """The shipped DeiT-S -> ResNet-18 KD++ config: a state dict made from
    its own teacher config (what the model-zoo URL holds; nothing is
    downloaded) loads strictly, and the recorders find their modules."""
    cfg = Config.fromfile(
        config_path('nd/nd-kdpp_deit-small_resnet18_in1k.py'))
    assert cfg.model.teacher_ckpt.startswith('https://download.openmmlab')
    ckpt = str(tmp_path / 'deit-small.pth')
    save_model_checkpoint(cfg.model.teacher, ckpt)
    model = MODELS.build(dict(cfg.model, teacher_ckpt=ckpt))
    assert type(model.teacher.head).__name__ == 'VisionTransformerClsHead'
    assert model.connectors['transform'].fc.out_features == 384
    assert model.teacher.head.layers.head.in_features == 384
