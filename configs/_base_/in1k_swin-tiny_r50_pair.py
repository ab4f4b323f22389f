# The ImageNet Swin-T -> ResNet-50 pair (model-zoo teacher, 81.18 top-1)
# on mmpretrain's ResNet-50 ImageNet config (data, schedule, runtime).
# Both models end in a GlobalAveragePooling neck (Swin-T 768-d, ResNet-50
# 2048-d) and a LinearClsHead (`head.fc`), so the default positions fit
# both sides.
_base_ = ['mmpretrain::resnet/resnet50_8xb32_in1k.py']
from mmfeatdistill.presets import distill_runtime

default_scope = 'mmfeatdistill'
teacher = dict(
    cfg_path='mmpretrain::swin_transformer/swin-tiny_16xb64_in1k.py')
teacher_ckpt = (
    'https://download.openmmlab.com/mmclassification/v0/swin-transformer/'
    'swin_tiny_224_b16x64_300e_imagenet_20210616_090925-66df6be6.pth')
student = dict(cfg_path='mmpretrain::resnet/resnet50_8xb32_in1k.py')
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
