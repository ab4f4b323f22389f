# OFD on ImageNet: ResNet-34 (model zoo, 73.62 top-1) -> ResNet-18 at 4
# pre-ReLU stage ends. alpha = 1e-4 (ImageNet); layer weights 1/8 .. 1.
_base_ = ['mmpretrain::resnet/resnet18_8xb32_in1k.py']
default_scope = 'mmfeatdistill'
teacher = dict(cfg_path='mmpretrain::resnet/resnet34_8xb32_in1k.py')
teacher_ckpt = ('https://download.openmmlab.com/mmclassification/v0/resnet/'
                'resnet34_8xb32_in1k_20210831-f257d4e6.pth')
student = dict(cfg_path='mmpretrain::resnet/resnet18_8xb32_in1k.py')
alpha = 1e-4
position_names = ['stage1', 'stage2', 'stage3', 'stage4']
layer_weights = [1 / 8, 1 / 4, 1 / 2, 1.0]
# BasicBlocks: pre-ReLU = input of the last block's ReLU at call 1.
student_positions = [
    dict(type='ModuleInputRecorder', source=f'backbone.layer{k}.1.relu',
         call_index=1) for k in (1, 2, 3, 4)]
student_channels = [64, 128, 256, 512]
teacher_positions = [
    dict(type='ModuleInputRecorder', source=f'backbone.layer{k}.{b}.relu',
         call_index=1) for k, b in ((1, 2), (2, 3), (3, 5), (4, 2))]
teacher_bns = [f'backbone.layer{k}.{b}.bn2'
               for k, b in ((1, 2), (2, 3), (3, 5), (4, 2))]
teacher_channels = [64, 128, 256, 512]

model = dict(
    _delete_=True,
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
