# PEFD on VOC0712 detection (dense variant, ours): SSD300 (VGG16) -> SSD300
# with a ResNet-18 backbone (OFD's SSD pair), on the 6 maps the neck hands
# to the head (38, 19, 10, 5, 3, 1). Each level has its own ensemble of 3
# projectors run as 1x1 convolutions, and the direction alignment is the
# cosine over channels at every position (mean over positions and batch).
# alpha = 25 (PEFD) on every level (150 in all; the scenes detection
# demo's validation sweep chose 25 per level over 25 split over the levels,
# benchmarks/results/sweeps.md); teacher in eval mode; no KD term. Maps
# have the same size in both models (same input and strides); a pair
# with different sizes would wrap the projectors in
# SequentialConnector([...projectors, ResizeConnector(scale_factor=...)]).
# Teacher: the COCO SSD300 (mmdet 3.x has no VOC0712 SSD300 checkpoint),
# see ../_base_/models/ssd300-vgg16-coco_ssd300-r18.py.
_base_ = ['../_base_/voc0712_ssd300-vgg16_ssd300-r18_pair.py']
from mmfeatdistill.presets import pefd, position

# the maps the neck hands to the head; alpha 25 on each
positions = [position('neck', k) for k in range(6)]
model, custom_hooks = pefd(**_base_.pair, positions=positions,
                           student_channels=_base_.student_channels,
                           teacher_channels=_base_.teacher_channels,
                           alpha=25.0 * len(positions), num_projectors=3,
                           dense=True, hooks=_base_.task_hooks)
