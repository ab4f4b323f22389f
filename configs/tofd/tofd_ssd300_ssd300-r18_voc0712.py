# TOFD on VOC0712 detection (dense-task variant, ours): SSD300 (VGG16) ->
# SSD300 with a ResNet-18 backbone (OFD's SSD pair). Auxiliary heads on the
# 6 feature positions the head reads (student: layer2, layer3 and the 4
# extra layers; teacher: conv4_3, fc7 and the 4 extra layers) solve an
# image-level task the detector implies: multi-label classification of the
# image's object classes (BCE with the labels; soft targets per class with
# sigmoids at the scheduled temperature). Feature distance on the heads'
# pooled features through the links, orthogonal loss on the links; alpha
# 0.05, beta 0.03 and T 1 -> 4 as TOFD.
# Step 1 (teacher heads): tofd-teacher-heads_ssd300_voc0712.py.
_base_ = ['mmdet::pascal_voc/ssd300_voc0712.py']
default_scope = 'mmfeatdistill'
teacher_heads_config = 'tofd-teacher-heads_ssd300_voc0712.py'
teacher = dict(cfg_path='mmdet::ssd/ssd300_coco.py')
teacher_ckpt = ('work_dirs/tofd-teacher-heads_ssd300_voc0712/'
                'teacher_with_heads.pth')
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
extra = [f'neck.extra_layers.{i}' for i in range(4)]
student_stages = ['backbone.layer2', 'backbone.layer3'] + extra
teacher_stages = ['backbone.features.22', 'backbone.features.34'] + extra
num_classes = 20
alpha, beta = 0.05, 0.03
heads = list(range(1, len(student_stages) + 1))
custom_hooks = [
    dict(type='SSDPredictFixHook'),
    dict(type='mmdet.CheckInvalidLossHook', interval=50, priority='VERY_LOW'),
    # T = 1 + 3 (epoch + 1) / max_epochs on every head's soft targets
    dict(type='TemperatureScheduleHook',
         loss_names=[f'loss_tofd_kd{k}' for k in heads], start=1.0,
         delta=3.0),
]

model = dict(
    _delete_=True,
    type='FeatureDistiller',
    teacher=teacher,
    teacher_ckpt=teacher_ckpt,
    student=student,
    teacher_norm_eval=False,  # TOFD's code never calls teacher.eval()
    student_recorders=dict(
        samples=dict(type='MethodInputRecorder', source='bbox_head.loss',
                     arg_index=1),
        **{f'stage{k}': dict(type='ModuleOutputRecorder', source=p)
           for k, p in zip(heads, student_stages)}),
    teacher_recorders={f'stage{k}': dict(type='ModuleOutputRecorder',
                                         source=p)
                       for k, p in zip(heads, teacher_stages)},
    connectors=dict(
        labels=dict(type='GTMultiHotConnector', num_classes=num_classes),
        **{f's_head{k}': dict(type='TOFDAuxHead', stages=student_stages,
                              stage_index=k - 1, num_classes=num_classes,
                              side='student', link_to=teacher_stages[-1])
           for k in heads},
        **{f't_head{k}': dict(type='TOFDAuxHead', stages=teacher_stages,
                              stage_index=k - 1, num_classes=num_classes,
                              side='teacher', from_teacher_ckpt=True)
           for k in heads}),
    distill_losses={
        name: cfg for k in heads for name, cfg in (
            (f'loss_tofd_feat{k}',
             dict(type='FrobeniusDistanceLoss', loss_weight=alpha)),
            (f'loss_tofd_ce{k}', dict(type='LabelCrossEntropyLoss')),
            (f'loss_tofd_kd{k}', dict(type='SoftCrossEntropyLoss',
                                      multi_label=True)),
            (f'loss_tofd_orth{k}',
             dict(type='OrthogonalLoss', loss_weight=beta)))},
    loss_forward_mappings={
        name: mapping for k in heads for name, mapping in (
            (f'loss_tofd_feat{k}', dict(
                s_feature=dict(from_student=True, recorder=f'stage{k}',
                               connector=f's_head{k}', output_index=2),
                t_feature=dict(from_student=False, recorder=f'stage{k}',
                               connector=f't_head{k}', output_index=0))),
            (f'loss_tofd_ce{k}', dict(
                logits=dict(from_student=True, recorder=f'stage{k}',
                            connector=f's_head{k}', output_index=1),
                labels=dict(from_student=True, recorder='samples',
                            connector='labels'))),
            (f'loss_tofd_kd{k}', dict(
                s_logits=dict(from_student=True, recorder=f'stage{k}',
                              connector=f's_head{k}', output_index=1),
                t_logits=dict(from_student=False, recorder=f'stage{k}',
                              connector=f't_head{k}', output_index=1))),
            (f'loss_tofd_orth{k}', dict(
                weight=dict(connector=f's_head{k}',
                            attribute='link_weight'))))},
)
optim_wrapper = dict(constructor='DistillerOptimWrapperConstructor')
