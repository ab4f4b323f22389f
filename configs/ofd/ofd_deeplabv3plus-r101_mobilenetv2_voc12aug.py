# OFD on VOC12aug segmentation: DeepLabV3+ R101-D8 (model zoo, 78.62 mIoU
# at 20k) -> DeepLabV3+ MobileNetV2-D8 at 6 pre-ReLU positions: 4 backbone stage
# ends, the ASPP output BN and the decoder's last BN. alpha = 1e-5 with
# OFD's segmentation divisors [8, 4, 2, 1, 1, 16]; connector warm-up: one
# epoch at lr x10 before the student trains.
_base_ = ['mmseg::deeplabv3plus/deeplabv3plus_r101-d8_4xb4-20k_voc12aug-512x512.py']
default_scope = 'mmfeatdistill'
teacher = dict(cfg_path='mmseg::deeplabv3plus/'
               'deeplabv3plus_r101-d8_4xb4-20k_voc12aug-512x512.py')
teacher_ckpt = (
    'https://download.openmmlab.com/mmsegmentation/v0.5/deeplabv3plus/'
    'deeplabv3plus_r101-d8_512x512_20k_voc12aug/deeplabv3plus_r101-d8_'
    '512x512_20k_voc12aug_20200617_102345-c7ff3d56.pth')
student = dict(
    cfg_path='mmseg::mobilenet_v2/'
    'mobilenet-v2-d8_deeplabv3plus_4xb2-80k_cityscapes-512x1024.py',
    data_preprocessor=dict(size=(512, 512)),
    decode_head=dict(num_classes=21), auxiliary_head=dict(num_classes=21))
alpha = 1e-5
position_names = ['stage1', 'stage2', 'stage3', 'stage4', 'aspp', 'decoder']
layer_weights = [1 / 8, 1 / 4, 1 / 2, 1.0, 1.0, 1 / 16]
head_positions = ['decode_head.bottleneck.bn',
                  'decode_head.sep_bottleneck.1.pointwise_conv.bn']
# MobileNetV2's inverted residuals end linearly: their outputs are used
# (strides 4, 8, 8, 8 like the teacher's stages).
student_positions = [
    dict(type='ModuleOutputRecorder', source=f'backbone.layer{k}')
    for k in (2, 3, 5, 7)] + [
    dict(type='ModuleOutputRecorder', source=p) for p in head_positions]
student_channels = [24, 32, 96, 320, 512, 512]
teacher_blocks = ((1, 2), (2, 3), (3, 22), (4, 2))
teacher_positions = [
    dict(type='ModuleInputRecorder', source=f'backbone.layer{k}.{b}.relu',
         call_index=2) for k, b in teacher_blocks] + [
    dict(type='ModuleOutputRecorder', source=p) for p in head_positions]
teacher_bns = [f'backbone.layer{k}.{b}.bn3'
               for k, b in teacher_blocks] + head_positions
teacher_channels = [256, 512, 1024, 2048, 512, 512]
custom_hooks = [dict(type='ConnectorWarmupHook', warmup_epochs=1,
                     lr_mult=10.0)]

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
