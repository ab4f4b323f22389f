# OFD's SSD pair on VOC0712 (SSD300 VGG16 -> SSD300 ResNet-18, see
# ./models/ssd300-vgg16-coco_ssd300-r18.py) on mmdet's SSD300 VOC0712
# config (data, schedule, runtime).
_base_ = [
    'mmdet::pascal_voc/ssd300_voc0712.py',
    './models/ssd300-vgg16-coco_ssd300-r18.py'
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
# Weights-only loading, atomic checkpoints with the RNG states, exact
# resume and the loss-balance check, as configs/_base_/distill_runtime.py
# gives our own configs.
default_hooks, train_cfg = distill_runtime()
