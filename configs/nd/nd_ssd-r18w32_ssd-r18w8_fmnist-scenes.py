# ND on the Fashion-MNIST scenes detection demo (the VOC0712 SSD design,
# configs/nd/nd_ssd300_ssd300-r18_voc0712.py): the embedding of an anchor
# is the neck map's feature at its position, on each of the 4 levels the
# head reads; rows are the positive anchors the student head's own
# assigner (MaxIoUAssigner) matched in the batch (`bbox_head.get_targets`
# recorded); each level has its own per-class means of the teacher's
# features at positive anchors (10 garment classes, no background), one
# file per level, computed before training by ClassMeansHook (one pass
# over the training set) into WORK_DIR/class_means/ (so each run uses its
# own teacher's). The student's widths (16, 32, 64, 64) are mapped to the
# teacher's (64, 128, 256, 256) by ND's transform at every position. ND
# alone (SSD has no image-level logits for KD); weight 1 split equally
# over the levels; teacher in eval mode.
_base_ = ['../_base_/fmnist_scenes_det_pair.py']
from mmfeatdistill.presets import nd, position

model, custom_hooks = nd(**_base_.pair, rows='anchor',
                         positions=[position('neck', k) for k in range(4)],
                         student_channels=_base_.student_channels,
                         teacher_channels=_base_.teacher_channels,
                         nd_weight=1.0, hooks=_base_.task_hooks)
