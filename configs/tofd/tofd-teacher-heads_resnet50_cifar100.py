# TOFD step 1 on CIFAR-100: train the auxiliary heads of the model-zoo
# ResNet_CIFAR-50 (frozen) with the labels (our documented step; the TOFD
# authors did not publish theirs): 40 epochs, SGD lr 0.1, cosine.
#   python tools/train_tofd_teacher_heads.py THIS_CONFIG
_base_ = ['../_base_/cifar100_r50_r18_pair.py']
from mmfeatdistill.presets import tofd_teacher_heads

train_dataloader = dict(batch_size=128)
param_scheduler = dict(type='CosineAnnealingLR', by_epoch=True, T_max=40)
train_cfg = dict(max_epochs=40, val_interval=40)
val_cfg = dict()
test_cfg = dict()

model, custom_hooks = tofd_teacher_heads(teacher=_base_.teacher,
                                         teacher_ckpt=_base_.teacher_ckpt,
                                         stages=_base_.stages, num_classes=100)
optim_wrapper = dict(
    optimizer=dict(type='SGD', lr=0.1, momentum=0.9, weight_decay=5e-4))
