# TOFD on VOC12aug segmentation: DeepLabV3+ R101-D8 -> DeepLabV3+
# MobileNetV2-D8; everything as the R18 config but the student and its 4
# stages (layers 2, 3, 5, 7: strides 4, 8, 8, 8 like the teacher's).
# Head losses averaged over the heads (head_weight = 1/4), not summed as in
# TOFD's classification code: on the Fashion-MNIST scenes benchmark the summed
# heads' task and soft-target losses (4 coarse dense heads, far larger than
# the segmentor's) trained the backbone for the heads and fell behind the
# plain student; the validation sweep chose the average (the measurements:
# benchmarks/results/sweeps.md, "seg / TOFD", and fmnist_scenes_seg.md).
_base_ = [
    './tofd_deeplabv3plus-r101_r18_voc12aug.py',
    '../_base_/models/deeplabv3plus_mobilenetv2_voc12aug_student.py'
]
from mmfeatdistill.presets import tofd

model, custom_hooks = tofd(
    teacher=_base_.teacher, teacher_ckpt=_base_.teacher_ckpt,
    student=_base_.student_mobilenetv2,
    student_stages=_base_.student_mobilenetv2_stages,
    teacher_stages=_base_.stages, num_classes=21, dense=True, by_epoch=False,
    labels=dict(type='GTSegMapConnector'), samples_source='decode_head.loss',
    ce_loss=dict(ignore_index=255), head_weight=1 / 4, replace_base=True)
