# OFD on VOC12aug segmentation: DeepLabV3+ R101-D8 (model zoo, 78.62 mIoU
# at 20k) -> DeepLabV3+ R18-D8 at 6 pre-ReLU positions: 4 backbone stage
# ends, the ASPP output BN and the decoder's last BN. alpha = 1e-5 with
# OFD's segmentation divisors [8, 4, 2, 1, 1, 16]; connector warm-up: one
# epoch at lr x10 before the student trains.
_base_ = ['../_base_/voc12aug_deeplabv3plus-r101_r18_pair.py']
from mmfeatdistill.presets import (ofd, position, resnet_block_bns,
                                   resnet_preact_positions)

position_names = ['stage1', 'stage2', 'stage3', 'stage4', 'aspp', 'decoder']
head_positions = [
    'decode_head.bottleneck.bn',
    'decode_head.sep_bottleneck.1.pointwise_conv.bn'
]
teacher_blocks = ((1, 2), (2, 3), (3, 22), (4, 2))
student_blocks = ((1, 1), (2, 1), (3, 1), (4, 1))
teacher_positions = resnet_preact_positions(
    teacher_blocks, bottleneck=True) + [position(p) for p in head_positions]
teacher_channels = [256, 512, 1024, 2048, 512, 512]
teacher_bns = resnet_block_bns(teacher_blocks, bottleneck=True) + \
    head_positions
layer_weights = [1 / 8, 1 / 4, 1 / 2, 1.0, 1.0, 1 / 16]

model, custom_hooks = ofd(
    **_base_.pair, position_names=position_names,
    student_positions=resnet_preact_positions(student_blocks) +
    [position(p) for p in head_positions], teacher_positions=teacher_positions,
    student_channels=[64, 128, 256, 512, 128, 128],
    teacher_channels=teacher_channels, teacher_bns=teacher_bns, alpha=1e-5,
    layer_weights=layer_weights, connector_warmup=dict(warmup_epochs=1,
                                                       lr_mult=10.0))
