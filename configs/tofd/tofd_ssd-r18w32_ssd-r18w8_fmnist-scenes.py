# TOFD on the Fashion-MNIST scenes detection demo (the VOC0712 SSD design,
# configs/tofd/tofd_ssd300_ssd300-r18_voc0712.py): auxiliary heads on the
# 4 feature positions the head reads (layer2, layer3 and the 2 extra
# layers, in both models) solve the image-level task the detector implies,
# multi-label classification of the scene's garment classes (binary
# cross-entropy with the labels; soft targets per class with sigmoids at
# the scheduled temperature). Feature distance on the heads' pooled
# features through the links, orthogonal loss on the links; alpha 0.05,
# beta 0.03 and T 1 -> 4 per epoch as TOFD.
# Step 1 (teacher heads): tofd-teacher-heads_ssd-r18w32_fmnist-scenes.py;
# the demo runs it and passes its checkpoint as model.teacher_ckpt.
_base_ = ['../_base_/fmnist_scenes_det_pair.py']
from mmfeatdistill.presets import tofd

teacher_heads_config = 'tofd-teacher-heads_ssd-r18w32_fmnist-scenes.py'
teacher_ckpt = ('work_dirs/tofd-teacher-heads_ssd-r18w32_fmnist-scenes/'
                'teacher_with_heads.pth')
stages = ['backbone.layer2', 'backbone.layer3'
          ] + [f'neck.extra_layers.{i}' for i in range(2)]

# T = 1 + 3 (epoch + 1) / max_epochs on every head's soft targets
model, custom_hooks = tofd(
    teacher=_base_.teacher, teacher_ckpt=teacher_ckpt, student=_base_.student,
    student_stages=stages, teacher_stages=stages, num_classes=10,
    labels=dict(type='GTMultiHotConnector',
                num_classes=10), samples_source='bbox_head.loss',
    kd_loss=dict(multi_label=True), student_channels=_base_.student_channels,
    teacher_channels=_base_.teacher_channels, hooks=_base_.task_hooks)
