# ND with KD (KD++) on ImageNet: ResNet-34 (model zoo) -> ResNet-18.
# ImageNet settings: T 1, KD warm-up 5 epochs, weights cls/kd/nd 1/2.5/1.
_base_ = ['mmpretrain::resnet/resnet18_8xb32_in1k.py']
default_scope = 'mmfeatdistill'
teacher = dict(cfg_path='mmpretrain::resnet/resnet34_8xb32_in1k.py')
teacher_ckpt = ('https://download.openmmlab.com/mmclassification/v0/resnet/'
                'resnet34_8xb32_in1k_20210831-f257d4e6.pth')
student = dict(cfg_path='mmpretrain::resnet/resnet18_8xb32_in1k.py')
student_dim, teacher_dim = 512, 512
kd_tau, kd_weight, nd_weight, kd_warmup_epochs = 1.0, 2.5, 1.0, 5
class_means = 'work_dirs/class_means/{{fileBasenameNoExtension}}.pth'

model = dict(
    _delete_=True,
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
