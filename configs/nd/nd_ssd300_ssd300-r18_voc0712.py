# ND on VOC0712 detection (dense variant, ours): SSD300 (VGG16) -> SSD300
# with a ResNet-18 backbone (OFD's SSD pair). The embedding of an anchor is
# the neck map's feature at its position, on each of the 6 levels the head
# reads. Rows are the positive anchors that the student head's own assigner
# (MaxIoUAssigner) matched in this batch, recorded from
# `bbox_head.get_targets`; each level has its own per-class means of the
# teacher's features at positive anchors (20 object classes, no
# background), one file per level, computed before training. Levels whose
# widths differ (128 -> 512, 256 -> 1024) map the student with ND's
# transform applied at every position. ND alone (no KD term: SSD has no
# image-level logits); weight 1 split equally over the levels; teacher in
# eval mode. Teacher: the COCO SSD300 (features do not depend on the class
# set), see ../_base_/models/ssd300-vgg16-coco_ssd300-r18.py.
_base_ = ['mmdet::pascal_voc/ssd300_voc0712.py',
          '../_base_/models/ssd300-vgg16-coco_ssd300-r18.py']
default_scope = 'mmfeatdistill'
student_channels = [128, 256, 512, 256, 256, 256]
teacher_channels = [512, 1024, 512, 256, 256, 256]
levels = list(range(len(student_channels)))
nd_weight = 1.0
class_means = 'work_dirs/class_means/{{fileBasenameNoExtension}}'
transformed = [k for k in levels if student_channels[k] != teacher_channels[k]]
custom_hooks = [
    dict(type='ClassMeansHook'),  # every ND loss: one file per level
    dict(type='SSDPredictFixHook'),
    dict(type='mmdet.CheckInvalidLossHook', interval=50, priority='VERY_LOW'),
]

model = dict(
    _delete_=True,
    type='FeatureDistiller',
    teacher=_base_.teacher,
    teacher_ckpt=_base_.teacher_ckpt,
    student=_base_.student,
    teacher_norm_eval=True,  # ND: teacher in eval mode
    student_recorders=dict(
        neck=dict(type='ModuleOutputRecorder', source='neck'),
        targets=dict(type='MethodOutputRecorder',
                     source='bbox_head.get_targets')),
    teacher_recorders=dict(neck=dict(type='ModuleOutputRecorder',
                                     source='neck')),
    connectors={
        **{f'labels{k}': dict(type='AnchorLabelsConnector', level=k)
           for k in levels},
        **{f'transform{k}': dict(type='EmbeddingTransformConnector',
                                 in_channels=student_channels[k],
                                 out_channels=teacher_channels[k],
                                 pool_maps=False)
           for k in transformed}},
    distill_losses={
        f'loss_nd{k}': dict(type='AnchorNDLoss',
                            loss_weight=nd_weight / len(levels),
                            class_means=f'{class_means}_level{k}.pth')
        for k in levels},
    loss_forward_mappings={
        f'loss_nd{k}': dict(
            s_feature=dict(from_student=True, recorder='neck', index=k,
                           **(dict(connector=f'transform{k}')
                              if k in transformed else {})),
            t_feature=dict(from_student=False, recorder='neck', index=k),
            labels=dict(from_student=True, recorder='targets',
                        connector=f'labels{k}'))
        for k in levels},
)
optim_wrapper = dict(constructor='DistillerOptimWrapperConstructor')
