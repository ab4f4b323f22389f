# TOFD on the Fashion-MNIST scenes detection demo (the VOC0712 SSD design,
# configs/tofd/tofd_ssd300_ssd300-r18_voc0712.py): auxiliary heads on the
# 4 feature positions the head reads (layer2, layer3 and the 2 extra
# layers, in both models), one per SSD level, solve the detector's own
# classification task on their level: every anchor's class (10 garments +
# background; 6 anchors a position) as the student head's assigner labels
# it (recorded bbox_head.get_targets), with SSD's loss (positives plus 3x
# as many hard negatives, over the positives); soft targets over the same
# anchors at the scheduled temperature. Stride-1 SepConv blocks keep each
# level's grid (16x16 .. 2x2). Feature distance per position through the
# links, orthogonal loss on the links; alpha 0.05, beta 0.03 and T 1 -> 4
# per epoch as TOFD; the heads' losses averaged over the 4 heads (as the
# dense variants). Chosen over image-level multi-label heads on the
# validation split (benchmarks/results/sweeps.md, 2026-12-07).
# Step 1 (teacher heads): tofd-teacher-heads_ssd-r18w32_fmnist-scenes.py;
# the demo runs it and passes its checkpoint as model.teacher_ckpt.
_base_ = ['../_base_/fmnist_scenes_det_pair.py']
from mmfeatdistill.presets import tofd

teacher_heads_config = 'tofd-teacher-heads_ssd-r18w32_fmnist-scenes.py'
teacher_ckpt = ('work_dirs/tofd-teacher-heads_ssd-r18w32_fmnist-scenes/'
                'teacher_with_heads.pth')
stages = ['backbone.layer2', 'backbone.layer3'
          ] + [f'neck.extra_layers.{i}' for i in range(2)]
# anchors a position of the 4 levels (ratios 2 and 3 on every level)
num_anchors = [6, 6, 6, 6]

# T = 1 + 3 (epoch + 1) / max_epochs on every head's soft targets
model, custom_hooks = tofd(teacher=_base_.teacher, teacher_ckpt=teacher_ckpt,
                           student=_base_.student, student_stages=stages,
                           teacher_stages=stages, num_classes=10,
                           anchors=num_anchors, head_weight=1 / 4,
                           student_channels=_base_.student_channels,
                           teacher_channels=_base_.teacher_channels,
                           hooks=_base_.task_hooks)
