# PEFD on ImageNet: ResNet-34 (model zoo) -> ResNet-18, alpha 25, q 3,
# mmpretrain's ResNet-18 schedule (100 epochs, batch 8x32).
_base_ = ['mmpretrain::resnet/resnet18_8xb32_in1k.py']
default_scope = 'mmfeatdistill'
teacher = dict(cfg_path='mmpretrain::resnet/resnet34_8xb32_in1k.py')
teacher_ckpt = ('https://download.openmmlab.com/mmclassification/v0/resnet/'
                'resnet34_8xb32_in1k_20210831-f257d4e6.pth')
student = dict(cfg_path='mmpretrain::resnet/resnet18_8xb32_in1k.py')
student_dim, teacher_dim = 512, 512
alpha, num_projectors = 25.0, 3

model = dict(
    _delete_=True,
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
optim_wrapper = dict(constructor='DistillerOptimWrapperConstructor')
