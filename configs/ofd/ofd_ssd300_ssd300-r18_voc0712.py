# OFD on VOC0712 detection: SSD300 (VGG16) -> SSD300 with a ResNet-18
# backbone (the OFD paper's SSD student), at the 2 backbone maps and the 4
# extra layers of the neck (38, 19, 10, 5, 3, 1), all pre-ReLU. VGG has no
# BN, so the teacher's margins are running estimates of E[t | t < 0].
# alpha = 1e-4 (detection), layer weights 1/32 .. 1 (deepest 1), connector
# warm-up: 500 iterations at lr x10 before the student trains.
# Teacher: the COCO SSD300 (mmdet 3.x has no VOC0712 SSD300 checkpoint);
# how to use your own VOC teacher:
# ../_base_/models/ssd300-vgg16-coco_ssd300-r18.py.
_base_ = ['../_base_/voc0712_ssd300-vgg16_ssd300-r18_pair.py']
from mmfeatdistill.presets import ofd, position, resnet_preact_positions

extra_convs = [position(f'neck.extra_layers.{i}.1.conv') for i in range(4)]

model, custom_hooks = ofd(
    **_base_.pair,
    position_names=['c4', 'c5', 'extra1', 'extra2', 'extra3', 'extra4'],
    student_positions=resnet_preact_positions(((2, 1), (3, 1))) + extra_convs,
    # conv4_3 and fc7 before their in-place ReLUs, then each extra conv
    teacher_positions=[position(f'backbone.features.{i}')
                       for i in (21, 33)] + extra_convs,
    student_channels=_base_.student_channels,
    teacher_channels=_base_.teacher_channels,
    teacher_bns=[None] * 6,
    alpha=1e-4,  # layer weights 1/32 .. 1
    connector_warmup=dict(warmup_iters=500, lr_mult=10.0),
    hooks=_base_.task_hooks)
