# OFD on Fashion-MNIST (the demo's pair): ResNet_CIFAR-18 widths 32..256 ->
# widths 8..64, at the 4 pre-ReLU stage ends. alpha = 1e-3 (CIFAR-like).
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
alpha = 1e-3
position_names = ['stage1', 'stage2', 'stage3', 'stage4']
layer_weights = [1 / 8, 1 / 4, 1 / 2, 1.0]
student_positions = [
    dict(type='ModuleInputRecorder', source=f'backbone.layer{k}.1.relu',
         call_index=1) for k in (1, 2, 3, 4)]
student_channels = [8, 16, 32, 64]
teacher_positions = student_positions
teacher_bns = [f'backbone.layer{k}.1.bn2' for k in (1, 2, 3, 4)]
teacher_channels = [32, 64, 128, 256]

model = dict(
    type='FeatureDistiller',
    teacher=teacher,
    teacher_ckpt=teacher_ckpt,
    student=student,
    teacher_norm_eval=False,  # batch statistics, as OFD's released code
    student_recorders=dict(zip(position_names, student_positions)),
    teacher_recorders=dict(zip(position_names, teacher_positions)),
    connectors={
        **{f's_{n}': dict(type='OFDStudentConnector', in_channels=cs,
                          out_channels=ct)
           for n, cs, ct in zip(position_names, student_channels,
                                teacher_channels)},
        **{f't_{n}': dict(type='OFDTeacherConnector', channels=ct, bn=bn)
           for n, ct, bn in zip(position_names, teacher_channels,
                                teacher_bns)}},
    distill_losses={
        f'loss_ofd_{n}': dict(type='OFDLoss', loss_weight=alpha * w)
        for n, w in zip(position_names, layer_weights)},
    loss_forward_mappings={
        f'loss_ofd_{n}': dict(
            s_feature=dict(from_student=True, recorder=n, connector=f's_{n}'),
            t_feature=dict(from_student=False, recorder=n,
                           connector=f't_{n}'))
        for n in position_names},
)
optim_wrapper = dict(constructor='DistillerOptimWrapperConstructor')
