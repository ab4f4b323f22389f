# The CIFAR-100 pair (./models/cifar100_r50_r18.py) on mmpretrain's
# CIFAR-100 data, CIFAR schedule (SGD lr 0.1, 200 epochs, steps at 100 and
# 150) and runtime.
_base_ = [
    'mmpretrain::_base_/datasets/cifar100_bs16.py',
    'mmpretrain::_base_/schedules/cifar10_bs128.py',
    'mmpretrain::_base_/default_runtime.py',
    './models/cifar100_r50_r18.py',
]
from mmfeatdistill.presets import distill_runtime

default_scope = 'mmfeatdistill'
# The frozen teacher stays out of the optimizer (merges into the
# optim_wrapper of the schedule).
optim_wrapper = dict(constructor='DistillerOptimWrapperConstructor')
# What every preset call takes first: `preset(**_base_.pair, ...)`.
pair = dict(teacher=_base_.teacher, teacher_ckpt=_base_.teacher_ckpt,
            student=_base_.student)
# Weights-only loading, atomic checkpoints with the RNG states, exact
# resume and the loss-balance check, as configs/_base_/distill_runtime.py
# gives our own configs.
# mmpretrain's schedule says `by_epoch=True`, which MMEngine refuses
# beside a loop type: the loop replaces it, with the schedule's epochs.
default_hooks, train_cfg = distill_runtime(max_epochs=200)
