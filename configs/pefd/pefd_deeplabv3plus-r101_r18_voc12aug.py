# PEFD on VOC12aug segmentation (dense variant, ours): DeepLabV3+ R101-D8
# (model zoo, 78.62 mIoU at 20k) -> DeepLabV3+ R18-D8, on the backbone's
# last stage (stride 8) and the decoder feature that enters the classifier
# (stride 4). Ensembles of 3 projectors as 1x1 convolutions; direction
# alignment per pixel (cosine over channels, mean over pixels and batch).
# alpha = 25 (PEFD) split over the 2 maps; teacher in eval mode; no KD term.
# Both maps have the same size in both models (same strides); a pair with
# different sizes adds ResizeConnector through SequentialConnector.
_base_ = [
    'mmseg::deeplabv3plus/deeplabv3plus_r101-d8_4xb4-20k_voc12aug-512x512.py',
    '../_base_/models/deeplabv3plus-r101_r18_voc12aug.py'
]
default_scope = 'mmfeatdistill'
positions = dict(stage4='backbone.layer4',
                 decoder='decode_head.sep_bottleneck')
student_channels = dict(stage4=512, decoder=128)
teacher_channels = dict(stage4=2048, decoder=512)
alpha = 25.0

model = dict(
    _delete_=True,
    type='FeatureDistiller',
    teacher=_base_.teacher,
    teacher_ckpt=_base_.teacher_ckpt,
    student=_base_.student,
    teacher_norm_eval=True,  # PEFD: teacher in eval mode
    student_recorders={n: dict(type='ModuleOutputRecorder', source=p)
                       for n, p in positions.items()},
    teacher_recorders={n: dict(type='ModuleOutputRecorder', source=p)
                       for n, p in positions.items()},
    connectors={
        f'proj_{n}': dict(type='ProjectorEnsembleConnector',
                          in_channels=student_channels[n],
                          out_channels=teacher_channels[n],
                          num_projectors=3, pool_maps=False)
        for n in positions},
    distill_losses={
        f'loss_pefd_{n}': dict(type='DirectionAlignmentLoss',
                               loss_weight=alpha / len(positions))
        for n in positions},
    loss_forward_mappings={
        f'loss_pefd_{n}': dict(
            s_feature=dict(from_student=True, recorder=n,
                           connector=f'proj_{n}'),
            t_feature=dict(from_student=False, recorder=n))
        for n in positions},
)
optim_wrapper = dict(constructor='DistillerOptimWrapperConstructor')
