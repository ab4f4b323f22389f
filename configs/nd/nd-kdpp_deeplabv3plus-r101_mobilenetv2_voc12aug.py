# ND with KD ("KD++") on VOC12aug segmentation: DeepLabV3+ R101-D8 ->
# DeepLabV3+ MobileNetV2-D8; everything as the R18 config but the student,
# whose decoder feature already has the teacher's 512 channels: no transform.
_base_ = [
    './nd-kdpp_deeplabv3plus-r101_r18_voc12aug.py',
    '../_base_/models/deeplabv3plus_mobilenetv2_voc12aug_student.py'
]
from mmfeatdistill.presets import nd

# the MobileNetV2 decoder has the teacher's width: no transform
model, custom_hooks = nd(teacher=_base_.teacher,
                         teacher_ckpt=_base_.teacher_ckpt,
                         student=_base_.student_mobilenetv2,
                         student_channels=512, teacher_channels=512,
                         replace_base=True, **_base_.nd_args)
