# The ImageNet ConvNeXt-T -> ResNet-18 pair across architectures
# (model-zoo teacher, 82.14 top-1; LayerNorm and GELU, no BN) on
# mmpretrain's ResNet-18 ImageNet config (data, schedule, runtime).
_base_ = ['mmpretrain::resnet/resnet18_8xb32_in1k.py']
from mmfeatdistill.presets import distill_runtime

default_scope = 'mmfeatdistill'
teacher = dict(cfg_path='mmpretrain::convnext/convnext-tiny_32xb128_in1k.py')
teacher_ckpt = ('https://download.openmmlab.com/mmclassification/v0/'
                'convnext/convnext-tiny_32xb128_in1k_20221207-998cf3e9.pth')
student = dict(cfg_path='mmpretrain::resnet/resnet18_8xb32_in1k.py')
# The method's distiller (a preset's `model`) replaces the package's model.
model = dict(_delete_=True)
# The frozen teacher stays out of the optimizer (merges into the schedule's
# optim_wrapper).
optim_wrapper = dict(constructor='DistillerOptimWrapperConstructor')
# What every preset call takes first: `preset(**_base_.pair, ...)`.
pair = dict(teacher=teacher, teacher_ckpt=teacher_ckpt, student=student)
# Weights-only loading, atomic checkpoints with the RNG states, exact
# resume and the loss-balance check, as configs/_base_/distill_runtime.py
# gives our own configs.
# mmpretrain's schedule says `by_epoch=True`, which MMEngine refuses
# beside a loop type: the loop replaces it, with the schedule's epochs.
default_hooks, train_cfg = distill_runtime(max_epochs=100)
