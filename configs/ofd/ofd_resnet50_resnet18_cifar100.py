# OFD (Heo et al., ICCV 2019) on CIFAR-100: mmpretrain's ResNet_CIFAR-50
# (model zoo, 79.90 top-1) -> ResNet_CIFAR-18 at 4 pre-ReLU stage ends.
# alpha = 1e-3 (CIFAR); layer weights 1/2^(n-1-i): 1/8, 1/4, 1/2, 1.
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
alpha = 1e-3
position_names = ['stage1', 'stage2', 'stage3', 'stage4']
layer_weights = [1 / 8, 1 / 4, 1 / 2, 1.0]
# Pre-ReLU stage ends: the input of the last block's ReLU at its last call
# (BasicBlock: call 1, Bottleneck: call 2). The teacher's margins come from
# that block's last BN, as in OFD's released code.
student_positions = [
    dict(type='ModuleInputRecorder', source=f'backbone.layer{k}.1.relu',
         call_index=1) for k in (1, 2, 3, 4)]
student_channels = [64, 128, 256, 512]
teacher_positions = [
    dict(type='ModuleInputRecorder', source=f'backbone.layer{k}.{b}.relu',
         call_index=2) for k, b in ((1, 2), (2, 3), (3, 5), (4, 2))]
teacher_bns = [f'backbone.layer{k}.{b}.bn3'
               for k, b in ((1, 2), (2, 3), (3, 5), (4, 2))]
teacher_channels = [256, 512, 1024, 2048]

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
