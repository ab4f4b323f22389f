# OFD on VOC0712 detection: SSD300 (VGG16) -> SSD300 with a ResNet-18
# backbone (the OFD paper's SSD student), at the 2 backbone maps and the 4
# extra layers of the neck (38, 19, 10, 5, 3, 1), all pre-ReLU. VGG has no
# BN, so the teacher's margins are running estimates of E[t | t < 0].
# alpha = 1e-4 (detection), layer weights 1/32 .. 1 (deepest 1), connector
# warm-up: 500 iterations at lr x10 before the student trains.
#
# Teacher weights: mmdet 3.x publishes no VOC0712 SSD300 checkpoint (the
# VOC one in its README is in the v1 format and does not load into mmdet 3),
# so the COCO SSD300 is the teacher: OFD distils backbone and neck features,
# which do not depend on the class set. With your own VOC-trained SSD300 use
# teacher=dict(cfg_path='mmdet::pascal_voc/ssd300_voc0712.py') and
# --cfg-options model.teacher_ckpt=/path/to/it.pth.
_base_ = ['mmdet::pascal_voc/ssd300_voc0712.py']
default_scope = 'mmfeatdistill'
teacher = dict(cfg_path='mmdet::ssd/ssd300_coco.py')
teacher_ckpt = ('https://download.openmmlab.com/mmdetection/v2.0/ssd/'
                'ssd300_coco/ssd300_coco_20210803_015428-d231a06e.pth')
student = dict(
    cfg_path='mmdet::pascal_voc/ssd300_voc0712.py',
    backbone=dict(
        _delete_=True, type='ResNet', depth=18, num_stages=3,
        strides=(1, 2, 2), dilations=(1, 1, 1),
        out_indices=(1, 2), frozen_stages=-1,
        norm_cfg=dict(type='BN', requires_grad=True), norm_eval=False,
        style='pytorch',
        init_cfg=dict(type='Pretrained', checkpoint='torchvision://resnet18')),
    neck=dict(in_channels=(128, 256),
              out_channels=(128, 256, 512, 256, 256, 256),
              l2_norm_scale=None),
    bbox_head=dict(in_channels=(128, 256, 512, 256, 256, 256)))
alpha = 1e-4
position_names = ['c4', 'c5', 'extra1', 'extra2', 'extra3', 'extra4']
layer_weights = [1 / 32, 1 / 16, 1 / 8, 1 / 4, 1 / 2, 1.0]
student_positions = [
    dict(type='ModuleInputRecorder', source='backbone.layer2.1.relu',
         call_index=1),
    dict(type='ModuleInputRecorder', source='backbone.layer3.1.relu',
         call_index=1)] + [
    dict(type='ModuleOutputRecorder', source=f'neck.extra_layers.{i}.1.conv')
    for i in range(4)]
student_channels = [128, 256, 512, 256, 256, 256]
# conv4_3 and fc7 before their in-place ReLUs, then each extra layer's conv
teacher_positions = [
    dict(type='ModuleOutputRecorder', source='backbone.features.21'),
    dict(type='ModuleOutputRecorder', source='backbone.features.33')] + [
    dict(type='ModuleOutputRecorder', source=f'neck.extra_layers.{i}.1.conv')
    for i in range(4)]
teacher_bns = [None] * 6
teacher_channels = [512, 1024, 512, 256, 256, 256]
# mmdet's NumClassCheckHook would compare the COCO teacher's 80 classes with
# VOC's 20; SSDPredictFixHook makes mmdet 3.3.0's SSD predict (validation).
custom_hooks = [
    dict(type='SSDPredictFixHook'),
    dict(type='ConnectorWarmupHook', warmup_iters=500, lr_mult=10.0),
    dict(type='mmdet.CheckInvalidLossHook', interval=50, priority='VERY_LOW'),
]

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
