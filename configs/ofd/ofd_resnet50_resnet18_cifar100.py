# OFD (Heo et al., ICCV 2019) on CIFAR-100: mmpretrain's ResNet_CIFAR-50
# (model zoo, 79.90 top-1) -> ResNet_CIFAR-18 at 4 pre-ReLU stage ends.
# alpha = 1e-3 (CIFAR); layer weights 1/2^(n-1-i): 1/8, 1/4, 1/2, 1.
_base_ = ['../_base_/cifar100_r50_r18_bs128_pair.py']
from mmfeatdistill.presets import (ofd, resnet_block_bns,
                                   resnet_preact_positions)

teacher_blocks = ((1, 2), (2, 3), (3, 5), (4, 2))
student_blocks = ((1, 1), (2, 1), (3, 1), (4, 1))

model, custom_hooks = ofd(
    **_base_.pair, student_positions=resnet_preact_positions(student_blocks),
    teacher_positions=resnet_preact_positions(teacher_blocks, bottleneck=True),
    student_channels=[64, 128, 256,
                      512], teacher_channels=[256, 512, 1024, 2048],
    teacher_bns=resnet_block_bns(teacher_blocks, bottleneck=True), alpha=1e-3)
