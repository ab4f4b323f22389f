# TOFD on ImageNet: ResNet-50 -> MobileNetV2, heads on 4 stages of each
# (MobileNetV2: layers 2, 3, 5 and the final 1x1 conv), alpha 0.05, beta
# 0.03, T 1 -> 4, mmpretrain's MobileNetV2 schedule.
# Step 1 (teacher heads): tofd-teacher-heads_resnet50_in1k.py.
_base_ = ['mmpretrain::mobilenet_v2/mobilenet-v2_8xb32_in1k.py']
default_scope = 'mmfeatdistill'
teacher_heads_config = 'tofd-teacher-heads_resnet50_in1k.py'
teacher = dict(cfg_path='mmpretrain::resnet/resnet50_8xb32_in1k.py')
teacher_ckpt = ('work_dirs/tofd-teacher-heads_resnet50_in1k/'
                'teacher_with_heads.pth')
student = dict(cfg_path='mmpretrain::mobilenet_v2/mobilenet-v2_8xb32_in1k.py')
student_stages = ['backbone.layer2', 'backbone.layer3', 'backbone.layer5',
                  'backbone.conv2']
teacher_stages = [f'backbone.layer{k}' for k in (1, 2, 3, 4)]
num_classes = 1000
alpha, beta = 0.05, 0.03

heads = list(range(1, len(student_stages) + 1))
model = dict(
    _delete_=True,
    type='FeatureDistiller',
    teacher=teacher,
    teacher_ckpt=teacher_ckpt,
    student=student,
    teacher_norm_eval=False,  # TOFD's code never calls teacher.eval()
    student_recorders=dict(
        samples=dict(type='MethodInputRecorder', source='head.loss',
                     arg_index=1),
        **{f'stage{k}': dict(type='ModuleOutputRecorder', source=p)
           for k, p in zip(heads, student_stages)}),
    teacher_recorders={f'stage{k}': dict(type='ModuleOutputRecorder',
                                         source=p)
                       for k, p in zip(heads, teacher_stages)},
    connectors=dict(
        labels=dict(type='GTLabelConnector'),
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
            (f'loss_tofd_kd{k}', dict(type='SoftCrossEntropyLoss')),
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
# T = 1 + 3 (epoch + 1) / max_epochs on every head's soft cross-entropy
custom_hooks = [dict(type='TemperatureScheduleHook',
                     loss_names=[f'loss_tofd_kd{k}' for k in heads],
                     start=1.0, delta=3.0)]
