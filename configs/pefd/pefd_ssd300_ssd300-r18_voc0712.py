# PEFD on VOC0712 detection (dense variant, ours): SSD300 (VGG16) -> SSD300
# with a ResNet-18 backbone (OFD's SSD pair), on the 6 maps the neck hands
# to the head (38, 19, 10, 5, 3, 1). Each level has its own ensemble of 3
# projectors run as 1x1 convolutions, and the direction alignment is the
# cosine over channels at every position (mean over positions and batch).
# alpha = 25 (PEFD) is the total, split equally over the levels; teacher in
# eval mode; no KD term. Maps have the same size in both models (same input
# and strides); a pair with different sizes would wrap the projectors in
# SequentialConnector([...projectors, ResizeConnector(scale_factor=...)]).
# Teacher: the COCO SSD300 (mmdet 3.x has no VOC0712 SSD300 checkpoint),
# see ../_base_/models/ssd300-vgg16-coco_ssd300-r18.py.
_base_ = ['mmdet::pascal_voc/ssd300_voc0712.py',
          '../_base_/models/ssd300-vgg16-coco_ssd300-r18.py']
default_scope = 'mmfeatdistill'
student_channels = [128, 256, 512, 256, 256, 256]
teacher_channels = [512, 1024, 512, 256, 256, 256]
levels = list(range(len(student_channels)))
alpha = 25.0
custom_hooks = [
    dict(type='SSDPredictFixHook'),
    dict(type='mmdet.CheckInvalidLossHook', interval=50, priority='VERY_LOW'),
]

model = dict(
    _delete_=True,
    type='FeatureDistiller',
    teacher=_base_.teacher,
    teacher_ckpt=_base_.teacher_ckpt,
    student=_base_.student,
    teacher_norm_eval=True,  # PEFD: teacher in eval mode
    student_recorders=dict(neck=dict(type='ModuleOutputRecorder',
                                     source='neck')),
    teacher_recorders=dict(neck=dict(type='ModuleOutputRecorder',
                                     source='neck')),
    connectors={
        f'proj{k}': dict(type='ProjectorEnsembleConnector', in_channels=cs,
                         out_channels=ct, num_projectors=3, pool_maps=False)
        for k, cs, ct in zip(levels, student_channels, teacher_channels)},
    distill_losses={
        f'loss_pefd{k}': dict(type='DirectionAlignmentLoss',
                              loss_weight=alpha / len(levels))
        for k in levels},
    loss_forward_mappings={
        f'loss_pefd{k}': dict(
            s_feature=dict(from_student=True, recorder='neck', index=k,
                           connector=f'proj{k}'),
            t_feature=dict(from_student=False, recorder='neck', index=k))
        for k in levels},
)
optim_wrapper = dict(constructor='DistillerOptimWrapperConstructor')
