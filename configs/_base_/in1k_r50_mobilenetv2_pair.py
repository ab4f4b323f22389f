# The ImageNet ResNet-50 -> MobileNetV2 pair (model-zoo teacher, 76.55
# top-1) on mmpretrain's MobileNetV2 ImageNet config (data, schedule,
# runtime).
_base_ = ['mmpretrain::mobilenet_v2/mobilenet-v2_8xb32_in1k.py']
from mmfeatdistill.presets import distill_runtime

default_scope = 'mmfeatdistill'
teacher = dict(cfg_path='mmpretrain::resnet/resnet50_8xb32_in1k.py')
teacher_ckpt = ('https://download.openmmlab.com/mmclassification/v0/resnet/'
                'resnet50_8xb32_in1k_20210831-ea4938fc.pth')
student = dict(cfg_path='mmpretrain::mobilenet_v2/mobilenet-v2_8xb32_in1k.py')
# the student's stage ends (widths 24, 32, 96, 1280) and the teacher's
student_stages = [
    'backbone.layer2', 'backbone.layer3', 'backbone.layer5', 'backbone.conv2'
]
teacher_stages = [f'backbone.layer{k}' for k in (1, 2, 3, 4)]
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
default_hooks, train_cfg = distill_runtime(max_epochs=300)
