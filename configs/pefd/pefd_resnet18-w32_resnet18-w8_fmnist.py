# PEFD on Fashion-MNIST (the demo's pair): alpha 25, q 3.
_base_ = [
    '../_base_/datasets/fashion_mnist.py',
    '../_base_/schedules/fmnist_short.py',
    '../_base_/models/fmnist_resnet_teacher.py',
    '../_base_/models/fmnist_resnet_student.py',
    '../_base_/distill_runtime.py',
]
teacher = {{_base_.teacher_model}}
# written by the demo's teacher run; override with --cfg-options
teacher_ckpt = 'work_dirs/demo/teacher/teacher.pth'
student = {{_base_.student_model}}
student_dim, teacher_dim = 64, 256
alpha, num_projectors = 25.0, 3

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
optim_wrapper = dict(constructor='DistillerOptimWrapperConstructor')
