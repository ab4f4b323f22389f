# The demo's distillation set-up: Fashion-MNIST, the short schedule, the
# ResNet_CIFAR-18 pair (widths 32..256 -> 8..64) and the distillation
# runtime. Children use `_base_.teacher`, `_base_.teacher_ckpt` and
# `_base_.student`.
_base_ = [
    './datasets/fashion_mnist.py',
    './schedules/fmnist_short.py',
    # brings the teacher's model base too
    './models/fmnist_resnet_student.py',
    './distill_runtime.py',
]
teacher = {{_base_.teacher_model}}
# written by the demo's teacher run; override with
# --cfg-options model.teacher_ckpt=...
teacher_ckpt = 'work_dirs/demo/teacher/teacher.pth'
student = {{_base_.student_model}}
# widths of the 4 stages of the pair
teacher_channels = [32, 64, 128, 256]
student_channels = [8, 16, 32, 64]
# The frozen teacher stays out of the optimizer (merges into the schedule's
# optim_wrapper).
optim_wrapper = dict(constructor='DistillerOptimWrapperConstructor')
# What every preset call takes first: `preset(**_base_.pair, ...)`.
pair = dict(teacher=teacher, teacher_ckpt=teacher_ckpt, student=student)
