# ND with KD (KD++) on Fashion-MNIST (the demo's pair): T 4, weights
# cls/kd/nd 1/1/1, KD warm-up over the first epoch of the short schedule.
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
kd_tau, kd_weight, nd_weight, kd_warmup_epochs = 4.0, 1.0, 1.0, 1
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
