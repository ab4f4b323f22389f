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
from mmfeatdistill.presets import nd_kdpp_distiller, nd_kdpp_hooks

default_scope = 'mmfeatdistill'
class_means = 'work_dirs/class_means/{{fileBasenameNoExtension}}.pth'

model = dict(_delete_=True, **nd_kdpp_distiller(
    teacher=_base_.teacher, teacher_ckpt=_base_.teacher_ckpt,
    student=_base_.student,
    student_dim=128, teacher_dim=512, class_means=class_means,
    kd_tau=1.0, kd_weight=1.0, nd_weight=1.0,
    feature_source='decode_head.sep_bottleneck',
    logits_source='decode_head.conv_seg',
    # the data samples the decode head's loss gets: the label maps
    samples_source='decode_head.loss',
    dense=True, ignore_index=255))
optim_wrapper = dict(constructor='DistillerOptimWrapperConstructor')
custom_hooks = nd_kdpp_hooks(kd_warmup_iters=1000)
