# Pretraining of the segmentation teacher's backbone (the scenes' analogue
# of ImageNet pretraining): the DeepLabV3+ teacher's mmseg ResNetV1c-18 of
# widths 16-128, output stride 16 (configs/_base_/models/
# fmnist_scenes_deeplabv3plus_teacher.py, only `out_indices` changed to
# its last stage) classifies the garments of Fashion-MNIST (training
# images 0-54999; see ../_base_/fmnist_scenes_backbone_pretrain.py). Its
# `backbone.` weights initialise teacher_deeplabv3plus-r18w16_fmnist-
# scenes.py in the demo's `long` schedule (model.backbone.init_cfg).
_base_ = [
    '../_base_/fmnist_scenes_backbone_pretrain.py',
    '../_base_/models/fmnist_scenes_deeplabv3plus_teacher.py',
]
model = dict(
    _scope_='mmpretrain', type='ImageClassifier',
    backbone=dict(_base_.teacher_model.backbone, type='mmseg.ResNetV1c',
                  out_indices=(3, )), neck=_base_.pretrain_neck,
    head=dict(_base_.pretrain_head, in_channels=128))
