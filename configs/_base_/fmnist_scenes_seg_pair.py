# The segmentation demo's distillation set-up: Fashion-MNIST scenes
# (64x64), the scenes schedule, the DeepLabV3+ pair (ResNetV1c-18 widths
# 16..128, ASPP 64 -> widths 5..40, ASPP 20) and the distillation runtime.
# Children use `_base_.teacher`, `_base_.teacher_ckpt`, `_base_.student`
# and the widths below.
# Step times of each config: benchmarks/results/step_profile.md.
_base_ = [
    './datasets/fmnist_scenes_seg.py',
    './schedules/fmnist_scenes_seg.py',
    # brings the teacher's model base too
    './models/fmnist_scenes_deeplabv3plus_student.py',
    './distill_runtime.py',
]
teacher = {{_base_.teacher_model}}
# written by the segmentation demo's teacher run; override with
# --cfg-options model.teacher_ckpt=...
teacher_ckpt = 'work_dirs/demo_seg/teacher/teacher.pth'
student = {{_base_.student_model}}
# widths of the 4 backbone stages, and of the ASPP output and the decoder
# feature that enters the classifier (`decode_head.channels`)
teacher_channels = [16, 32, 64, 128]
student_channels = [5, 10, 20, 40]
teacher_head_channels = 64
student_head_channels = 20
# The frozen teacher stays out of the optimizer (merges into the schedule's
# optim_wrapper).
optim_wrapper = dict(constructor='DistillerOptimWrapperConstructor')
# What every preset call takes first: `preset(**_base_.pair, ...)`.
pair = dict(teacher=teacher, teacher_ckpt=teacher_ckpt, student=student)
