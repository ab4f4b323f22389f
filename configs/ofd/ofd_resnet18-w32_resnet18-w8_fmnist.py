# OFD on Fashion-MNIST (the demo's pair): ResNet_CIFAR-18 widths 32..256 ->
# widths 8..64, at the 4 pre-ReLU stage ends. alpha = 1e-3 (CIFAR-like).
_base_ = ['../_base_/fmnist_distill_pair.py']
from mmfeatdistill.presets import (ofd, resnet_block_bns,
                                   resnet_preact_positions)

# pre-ReLU stage ends (layer{stage}.1, BasicBlocks) in both ResNet-18s
blocks = ((1, 1), (2, 1), (3, 1), (4, 1))
positions = resnet_preact_positions(blocks)

model, custom_hooks = ofd(**_base_.pair, student_positions=positions,
                          teacher_positions=positions,
                          student_channels=_base_.student_channels,
                          teacher_channels=_base_.teacher_channels,
                          teacher_bns=resnet_block_bns(blocks),
                          alpha=1e-3)  # layer weights 1/8, 1/4, 1/2, 1
