# TOFD step 2 on Fashion-MNIST (the demo's pair): alpha 0.05, beta 0.03,
# T rising 1 -> 4. The teacher checkpoint must hold the trained heads
# (step 1: tofd-teacher-heads_resnet18-w32_fmnist.py).
_base_ = [
    '../_base_/datasets/fashion_mnist.py',
    '../_base_/schedules/fmnist_short.py',
    '../_base_/models/fmnist_resnet_teacher.py',
    '../_base_/models/fmnist_resnet_student.py',
    '../_base_/distill_runtime.py',
]
teacher_heads_config = 'tofd-teacher-heads_resnet18-w32_fmnist.py'
teacher = {{_base_.teacher_model}}
teacher_ckpt = ('work_dirs/tofd-teacher-heads_resnet18-w32_fmnist/'
                'teacher_with_heads.pth')
student = {{_base_.student_model}}
student_stages = [f'backbone.layer{k}' for k in (1, 2, 3, 4)]
teacher_stages = student_stages
num_classes = 10
alpha, beta = 0.05, 0.03

heads = list(range(1, len(student_stages) + 1))
model = dict(
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
