# ND on VOC0712 detection (dense variant, ours): SSD300 (VGG16) -> SSD300
# with a ResNet-18 backbone (OFD's SSD pair). The embedding of an anchor is
# the neck map's feature at its position, on each of the 6 levels the head
# reads. Rows are the positive anchors that the student head's own assigner
# (MaxIoUAssigner) matched in this batch, recorded from
# `bbox_head.get_targets`; each level has its own per-class means of the
# teacher's features at positive anchors (20 object classes, no
# background), one file per level, computed before training. Levels whose
# widths differ (128 -> 512, 256 -> 1024) map the student with ND's
# transform applied at every position. ND alone (no KD term: SSD has no
# image-level logits); weight 1 split equally over the levels; teacher in
# eval mode. Teacher: the COCO SSD300 (features do not depend on the class
# set), see ../_base_/models/ssd300-vgg16-coco_ssd300-r18.py.
_base_ = ['../_base_/voc0712_ssd300-vgg16_ssd300-r18_pair.py']
from mmfeatdistill.presets import nd, position

model, custom_hooks = nd(
    **_base_.pair, rows='anchor',
    positions=[position('neck', k)
               for k in range(6)], student_channels=_base_.student_channels,
    teacher_channels=_base_.teacher_channels, nd_weight=1.0,
    class_means_dir='work_dirs/class_means/{{fileBasenameNoExtension}}',
    hooks=_base_.task_hooks)
