# ND with KD (KD++) on Fashion-MNIST (the demo's pair): T 4, weights
# cls/kd/nd 1/1/1, KD warm-up over the first epoch of the short schedule.
_base_ = [
    '../_base_/datasets/fashion_mnist.py',
    '../_base_/schedules/fmnist_short.py',
    '../_base_/models/fmnist_resnet_teacher.py',
    '../_base_/models/fmnist_resnet_student.py',
    '../_base_/distill_runtime.py',
]
from mmfeatdistill.presets import nd_kdpp_distiller, nd_kdpp_hooks

teacher = {{_base_.teacher_model}}
# written by the demo's teacher run; override with --cfg-options
teacher_ckpt = 'work_dirs/demo/teacher/teacher.pth'
student = {{_base_.student_model}}
class_means = 'work_dirs/class_means/{{fileBasenameNoExtension}}.pth'

model = nd_kdpp_distiller(
    teacher=teacher, teacher_ckpt=teacher_ckpt, student=student,
    student_dim=64, teacher_dim=256, class_means=class_means,
    kd_tau=4.0, kd_weight=1.0, nd_weight=1.0)
optim_wrapper = dict(constructor='DistillerOptimWrapperConstructor')
# class means before training (skipped when the file exists and fits), and
# KD++'s linear warm-up of the KD weight
custom_hooks = nd_kdpp_hooks(kd_warmup_epochs=1)
