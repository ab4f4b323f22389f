# ND with KD (KD++) on Fashion-MNIST (the demo's pair): T 4, weights
# cls/kd/nd 1/1/1, KD warm-up over the first epoch of the short schedule.
_base_ = ['../_base_/fmnist_distill_pair.py']
from mmfeatdistill.presets import nd_kdpp_distiller, nd_kdpp_hooks

class_means = 'work_dirs/class_means/{{fileBasenameNoExtension}}.pth'

model = nd_kdpp_distiller(
    teacher=_base_.teacher, teacher_ckpt=_base_.teacher_ckpt,
    student=_base_.student,
    student_dim=64, teacher_dim=256, class_means=class_means,
    kd_tau=4.0, kd_weight=1.0, nd_weight=1.0)
optim_wrapper = dict(constructor='DistillerOptimWrapperConstructor')
# class means before training (skipped when the file exists and fits), and
# KD++'s linear warm-up of the KD weight
custom_hooks = nd_kdpp_hooks(kd_warmup_epochs=1)
