# TOFD step 1 on the Fashion-MNIST scenes: train per-pixel auxiliary
# classifiers on the 4 backbone stages of the frozen DeepLabV3+ R18 w16
# teacher (dense heads: TOFD's stride-2 SepConv blocks, then a 1x1
# classifier at every position) with the segmentation loss (cross-entropy
# with the label maps, logits resized to label size, 255 ignored), as the
# VOC12aug step (tofd-teacher-heads_deeplabv3plus-r101_voc12aug.py). Our
# documented step (TOFD's authors did not run segmentation): the scenes
# schedule (SGD lr 0.4, cosine) for as many epochs as the students (the
# demo passes them), then the teacher checkpoint with the heads:
#   python tools/train_tofd_teacher_heads.py THIS_CONFIG
# -> work_dirs/tofd-teacher-heads_deeplabv3plus-r18w16_fmnist-scenes/
#    teacher_with_heads.pth
_base_ = ['../_base_/fmnist_scenes_seg_pair.py']
from mmfeatdistill.presets import tofd_teacher_heads

model, custom_hooks = tofd_teacher_heads(
    teacher=_base_.teacher, teacher_ckpt=_base_.teacher_ckpt,
    stages=[f'backbone.layer{k}' for k in (1, 2, 3, 4)], num_classes=11,
    dense=True, labels=dict(type='GTSegMapConnector'),
    head_loss=dict(type='LabelCrossEntropyLoss', ignore_index=255))
