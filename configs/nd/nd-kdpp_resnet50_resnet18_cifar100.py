# ND with KD ("KD++", Wang et al., ECCV 2024) on CIFAR-100: ResNet_CIFAR-50
# (model zoo) -> ResNet_CIFAR-18. CIFAR defaults: T 4, KD warm-up 20
# epochs; weights cls/kd/nd 1/3.5/2 (the paper's ResNet32x4 -> ResNet8x4
# setting, a wide-to-narrow ResNet pair like this one). The student's
# 512-d embedding is mapped to the teacher's 2048 by BN1d-Dropout-Linear.
_base_ = [
    'mmpretrain::_base_/datasets/cifar100_bs16.py',
    'mmpretrain::_base_/schedules/cifar10_bs128.py',
    'mmpretrain::_base_/default_runtime.py',
]
default_scope = 'mmfeatdistill'
teacher = dict(cfg_path='mmpretrain::resnet/resnet50_8xb16_cifar100.py')
teacher_ckpt = ('https://download.openmmlab.com/mmclassification/v0/resnet/'
                'resnet50_b16x8_cifar100_20210528-67b58a1b.pth')
student = dict(cfg_path='mmpretrain::resnet/resnet18_8xb16_cifar10.py',
               head=dict(num_classes=100))
student_dim, teacher_dim = 512, 2048
kd_tau, kd_weight, nd_weight, kd_warmup_epochs = 4.0, 3.5, 2.0, 20
class_means = 'work_dirs/class_means/{{fileBasenameNoExtension}}.pth'

model = dict(
    type='FeatureDistiller',
    teacher=teacher,
    teacher_ckpt=teacher_ckpt,
    student=student,
    teacher_norm_eval=True,  # ND: teacher in eval mode
    student_recorders=dict(
        feat=dict(type='ModuleOutputRecorder', source='neck'),
        logits=dict(type='ModuleOutputRecorder', source='head.fc'),
        # the data samples the head's loss gets: labels for ND
        samples=dict(type='MethodInputRecorder', source='head.loss',
                     arg_index=1)),
    teacher_recorders=dict(
        feat=dict(type='ModuleOutputRecorder', source='neck'),
        logits=dict(type='ModuleOutputRecorder', source='head.fc')),
    connectors=dict(
        labels=dict(type='GTLabelConnector'),
        **({} if student_dim == teacher_dim else dict(
            transform=dict(type='EmbeddingTransformConnector',
                           in_channels=student_dim,
                           out_channels=teacher_dim)))),
    distill_losses=dict(
        loss_kd=dict(type='KDLoss', tau=kd_tau, t_square=True,
                     loss_weight=kd_weight),
        loss_nd=dict(type='NDLoss', loss_weight=nd_weight,
                     class_means=class_means)),
    loss_forward_mappings=dict(
        loss_kd=dict(
            s_logits=dict(from_student=True, recorder='logits'),
            t_logits=dict(from_student=False, recorder='logits')),
        loss_nd=dict(
            s_feature=dict(
                from_student=True, recorder='feat', index=0,
                **({} if student_dim == teacher_dim else dict(
                    connector='transform'))),
            t_feature=dict(from_student=False, recorder='feat', index=0),
            labels=dict(from_student=True, recorder='samples',
                        connector='labels'))),
)
optim_wrapper = dict(constructor='DistillerOptimWrapperConstructor')
# class means before training (skipped when the file exists and fits), and
# KD++'s linear warm-up of the KD weight
custom_hooks = [
    dict(type='ClassMeansHook', loss_names='loss_nd'),
    dict(type='LossWeightWarmupHook', loss_names=['loss_kd'],
         warmup_epochs=kd_warmup_epochs),
]
