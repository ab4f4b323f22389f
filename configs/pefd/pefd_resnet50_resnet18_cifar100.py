# PEFD (Chen et al., NeurIPS 2022) on CIFAR-100: ResNet_CIFAR-50 (model
# zoo) -> ResNet_CIFAR-18. Paper settings: batch 64, lr 0.05, 240 epochs
# (lr /10 at 150, 180, 210), alpha 25, q 3 projectors, no KD term.
_base_ = ['../_base_/cifar100_r50_r18_pair.py']
from mmfeatdistill.presets import pefd

train_dataloader = dict(batch_size=64)
param_scheduler = dict(type='MultiStepLR', by_epoch=True,
                       milestones=[150, 180, 210], gamma=0.1)
train_cfg = dict(max_epochs=240, val_interval=1)
val_cfg = dict()
test_cfg = dict()

model, custom_hooks = pefd(**_base_.pair, student_channels=512,
                           teacher_channels=2048, alpha=25.0, num_projectors=3)
optim_wrapper = dict(
    optimizer=dict(type='SGD', lr=0.05, momentum=0.9, weight_decay=5e-4))
