# TOFD step 1 on the Fashion-MNIST scenes detection demo (the VOC0712
# design, configs/tofd/tofd-teacher-heads_ssd300_voc0712.py): image-level
# multi-label auxiliary classifiers (binary cross-entropy with the scene's
# garment classes) on the 4 feature positions of the frozen SSD teacher
# (layer2, layer3 and the 2 extra layers), trained with the students'
# schedule (the demo sets the epochs), SGD lr 0.05, cosine. Our documented
# step (TOFD's authors did not run detection):
#   python tools/train_tofd_teacher_heads.py THIS_CONFIG
# -> work_dirs/tofd-teacher-heads_ssd-r18w32_fmnist-scenes/
#    teacher_with_heads.pth
_base_ = ['../_base_/fmnist_scenes_det_pair.py']
teacher_stages = ['backbone.layer2', 'backbone.layer3'
                  ] + [f'neck.extra_layers.{i}' for i in range(2)]
num_classes = 10

model = dict(type='AuxHeadTrainer', model=_base_.teacher,
             model_ckpt=_base_.teacher_ckpt, stages=teacher_stages,
             num_classes=num_classes, labels=dict(type='GTMultiHotConnector',
                                                  num_classes=num_classes),
             head_loss=dict(type='LabelCrossEntropyLoss'))
