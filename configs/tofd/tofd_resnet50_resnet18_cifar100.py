# TOFD (Zhang et al., NeurIPS 2020) on CIFAR-100: ResNet_CIFAR-50 ->
# ResNet_CIFAR-18, heads on the 4 stages. Paper settings: 250 epochs, lr 0.1
# /10 at 80/160/240, batch 128, alpha 0.05, beta 0.03, T 1 -> 4.
# Step 1 (teacher heads): tofd-teacher-heads_resnet50_cifar100.py.
_base_ = ['../_base_/cifar100_r50_r18_pair.py']
from mmfeatdistill.presets import tofd

teacher_heads_config = 'tofd-teacher-heads_resnet50_cifar100.py'
teacher_ckpt = ('work_dirs/tofd-teacher-heads_resnet50_cifar100/'
                'teacher_with_heads.pth')
train_dataloader = dict(batch_size=128)
param_scheduler = dict(type='MultiStepLR', by_epoch=True,
                       milestones=[80, 160, 240], gamma=0.1)
train_cfg = dict(max_epochs=250, val_interval=1)
val_cfg = dict()
test_cfg = dict()

model, custom_hooks = tofd(teacher=_base_.teacher, teacher_ckpt=teacher_ckpt,
                           student=_base_.student,
                           student_stages=_base_.stages,
                           teacher_stages=_base_.stages, num_classes=100,
                           alpha=0.05, beta=0.03)
optim_wrapper = dict(
    optimizer=dict(type='SGD', lr=0.1, momentum=0.9, weight_decay=5e-4))
