# The detection demo's distillation set-up: Fashion-MNIST scenes (64x64,
# COCO boxes), the scenes detection schedule, the SSD pair (ResNet-18
# widths 32..128, neck levels 64, 128, 256, 256 -> widths 8..32, levels
# 16, 32, 64, 64; 4 levels at strides 4-32, the same anchors) and the
# distillation runtime. Children use `_base_.teacher`,
# `_base_.teacher_ckpt`, `_base_.student`, the widths and `task_hooks`.
_base_ = [
    './datasets/fmnist_scenes_det.py',
    './schedules/fmnist_scenes_det.py',
    './models/fmnist_scenes_ssd_teacher.py',
    './models/fmnist_scenes_ssd_student.py',
    './distill_runtime.py',
]
# mmdet registers `DetDataPreprocessor` (the dataset base spells it
# `DetDataPreProcessor`); the mean/std stay the base's
data_preprocessor = dict(type='mmdet.DetDataPreprocessor')
teacher = {{_base_.teacher_model}}
# written by the detection demo's teacher run; override with
# --cfg-options model.teacher_ckpt=...
teacher_ckpt = 'work_dirs/demo_det/teacher/teacher.pth'
student = {{_base_.student_model}}
# widths of the 4 maps the neck hands to the head: layer2, layer3 and the
# 2 extra layers
teacher_channels = [64, 128, 256, 256]
student_channels = [16, 32, 64, 64]
# SSDPredictFixHook makes mmdet 3.3.0's SSD predict (validation, testing)
# work; mmdet's CheckInvalidLossHook stops a run whose loss is not finite
task_hooks = [
    dict(type='SSDPredictFixHook'),
    dict(type='mmdet.CheckInvalidLossHook', interval=50, priority='VERY_LOW'),
]
