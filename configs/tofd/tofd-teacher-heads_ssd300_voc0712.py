# TOFD step 1 on VOC0712 detection: train per-anchor auxiliary heads on
# the 6 feature positions of the frozen SSD300 (VGG16) teacher (conv4_3,
# fc7 and the 4 extra layers): each classifies the anchors of its SSD
# level (20 classes + background) with SSD's loss (positives plus 3x as
# many hard negatives, over the positives). The labels are the student
# head's assignment (AnchorTargetsConnector with the VOC SSD300 head's
# anchors and assigner, as mmdet's ssd300_voc0712.py: the COCO teacher's
# own anchors are smaller, basesize_ratio_range (0.15, 0.9)), the anchors
# the distillation labels. Our documented step (TOFD's authors did not run
# detection): 2 epochs of the base's VOC0712 (repeated x10, so 20
# passes), SGD lr 0.01, cosine. Teacher: the COCO SSD300 (see the OFD SSD
# config).
#   python tools/train_tofd_teacher_heads.py THIS_CONFIG
_base_ = ['../_base_/voc0712_ssd300-vgg16_ssd300-r18_pair.py']
from mmfeatdistill.presets import tofd_teacher_heads

# the ReLUs after conv4_3 and fc7 (their widths come from the conv before)
teacher_stages = ['backbone.features.22', 'backbone.features.34'
                  ] + [f'neck.extra_layers.{i}' for i in range(4)]
param_scheduler = [dict(type='CosineAnnealingLR', by_epoch=True, T_max=2)]
train_cfg = dict(max_epochs=2, val_interval=2)
num_anchors = [4, 6, 6, 6, 4, 4]
# mmdet's ssd300_voc0712.py head (the student's)
student_anchor_generator = dict(type='SSDAnchorGenerator', scale_major=False,
                                input_size=300,
                                basesize_ratio_range=(0.2, 0.9),
                                strides=[8, 16, 32, 64, 100,
                                         300], ratios=[[2], [2, 3], [2, 3],
                                                       [2, 3], [2], [2]])
student_assigner = dict(type='MaxIoUAssigner', pos_iou_thr=0.5,
                        neg_iou_thr=0.5, min_pos_iou=0., ignore_iof_thr=-1,
                        gt_max_assign_all=False)

# no NumClassCheckHook: the frozen COCO teacher has 80 classes, VOC 20
model, custom_hooks = tofd_teacher_heads(
    teacher=_base_.teacher, teacher_ckpt=_base_.teacher_ckpt,
    stages=teacher_stages, num_classes=20, anchors=num_anchors,
    labels=dict(type='AnchorTargetsConnector',
                anchor_generator=student_anchor_generator,
                assigner=student_assigner, num_classes=20),
    head_loss=dict(type='AnchorCrossEntropyLoss',
                   neg_pos_ratio=3), hooks=[dict(type='SSDPredictFixHook')])
optim_wrapper = dict(optimizer=dict(_delete_=True, type='SGD', lr=0.01,
                                    momentum=0.9, weight_decay=5e-4))
