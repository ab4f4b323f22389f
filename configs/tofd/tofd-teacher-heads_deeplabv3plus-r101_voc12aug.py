# TOFD step 1 on VOC12aug segmentation: train per-pixel auxiliary
# classifiers (dense heads: TOFD's SepConv blocks, then a 1x1 classifier at
# every position) with the segmentation loss (cross-entropy with the label
# maps, logits resized to label size, 255 ignored) on the 4 stages of the
# frozen DeepLabV3+ R101-D8. Our documented step (TOFD's authors did not
# run segmentation): 4k iterations (a fifth of the 20k schedule), SGD lr
# 0.01, poly.
#   python tools/train_tofd_teacher_heads.py THIS_CONFIG
_base_ = ['../_base_/voc12aug_deeplabv3plus-r101_r18_pair.py']
from mmfeatdistill.presets import tofd_teacher_heads

train_cfg = dict(max_iters=4000, val_interval=4000)
param_scheduler = [
    dict(type='PolyLR', eta_min=1e-4, power=0.9, begin=0, end=4000,
         by_epoch=False)
]

model, custom_hooks = tofd_teacher_heads(
    teacher=_base_.teacher, teacher_ckpt=_base_.teacher_ckpt,
    stages=[f'backbone.layer{k}' for k in (1, 2, 3, 4)], num_classes=21,
    dense=True, labels=dict(type='GTSegMapConnector'),
    head_loss=dict(type='LabelCrossEntropyLoss', ignore_index=255))
optim_wrapper = dict(optimizer=dict(_delete_=True, type='SGD', lr=0.01,
                                    momentum=0.9, weight_decay=5e-4))
