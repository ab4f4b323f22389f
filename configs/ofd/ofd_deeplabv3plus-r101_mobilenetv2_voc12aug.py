# OFD on VOC12aug segmentation: DeepLabV3+ R101-D8 -> DeepLabV3+
# MobileNetV2-D8; everything as the R18 config but the student and its
# positions. MobileNetV2's inverted residuals end linearly: the outputs of
# layers 2, 3, 5, 7 are used (strides 4, 8, 8, 8 like the teacher's
# stages); its ASPP and decoder have the teacher's 512 channels.
_base_ = [
    './ofd_deeplabv3plus-r101_r18_voc12aug.py',
    '../_base_/models/deeplabv3plus_mobilenetv2_voc12aug_student.py'
]
from mmfeatdistill.presets import ofd, position

model, custom_hooks = ofd(
    teacher=_base_.teacher, teacher_ckpt=_base_.teacher_ckpt,
    student=_base_.student_mobilenetv2, position_names=_base_.position_names,
    student_positions=[position(p)
                       for p in _base_.student_mobilenetv2_stages] +
    [position(p) for p in _base_.head_positions],
    teacher_positions=_base_.teacher_positions,
    student_channels=[24, 32, 96, 320, 512, 512],
    teacher_channels=_base_.teacher_channels, teacher_bns=_base_.teacher_bns,
    alpha=1e-5, layer_weights=_base_.layer_weights,
    connector_warmup=dict(warmup_epochs=1, lr_mult=10.0), replace_base=True)
