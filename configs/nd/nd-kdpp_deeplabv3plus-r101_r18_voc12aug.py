# ND with KD ("KD++") on VOC12aug segmentation (dense variant, ours):
# DeepLabV3+ R101-D8 (model zoo) -> DeepLabV3+ R18-D8. The per-pixel
# embedding is the decoder feature that enters the classifier
# (decode_head.sep_bottleneck, stride 4); the student's 128 channels are
# mapped to the teacher's 512 by ND's transform at every pixel. Class means:
# the teacher's map upsampled to label resolution, averaged per class over
# the labelled pixels of the training set (255 skipped), computed before
# training. The loss: ND's term per labelled pixel at feature resolution
# (labels resized by nearest neighbour), mean over pixels. KD on the
# per-pixel logits (classes on dim 1). Weights cls/kd/nd 1/1/1, T = 1 and a
# KD warm-up of 1000 iterations (5% of the 20k schedule, as ImageNet's 5 of
# 100 epochs) are our choice: the ND authors did not run segmentation.
_base_ = [
    'mmseg::deeplabv3plus/deeplabv3plus_r101-d8_4xb4-20k_voc12aug-512x512.py',
    '../_base_/models/deeplabv3plus-r101_r18_voc12aug.py'
]
default_scope = 'mmfeatdistill'
teacher, student = _base_.teacher, _base_.student
teacher_ckpt = _base_.teacher_ckpt
student_dim, teacher_dim = 128, 512
kd_tau, kd_weight, nd_weight, kd_warmup_iters = 1.0, 1.0, 1.0, 1000
class_means = 'work_dirs/class_means/{{fileBasenameNoExtension}}.pth'
feature, logits = 'decode_head.sep_bottleneck', 'decode_head.conv_seg'

model = dict(
    _delete_=True,
    type='FeatureDistiller',
    teacher=teacher,
    teacher_ckpt=teacher_ckpt,
    student=student,
    teacher_norm_eval=True,  # ND: teacher in eval mode
    student_recorders=dict(
        feat=dict(type='ModuleOutputRecorder', source=feature),
        logits=dict(type='ModuleOutputRecorder', source=logits),
        # the data samples the decode head's loss gets: the label maps
        samples=dict(type='MethodInputRecorder', source='decode_head.loss',
                     arg_index=1)),
    teacher_recorders=dict(
        feat=dict(type='ModuleOutputRecorder', source=feature),
        logits=dict(type='ModuleOutputRecorder', source=logits)),
    connectors=dict(
        labels=dict(type='GTSegMapConnector'),
        transform=dict(type='EmbeddingTransformConnector',
                       in_channels=student_dim, out_channels=teacher_dim,
                       pool_maps=False)),
    distill_losses=dict(
        loss_kd=dict(type='KDLoss', tau=kd_tau, t_square=True,
                     loss_weight=kd_weight),
        loss_nd=dict(type='DenseNDLoss', loss_weight=nd_weight,
                     class_means=class_means, ignore_index=255)),
    loss_forward_mappings=dict(
        loss_kd=dict(
            s_logits=dict(from_student=True, recorder='logits'),
            t_logits=dict(from_student=False, recorder='logits')),
        loss_nd=dict(
            s_feature=dict(from_student=True, recorder='feat',
                           connector='transform'),
            t_feature=dict(from_student=False, recorder='feat'),
            labels=dict(from_student=True, recorder='samples',
                        connector='labels'))),
)
optim_wrapper = dict(constructor='DistillerOptimWrapperConstructor')
custom_hooks = [
    dict(type='ClassMeansHook', loss_names='loss_nd'),
    dict(type='LossWeightWarmupHook', loss_names=['loss_kd'],
         warmup_iters=kd_warmup_iters),
]
