# The VOC12aug DeepLabV3+ pair (R101-D8 model-zoo teacher -> R18-D8, see
# ./models/deeplabv3plus-r101_r18_voc12aug.py) on mmseg's R101-D8 VOC12aug
# 20k config (data, schedule, runtime).
_base_ = [
    'mmseg::deeplabv3plus/deeplabv3plus_r101-d8_4xb4-20k_voc12aug-512x512.py',
    './models/deeplabv3plus-r101_r18_voc12aug.py'
]
from mmfeatdistill.presets import distill_runtime

default_scope = 'mmfeatdistill'
# The method's distiller (a preset's `model`) replaces the package's model.
model = dict(_delete_=True)
# The frozen teacher stays out of the optimizer (merges into the schedule's
# optim_wrapper).
optim_wrapper = dict(constructor='DistillerOptimWrapperConstructor')
# What every preset call takes first: `preset(**_base_.pair, ...)`.
pair = dict(teacher=_base_.teacher, teacher_ckpt=_base_.teacher_ckpt,
            student=_base_.student)
# Weights-only loading, atomic checkpoints with the RNG states and the
# loss-balance check, as configs/_base_/distill_runtime.py gives our own
# configs; mmseg's iteration-based loop stays (it resumes by torch's RNG
# state).
default_hooks, train_cfg = distill_runtime(by_epoch=False)
