# TOFD (Zhang et al., NeurIPS 2020) on CIFAR-100: ResNet_CIFAR-50 ->
# ResNet_CIFAR-18, heads on the 4 stages. Paper settings: 250 epochs, lr 0.1
# /10 at 80/160/240, batch 128, alpha 0.05, beta 0.03, T 1 -> 4.
# Step 1 (teacher heads): tofd-teacher-heads_resnet50_cifar100.py.
_base_ = [
    'mmpretrain::_base_/datasets/cifar100_bs16.py',
    'mmpretrain::_base_/default_runtime.py',
]
default_scope = 'mmfeatdistill'
teacher_heads_config = 'tofd-teacher-heads_resnet50_cifar100.py'
teacher = dict(cfg_path='mmpretrain::resnet/resnet50_8xb16_cifar100.py')
teacher_ckpt = ('work_dirs/tofd-teacher-heads_resnet50_cifar100/'
                'teacher_with_heads.pth')
student = dict(cfg_path='mmpretrain::resnet/resnet18_8xb16_cifar10.py',
               head=dict(num_classes=100))
student_stages = [f'backbone.layer{k}' for k in (1, 2, 3, 4)]
teacher_stages = student_stages
num_classes = 100
alpha, beta = 0.05, 0.03
train_dataloader = dict(batch_size=128)
param_scheduler = dict(type='MultiStepLR', by_epoch=True,
                       milestones=[80, 160, 240], gamma=0.1)
train_cfg = dict(by_epoch=True, max_epochs=250, val_interval=1)
val_cfg = dict()
test_cfg = dict()

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
optim_wrapper = dict(
    constructor='DistillerOptimWrapperConstructor',
    optimizer=dict(type='SGD', lr=0.1, momentum=0.9, weight_decay=5e-4))
# T = 1 + 3 (epoch + 1) / max_epochs on every head's soft cross-entropy
custom_hooks = [dict(type='TemperatureScheduleHook',
                     loss_names=[f'loss_tofd_kd{k}' for k in heads],
                     start=1.0, delta=3.0)]
