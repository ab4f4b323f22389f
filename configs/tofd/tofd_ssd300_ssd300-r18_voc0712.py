# TOFD on VOC0712 detection (dense-task variant, ours): SSD300 (VGG16) ->
# SSD300 with a ResNet-18 backbone (OFD's SSD pair). Auxiliary heads on the
# 6 feature positions the head reads (student: layer2, layer3 and the 4
# extra layers; teacher: conv4_3, fc7 and the 4 extra layers) solve an
# image-level task the detector implies: multi-label classification of the
# image's object classes (BCE with the labels; soft targets per class with
# sigmoids at the scheduled temperature). Feature distance on the heads'
# pooled features through the links, orthogonal loss on the links; alpha
# 0.05, beta 0.03 and T 1 -> 4 as TOFD.
# Step 1 (teacher heads): tofd-teacher-heads_ssd300_voc0712.py.
_base_ = ['../_base_/voc0712_ssd300-vgg16_ssd300-r18_pair.py']
from mmfeatdistill.presets import tofd

teacher_heads_config = 'tofd-teacher-heads_ssd300_voc0712.py'
teacher_ckpt = ('work_dirs/tofd-teacher-heads_ssd300_voc0712/'
                'teacher_with_heads.pth')
extra = [f'neck.extra_layers.{i}' for i in range(4)]

# T = 1 + 3 (epoch + 1) / max_epochs on every head's soft targets
model, custom_hooks = tofd(
    teacher=_base_.teacher, teacher_ckpt=teacher_ckpt, student=_base_.student,
    student_stages=['backbone.layer2', 'backbone.layer3'] + extra,
    teacher_stages=['backbone.features.22', 'backbone.features.34'] + extra,
    num_classes=20, labels=dict(type='GTMultiHotConnector', num_classes=20),
    samples_source='bbox_head.loss', kd_loss=dict(multi_label=True),
    hooks=_base_.task_hooks)
