# TOFD step 1 on VOC0712 detection: train image-level multi-label
# auxiliary classifiers (BCE with the image's object classes) on the 6
# feature positions of the frozen SSD300 (VGG16) teacher: conv4_3, fc7 and
# the 4 extra layers. Our documented step (TOFD's authors did not run
# detection): 2 epochs of the base's VOC0712 (repeated x10, so 20 passes),
# SGD lr 0.01, cosine. Teacher: the COCO SSD300 (see the OFD SSD config).
#   python tools/train_tofd_teacher_heads.py THIS_CONFIG
_base_ = ['../_base_/voc0712_ssd300-vgg16_ssd300-r18_pair.py']
from mmfeatdistill.presets import tofd_teacher_heads

# the ReLUs after conv4_3 and fc7 (their widths come from the conv before)
teacher_stages = ['backbone.features.22', 'backbone.features.34'
                  ] + [f'neck.extra_layers.{i}' for i in range(4)]
param_scheduler = [dict(type='CosineAnnealingLR', by_epoch=True, T_max=2)]
train_cfg = dict(max_epochs=2, val_interval=2)

# no NumClassCheckHook: the frozen COCO teacher has 80 classes, VOC 20
model, custom_hooks = tofd_teacher_heads(
    teacher=_base_.teacher, teacher_ckpt=_base_.teacher_ckpt,
    stages=teacher_stages, num_classes=20,
    labels=dict(type='GTMultiHotConnector',
                num_classes=20), head_loss=dict(type='LabelCrossEntropyLoss'),
    hooks=[dict(type='SSDPredictFixHook')])
optim_wrapper = dict(optimizer=dict(_delete_=True, type='SGD', lr=0.01,
                                    momentum=0.9, weight_decay=5e-4))
