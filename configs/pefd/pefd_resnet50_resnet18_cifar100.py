# PEFD (Chen et al., NeurIPS 2022) on CIFAR-100: ResNet_CIFAR-50 (model
# zoo) -> ResNet_CIFAR-18. Paper settings: batch 64, lr 0.05, 240 epochs
# (lr /10 at 150, 180, 210), alpha 25, q 3 projectors, no KD term.
_base_ = [
    'mmpretrain::_base_/datasets/cifar100_bs16.py',
    'mmpretrain::_base_/default_runtime.py',
]
default_scope = 'mmfeatdistill'
teacher = dict(cfg_path='mmpretrain::resnet/resnet50_8xb16_cifar100.py')
teacher_ckpt = ('https://download.openmmlab.com/mmclassification/v0/resnet/'
                'resnet50_b16x8_cifar100_20210528-67b58a1b.pth')
student = dict(cfg_path='mmpretrain::resnet/resnet18_8xb16_cifar10.py',
               head=dict(num_classes=100))
student_dim, teacher_dim = 512, 2048
alpha, num_projectors = 25.0, 3
train_dataloader = dict(batch_size=64)
param_scheduler = dict(type='MultiStepLR', by_epoch=True,
                       milestones=[150, 180, 210], gamma=0.1)
train_cfg = dict(by_epoch=True, max_epochs=240, val_interval=1)
val_cfg = dict()
test_cfg = dict()

model = dict(
    type='FeatureDistiller',
    teacher=teacher,
    teacher_ckpt=teacher_ckpt,
    student=student,
    teacher_norm_eval=True,  # PEFD: teacher in eval mode
    # penultimate features: the neck's global average pooling (a tuple)
    student_recorders=dict(
        feat=dict(type='ModuleOutputRecorder', source='neck')),
    teacher_recorders=dict(
        feat=dict(type='ModuleOutputRecorder', source='neck')),
    connectors=dict(projector=dict(
        type='ProjectorEnsembleConnector', in_channels=student_dim,
        out_channels=teacher_dim, num_projectors=num_projectors, act='relu')),
    distill_losses=dict(
        loss_pefd=dict(type='DirectionAlignmentLoss', loss_weight=alpha)),
    loss_forward_mappings=dict(loss_pefd=dict(
        s_feature=dict(from_student=True, recorder='feat', index=0,
                       connector='projector'),
        t_feature=dict(from_student=False, recorder='feat', index=0))),
)
optim_wrapper = dict(
    constructor='DistillerOptimWrapperConstructor',
    optimizer=dict(type='SGD', lr=0.05, momentum=0.9, weight_decay=5e-4))
