# PEFD on the Fashion-MNIST scenes pair (DeepLabV3+ R18 w16 -> w5), the
# VOC12aug design (configs/pefd/pefd_deeplabv3plus-r101_r18_voc12aug.py):
# the backbone's last stage and the decoder feature that enters the
# classifier (decode_head.sep_bottleneck), ensembles of 3 projectors as 1x1
# convolutions, direction alignment per pixel, alpha = 25 split over the
# 2 maps, teacher in eval mode, no KD term. Both maps have the same size in
# both models (same strides: 4x4 and 16x16 at 64x64 input).
_base_ = ['../_base_/fmnist_scenes_seg_pair.py']
from mmfeatdistill.presets import pefd, position

positions = [
    position('backbone.layer4'),
    position('decode_head.sep_bottleneck')
]

model, custom_hooks = pefd(
    **_base_.pair, positions=positions, position_names=['stage4', 'decoder'],
    student_channels=[
        _base_.student_channels[-1], _base_.student_head_channels
    ], teacher_channels=[
        _base_.teacher_channels[-1], _base_.teacher_head_channels
    ], alpha=25.0, num_projectors=3, dense=True)
