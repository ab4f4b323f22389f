# The detection demo's distillation set-up: Fashion-MNIST scenes (64x64,
# COCO boxes), the scenes detection schedule, the SSD pair (ResNet-18
# widths 32..128, neck levels 64, 128, 256, 256 -> widths 8..32, levels
# 16, 32, 64, 64; 4 levels at strides 4-32, the same anchors) and the
# distillation runtime. Children use `_base_.teacher`,
# `_base_.teacher_ckpt`, `_base_.student`, the widths and `task_hooks`.
_base_ = [
    './fmnist_scenes_det_runtime.py',
    # brings the teacher's model base too
    './models/fmnist_scenes_ssd_student.py',
]
teacher = {{_base_.teacher_model}}
# written by the detection demo's teacher run; override with
# --cfg-options model.teacher_ckpt=...
teacher_ckpt = 'work_dirs/demo_det/teacher/teacher.pth'
student = {{_base_.student_model}}
# widths of the 4 maps the neck hands to the head: layer2, layer3 and the
# 2 extra layers
teacher_channels = [64, 128, 256, 256]
student_channels = [16, 32, 64, 64]
# the detector's hooks (fmnist_scenes_det_runtime.py), for the presets
task_hooks = {{_base_.custom_hooks}}
# The frozen teacher stays out of the optimizer (merges into the schedule's
# optim_wrapper).
optim_wrapper = dict(constructor='DistillerOptimWrapperConstructor')
# What every preset call takes first: `preset(**_base_.pair, ...)`.
pair = dict(teacher=teacher, teacher_ckpt=teacher_ckpt, student=student)
