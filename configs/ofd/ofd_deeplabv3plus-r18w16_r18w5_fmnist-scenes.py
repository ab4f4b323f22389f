# OFD on the Fashion-MNIST scenes pair (DeepLabV3+ R18 w16 -> w5), the
# VOC12aug design (configs/ofd/ofd_deeplabv3plus-r101_r18_voc12aug.py): 6
# pre-ReLU positions, the 4 backbone stage ends (input of the last block's
# relu at its second call), the ASPP output BN and the decoder's last BN;
# margins from the teacher's BNs there; OFD's segmentation layer weights
# [1/8, 1/4, 1/2, 1, 1, 1/16]; teacher BN in train mode; connectors warmed
# up alone at lr x10 first.
# Scaled from VOC, with the reasons:
# - alpha = 6.4e-4 = 1e-5 (VOC) x 64, the ratio of input pixels (512x512
#   crops vs 64x64 scenes). OFD's distance is a sum over all elements of
#   the maps per image, the cross-entropy beside it a mean over pixels, so
#   with 1e-5 each feature element would weigh 64x less against the
#   per-pixel cross-entropy than on VOC. Not scaled for the rest: VOC's
#   R18-D8 has output stride 8, this pair 16 (stage 3, stage 4 and the ASPP
#   map are 4x smaller again), and the widths differ. 6.4e-4 is also the
#   order of OFD's CIFAR alpha (1e-3), whose maps (32..4 px) are the size
#   of these (16..4 px). At the start of training the 6 terms sum to about
#   0.3 of the cross-entropy (mostly stage 1 and the decoder).
# - Warm-up 1/30 of the run instead of 1 epoch: on VOC one epoch is 1/30
#   of the 20k-iteration run (10582 images, batch 16); here one epoch would
#   be half of the demo's 2-epoch student run (the student trains from
#   scratch, VOC's from ImageNet weights). `warmup_ratio` keeps the
#   fraction on any schedule (33 of the demo's 1000 iterations).
_base_ = ['../_base_/fmnist_scenes_seg_pair.py']
from mmfeatdistill.presets import (ofd, position, resnet_block_bns,
                                   resnet_preact_positions)

position_names = ['stage1', 'stage2', 'stage3', 'stage4', 'aspp', 'decoder']
head_positions = [
    'decode_head.bottleneck.bn',
    'decode_head.sep_bottleneck.1.pointwise_conv.bn'
]
# last BasicBlock of each stage, in both ResNetV1c-18s
blocks = ((1, 1), (2, 1), (3, 1), (4, 1))
positions = resnet_preact_positions(blocks) + [
    position(p) for p in head_positions
]
layer_weights = [1 / 8, 1 / 4, 1 / 2, 1.0, 1.0, 1 / 16]

model, custom_hooks = ofd(
    **_base_.pair, position_names=position_names, student_positions=positions,
    teacher_positions=positions, student_channels=_base_.student_channels +
    [_base_.student_head_channels] * 2,
    teacher_channels=_base_.teacher_channels +
    [_base_.teacher_head_channels] * 2,
    teacher_bns=resnet_block_bns(blocks) + head_positions, alpha=6.4e-4,
    layer_weights=layer_weights, connector_warmup=dict(warmup_ratio=1 / 30,
                                                       lr_mult=10.0))
