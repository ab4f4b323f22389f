# PEFD on ImageNet: ResNet-50 (model zoo) -> MobileNetV2, alpha 25, q 3,
# mmpretrain's MobileNetV2 schedule.
_base_ = ['mmpretrain::mobilenet_v2/mobilenet-v2_8xb32_in1k.py']
default_scope = 'mmfeatdistill'
teacher = dict(cfg_path='mmpretrain::resnet/resnet50_8xb32_in1k.py')
teacher_ckpt = ('https://download.openmmlab.com/mmclassification/v0/resnet/'
                'resnet50_8xb32_in1k_20210831-ea4938fc.pth')
student = dict(cfg_path='mmpretrain::mobilenet_v2/mobilenet-v2_8xb32_in1k.py')
student_dim, teacher_dim = 1280, 2048
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
