# PEFD on COCO detection across architectures (dense variant, ours):
# RetinaNet Swin-T -> RetinaNet ResNet-18, on the 5 FPN levels the neck
# hands to the head (P3-P7, 256 channels on both sides, same sizes).
# PEFD's parts per level, as the paper has them for the penultimate
# feature: an ensemble of q = 3 projectors, each a 1x1 convolution (the
# paper's Linear, applied at every position) with bias and a ReLU, their
# outputs averaged; the loss is one minus the cosine over channels at every
# position (mean over positions and batch); teacher in eval mode; no KD
# term. The projectors stay although the widths agree (256 -> 256): the
# paper's point is that a projector helps even then, sparing the student's
# own features the copy of the teacher's. alpha = 25 (the paper's) on every
# level (125 in all), as the SSD pair (pefd_ssd300_ssd300-r18_voc0712.py),
# so each level's term has the classification range. Data, schedule and
# runtime: mmdet's RetinaNet R18 1x (SGD lr 0.01, batch 8x2, 12 epochs).
# No model-zoo teacher: see ../_base_/coco_retinanet_swin-tiny_r18_pair.py.
_base_ = ['../_base_/coco_retinanet_swin-tiny_r18_pair.py']
from mmfeatdistill.presets import pefd, position

# the FPN's 5 outputs; alpha 25 on each
positions = [position('neck', k) for k in range(5)]
model, custom_hooks = pefd(**_base_.pair, positions=positions,
                           student_channels=_base_.fpn_channels,
                           teacher_channels=_base_.fpn_channels,
                           alpha=25.0 * len(positions), num_projectors=3,
                           dense=True)
