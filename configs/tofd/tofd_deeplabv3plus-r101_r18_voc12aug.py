# TOFD on VOC12aug segmentation (dense-task variant, ours): DeepLabV3+
# R101-D8 -> DeepLabV3+ R18-D8, auxiliary heads on the 4 backbone stages
# that solve the segmentor's own task: dense heads (TOFD's stride-2 SepConv
# blocks, then a per-pixel classifier) trained with the segmentation loss
# (logits resized to the labels, 255 ignored). Feature distance on the
# heads' feature maps through 1x1 links (the (B, D) norm at each position,
# averaged over positions), per-pixel soft targets, orthogonal loss on the
# links. alpha 0.05, beta 0.03 and T 1 -> 4 (over iterations) as TOFD.
# Step 1 (teacher heads): tofd-teacher-heads_deeplabv3plus-r101_voc12aug.py.
_base_ = ['mmseg::deeplabv3plus/deeplabv3plus_r101-d8_4xb4-20k_voc12aug-512x512.py']
default_scope = 'mmfeatdistill'
teacher_heads_config = 'tofd-teacher-heads_deeplabv3plus-r101_voc12aug.py'
teacher = dict(cfg_path='mmseg::deeplabv3plus/'
               'deeplabv3plus_r101-d8_4xb4-20k_voc12aug-512x512.py')
teacher_ckpt = ('work_dirs/tofd-teacher-heads_deeplabv3plus-r101_voc12aug/'
                'teacher_with_heads.pth')
student = dict(
    cfg_path='mmseg::deeplabv3plus/'
    'deeplabv3plus_r18-d8_4xb2-80k_cityscapes-512x1024.py',
    data_preprocessor=dict(size=(512, 512)),
    decode_head=dict(num_classes=21), auxiliary_head=dict(num_classes=21))
student_stages = [f'backbone.layer{k}' for k in (1, 2, 3, 4)]
teacher_stages = student_stages
num_classes = 21
alpha, beta = 0.05, 0.03
heads = list(range(1, len(student_stages) + 1))
custom_hooks = [
    # T = 1 + 3 (iter + 1) / max_iters on every head's soft targets
    dict(type='TemperatureScheduleHook',
         loss_names=[f'loss_tofd_kd{k}' for k in heads], start=1.0,
         delta=3.0, by_epoch=False)]

model = dict(
    _delete_=True,
    type='FeatureDistiller',
    teacher=teacher,
    teacher_ckpt=teacher_ckpt,
    student=student,
    teacher_norm_eval=False,  # TOFD's code never calls teacher.eval()
    student_recorders=dict(
        samples=dict(type='MethodInputRecorder', source='decode_head.loss',
                     arg_index=1),
        **{f'stage{k}': dict(type='ModuleOutputRecorder', source=p)
           for k, p in zip(heads, student_stages)}),
    teacher_recorders={f'stage{k}': dict(type='ModuleOutputRecorder',
                                         source=p)
                       for k, p in zip(heads, teacher_stages)},
    connectors=dict(
        labels=dict(type='GTSegMapConnector'),
        **{f's_head{k}': dict(type='TOFDAuxHead', stages=student_stages,
                              stage_index=k - 1, num_classes=num_classes,
                              side='student', link_to=teacher_stages[-1],
                              dense=True)
           for k in heads},
        **{f't_head{k}': dict(type='TOFDAuxHead', stages=teacher_stages,
                              stage_index=k - 1, num_classes=num_classes,
                              side='teacher', from_teacher_ckpt=True,
                              dense=True)
           for k in heads}),
    distill_losses={
        name: cfg for k in heads for name, cfg in (
            (f'loss_tofd_feat{k}',
             dict(type='FrobeniusDistanceLoss', loss_weight=alpha)),
            (f'loss_tofd_ce{k}', dict(type='LabelCrossEntropyLoss',
                                      ignore_index=255)),
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
