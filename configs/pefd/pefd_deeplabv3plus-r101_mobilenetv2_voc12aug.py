# PEFD on VOC12aug segmentation: DeepLabV3+ R101-D8 -> DeepLabV3+
# MobileNetV2-D8; everything as the R18 config but the student, its last
# stage (layer7, 320 channels, stride 8) and its 512-channel decoder.
_base_ = [
    './pefd_deeplabv3plus-r101_r18_voc12aug.py',
    '../_base_/models/deeplabv3plus_mobilenetv2_voc12aug_student.py'
]
from mmfeatdistill.presets import pefd, position

model, custom_hooks = pefd(
    teacher=_base_.teacher, teacher_ckpt=_base_.teacher_ckpt,
    student=_base_.student_mobilenetv2, positions=[
        position('backbone.layer7'),
        position('decode_head.sep_bottleneck')
    ], teacher_positions=_base_.positions,
    position_names=['stage4', 'decoder'], student_channels=[320, 512],
    teacher_channels=[2048, 512], alpha=25.0, num_projectors=3, dense=True,
    replace_base=True)
