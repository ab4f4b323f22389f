# OFD on the Fashion-MNIST scenes detection demo (the VOC0712 SSD design,
# configs/ofd/ofd_ssd300_ssd300-r18_voc0712.py): SSD ResNet-18 widths
# 32..128 -> 8..32, at the 2 backbone maps the neck reads (layer2 16x16,
# layer3 8x8: pre-ReLU ends of their last blocks) and the 2 extra layers'
# 3x3 convs (4x4, 2x2: pre-ReLU); margins from the teacher's last BN of
# each block, and running estimates of E[t | t < 0] on the extra layers
# (no BN there, as VGG's in the VOC config); layer weights 1/8, 1/4, 1/2,
# 1 (deepest 1); teacher BN in train mode; connectors warmed up alone at
# lr x10 first.
# Scaled from VOC, with the reasons:
# - alpha = 8e-4 = 1e-4 (VOC detection) x 8. OFD's distance is a sum over
#   all elements of the maps per image, SSD's losses are normalised by the
#   number of positive anchors; the layer-weighted element count of these
#   4 maps (16x16x64 / 8 + 8x8x128 / 4 + 4x4x256 / 2 + 2x2x256 = 7.2k) is
#   7.7x smaller than that of the VOC pair's 6 maps at 300 px (38x38x512
#   / 32 + ... + 1x1x256 = 55.6k), so 1e-4 would weigh each feature element
#   8x less against the detector's losses than on VOC.
# - Warm-up 1/120 of the run instead of 500 iterations: the fraction of
#   the VOC config's run (500 of SSD300's 24 epochs of the 10x-repeated
#   VOC0712, ~62k iterations at batch 64: 0.8%; the OFD paper's 500 of
#   120k is the same order), kept on any schedule by `warmup_ratio`, as
#   the segmentation configs keep VOC's 1 epoch of 30. 100 of the `long`
#   schedule's 12000 iterations (48 epochs of 8000 scenes, batch 32; the
#   student backbone pretrained, as VOC's), 2 of the `short` one's 250
#   (students from scratch: no pretrained features for random connectors
#   to disturb). 500 fixed would be the whole short run, and 20 fixed
#   (before 2026-12-07) 8% of it.
_base_ = ['../_base_/fmnist_scenes_det_pair.py']
from mmfeatdistill.presets import (ofd, position, resnet_block_bns,
                                   resnet_preact_positions)

blocks = ((2, 1), (3, 1))  # layer2.1, layer3.1: the maps the neck reads
extra_convs = [position(f'neck.extra_layers.{i}.1.conv') for i in range(2)]
positions = resnet_preact_positions(blocks) + extra_convs

model, custom_hooks = ofd(
    **_base_.pair,
    position_names=['c3', 'c4', 'extra1', 'extra2'],
    student_positions=positions,
    teacher_positions=positions,
    student_channels=_base_.student_channels,
    teacher_channels=_base_.teacher_channels,
    teacher_bns=resnet_block_bns(blocks) + [None] * 2,
    alpha=8e-4,  # layer weights 1/8 .. 1
    connector_warmup=dict(warmup_ratio=1 / 120, lr_mult=10.0),
    hooks=_base_.task_hooks)
