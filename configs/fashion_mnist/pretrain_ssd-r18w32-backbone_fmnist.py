# Pretraining of the detection teacher's backbone (the scenes' analogue of
# ImageNet pretraining): the SSD teacher's mmdet ResNet-18 of widths
# 32-64-128 (configs/_base_/models/fmnist_scenes_ssd_teacher.py, only
# `out_indices` changed to its last stage) classifies the garments of
# Fashion-MNIST (training images 0-54999; see
# ../_base_/fmnist_scenes_backbone_pretrain.py). Its `backbone.` weights
# initialise teacher_ssd-r18w32_fmnist-scenes.py in the demo's `long`
# schedule (model.backbone.init_cfg, type Pretrained, prefix 'backbone.').
_base_ = [
    '../_base_/fmnist_scenes_backbone_pretrain.py',
    '../_base_/models/fmnist_scenes_ssd_teacher.py',
]
model = dict(
    _scope_='mmpretrain', type='ImageClassifier',
    backbone=dict(_base_.teacher_model.backbone, type='mmdet.ResNet',
                  out_indices=(2, )), neck=_base_.pretrain_neck,
    head=dict(_base_.pretrain_head, in_channels=128))
