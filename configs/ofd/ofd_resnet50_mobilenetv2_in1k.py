# OFD on ImageNet: ResNet-50 (model zoo, 76.55 top-1) -> MobileNetV2 at 4
# positions of equal spatial size (56, 28, 14, 7). alpha = 1e-4.
# Student side: MobileNetV2's inverted residuals end linearly (no ReLU), so
# their outputs are used; the last position is the BN of `conv2` before its
# ReLU6.
_base_ = ['mmpretrain::mobilenet_v2/mobilenet-v2_8xb32_in1k.py']
default_scope = 'mmfeatdistill'
teacher = dict(cfg_path='mmpretrain::resnet/resnet50_8xb32_in1k.py')
teacher_ckpt = ('https://download.openmmlab.com/mmclassification/v0/resnet/'
                'resnet50_8xb32_in1k_20210831-ea4938fc.pth')
student = dict(cfg_path='mmpretrain::mobilenet_v2/mobilenet-v2_8xb32_in1k.py')
alpha = 1e-4
position_names = ['stage1', 'stage2', 'stage3', 'stage4']
layer_weights = [1 / 8, 1 / 4, 1 / 2, 1.0]
student_positions = [
    dict(type='ModuleOutputRecorder', source='backbone.layer2'),
    dict(type='ModuleOutputRecorder', source='backbone.layer3'),
    dict(type='ModuleOutputRecorder', source='backbone.layer5'),
    dict(type='ModuleOutputRecorder', source='backbone.conv2.bn')]
student_channels = [24, 32, 96, 1280]
teacher_positions = [
    dict(type='ModuleInputRecorder', source=f'backbone.layer{k}.{b}.relu',
         call_index=2) for k, b in ((1, 2), (2, 3), (3, 5), (4, 2))]
teacher_bns = [f'backbone.layer{k}.{b}.bn3'
               for k, b in ((1, 2), (2, 3), (3, 5), (4, 2))]
teacher_channels = [256, 512, 1024, 2048]

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
