# OFD on ImageNet: ResNet-34 (model zoo, 73.62 top-1) -> ResNet-18 at 4
# pre-ReLU stage ends. alpha = 1e-4 (ImageNet); layer weights 1/8 .. 1.
_base_ = ['../_base_/in1k_r34_r18_pair.py']
from mmfeatdistill.presets import (ofd, resnet_block_bns,
                                   resnet_preact_positions)

teacher_blocks = ((1, 2), (2, 3), (3, 5), (4, 2))
student_blocks = ((1, 1), (2, 1), (3, 1), (4, 1))

model, custom_hooks = ofd(
    **_base_.pair, student_positions=resnet_preact_positions(student_blocks),
    teacher_positions=resnet_preact_positions(teacher_blocks),
    student_channels=[64, 128, 256, 512], teacher_channels=[64, 128, 256, 512],
    teacher_bns=resnet_block_bns(teacher_blocks), alpha=1e-4)
