# Pretraining of the detection student's backbone: the SSD student's mmdet
# ResNet-18 of widths 8-16-32 (configs/_base_/models/
# fmnist_scenes_ssd_student.py, only `out_indices` changed to its last
# stage) classifies the garments of Fashion-MNIST (training images
# 0-54999; see ../_base_/fmnist_scenes_backbone_pretrain.py). Its
# `backbone.` weights initialise the plain student
# (model.backbone.init_cfg) and every distilled student
# (model.student.backbone.init_cfg) in the demo's `long` schedule.
_base_ = [
    '../_base_/fmnist_scenes_backbone_pretrain.py',
    '../_base_/models/fmnist_scenes_ssd_student.py',
]
model = dict(
    _scope_='mmpretrain', type='ImageClassifier',
    backbone=dict(_base_.student_model.backbone, type='mmdet.ResNet',
                  out_indices=(2, )), neck=_base_.pretrain_neck,
    head=dict(_base_.pretrain_head, in_channels=32))
