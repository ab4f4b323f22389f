# OFD on ImageNet: ResNet-50 (model zoo, 76.55 top-1) -> MobileNetV2 at 4
# positions of equal spatial size (56, 28, 14, 7). alpha = 1e-4.
# Student side: MobileNetV2's inverted residuals end linearly (no ReLU), so
# their outputs are used; the last position is the BN of `conv2` before its
# ReLU6.
_base_ = ['../_base_/in1k_r50_mobilenetv2_pair.py']
from mmfeatdistill.presets import (ofd, position, resnet_block_bns,
                                   resnet_preact_positions)

teacher_blocks = ((1, 2), (2, 3), (3, 5), (4, 2))

model, custom_hooks = ofd(
    **_base_.pair, student_positions=[
        position(p) for p in ('backbone.layer2', 'backbone.layer3',
                              'backbone.layer5', 'backbone.conv2.bn')
    ], teacher_positions=resnet_preact_positions(teacher_blocks,
                                                 bottleneck=True),
    student_channels=[24, 32, 96,
                      1280], teacher_channels=[256, 512, 1024, 2048],
    teacher_bns=resnet_block_bns(teacher_blocks, bottleneck=True), alpha=1e-4)
