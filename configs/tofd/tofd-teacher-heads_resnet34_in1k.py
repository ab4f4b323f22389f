# TOFD step 1 on ImageNet: train the auxiliary heads of the model-zoo
# resnet34 (frozen) with the labels: 10 epochs, SGD lr 0.1, cosine.
#   python tools/train_tofd_teacher_heads.py THIS_CONFIG
_base_ = ['../_base_/in1k_r34_r18_pair.py']
from mmfeatdistill.presets import tofd_teacher_heads

param_scheduler = dict(_delete_=True, type='CosineAnnealingLR', by_epoch=True,
                       T_max=10)
train_cfg = dict(max_epochs=10, val_interval=10)

model, custom_hooks = tofd_teacher_heads(teacher=_base_.teacher,
                                         teacher_ckpt=_base_.teacher_ckpt,
                                         stages=_base_.stages,
                                         num_classes=1000)
