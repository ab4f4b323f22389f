# PEFD on Fashion-MNIST (the demo's pair): alpha 25, q 3.
_base_ = [
    '../_base_/datasets/fashion_mnist.py',
    '../_base_/schedules/fmnist_short.py',
    '../_base_/models/fmnist_resnet_teacher.py',
    '../_base_/models/fmnist_resnet_student.py',
    '../_base_/distill_runtime.py',
]
from mmfeatdistill.presets import pefd_distiller

teacher = {{_base_.teacher_model}}
# written by the demo's teacher run; override with --cfg-options
teacher_ckpt = 'work_dirs/demo/teacher/teacher.pth'
student = {{_base_.student_model}}

model = pefd_distiller(
    teacher=teacher, teacher_ckpt=teacher_ckpt, student=student,
    student_dim=64, teacher_dim=256, alpha=25.0, num_projectors=3)
optim_wrapper = dict(constructor='DistillerOptimWrapperConstructor')
