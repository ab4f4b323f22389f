# PEFD on Fashion-MNIST (the demo's pair): alpha 25, q 3.
_base_ = ['../_base_/fmnist_distill_pair.py']
from mmfeatdistill.presets import pefd

model, custom_hooks = pefd(teacher=_base_.teacher,
                           teacher_ckpt=_base_.teacher_ckpt,
                           student=_base_.student, student_channels=64,
                           teacher_channels=256, alpha=25.0, num_projectors=3)
optim_wrapper = dict(constructor='DistillerOptimWrapperConstructor')
