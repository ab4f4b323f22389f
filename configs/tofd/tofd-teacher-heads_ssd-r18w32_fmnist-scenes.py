# TOFD step 1 on the Fashion-MNIST scenes detection demo (the VOC0712
# design, configs/tofd/tofd-teacher-heads_ssd300_voc0712.py): per-anchor
# auxiliary classifiers on the 4 feature positions of the frozen SSD
# teacher (layer2, layer3 and the 2 extra layers), one per SSD level, each
# classifying its level's anchors (10 garments + background) with SSD's
# loss (positives plus 3x as many hard negatives, over the positives). The
# labels are the head's own assignment, computed from the samples' boxes
# with the head's anchor generator and assigner (AnchorTargetsConnector;
# the frozen detector runs without its loss here). Trained with the
# students' schedule (the demo sets the epochs), SGD lr 0.05, cosine. Our
# documented step (TOFD's authors did not run detection):
#   python tools/train_tofd_teacher_heads.py THIS_CONFIG
# -> work_dirs/tofd-teacher-heads_ssd-r18w32_fmnist-scenes/
#    teacher_with_heads.pth
_base_ = ['../_base_/fmnist_scenes_det_pair.py']
teacher_stages = ['backbone.layer2', 'backbone.layer3'
                  ] + [f'neck.extra_layers.{i}' for i in range(2)]
num_classes = 10

model = dict(
    type='AuxHeadTrainer', model=_base_.teacher,
    model_ckpt=_base_.teacher_ckpt, stages=teacher_stages,
    num_classes=num_classes, head=dict(num_anchors=[6, 6, 6, 6]),
    labels=dict(type='AnchorTargetsConnector',
                anchor_generator=_base_.teacher.bbox_head.anchor_generator,
                assigner=_base_.teacher.train_cfg.assigner,
                num_classes=num_classes),
    head_loss=dict(type='AnchorCrossEntropyLoss', neg_pos_ratio=3))
