# TOFD on VOC0712 detection (dense-task variant, ours): SSD300 (VGG16) ->
# SSD300 with a ResNet-18 backbone (OFD's SSD pair). Auxiliary heads on the
# 6 feature positions the head reads (student: layer2, layer3 and the 4
# extra layers; teacher: conv4_3, fc7 and the 4 extra layers), one per SSD
# level, solve the detector's own classification task on their level:
# every anchor's class (20 classes + background) as the student head's
# assigner labels it (recorded bbox_head.get_targets), with SSD's loss
# (positives plus 3x as many hard negatives, over the positives); soft
# targets over the same anchors at the scheduled temperature. Stride-1
# SepConv blocks keep each level's grid. Feature distance per position
# through the links, orthogonal loss on the links; alpha 0.05, beta 0.03
# and T 1 -> 4 as TOFD; the heads' losses averaged over the 6 heads (as
# the dense variants). Chosen over image-level multi-label heads on the
# scenes' validation split (docs/methods.md, benchmarks/results/sweeps.md).
# Step 1 (teacher heads): tofd-teacher-heads_ssd300_voc0712.py.
_base_ = ['../_base_/voc0712_ssd300-vgg16_ssd300-r18_pair.py']
from mmfeatdistill.presets import tofd

teacher_heads_config = 'tofd-teacher-heads_ssd300_voc0712.py'
teacher_ckpt = ('work_dirs/tofd-teacher-heads_ssd300_voc0712/'
                'teacher_with_heads.pth')
extra = [f'neck.extra_layers.{i}' for i in range(4)]
# anchors a position of SSD300's 6 levels (ratios [2], [2, 3] x 3, [2], [2])
num_anchors = [4, 6, 6, 6, 4, 4]

# T = 1 + 3 (epoch + 1) / max_epochs on every head's soft targets
model, custom_hooks = tofd(
    teacher=_base_.teacher, teacher_ckpt=teacher_ckpt, student=_base_.student,
    student_stages=['backbone.layer2', 'backbone.layer3'] + extra,
    teacher_stages=['backbone.features.22', 'backbone.features.34'] + extra,
    num_classes=20, anchors=num_anchors, head_weight=1 / 6,
    hooks=_base_.task_hooks)
