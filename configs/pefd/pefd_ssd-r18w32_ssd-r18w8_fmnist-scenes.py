# PEFD on the Fashion-MNIST scenes detection demo (the VOC0712 SSD design,
# configs/pefd/pefd_ssd300_ssd300-r18_voc0712.py): on the 4 maps the neck
# hands to the head (16x16, 8x8, 4x4, 2x2), each level with its own
# ensemble of 3 projectors run as 1x1 convolutions (student widths 16, 32,
# 64, 64 -> teacher's 64, 128, 256, 256), direction alignment as the
# cosine over channels at every position (mean over positions and batch).
# alpha = 25 (PEFD) on every level (100 in all): the validation sweep of
# benchmarks/results/sweeps.md (det / PEFD, 3 seeds) chose it over 25 in
# all, split over the levels (val mAP 17.57 against 15.57; plain student
# 15.17); teacher in eval mode; no KD term. Same map sizes in both models
# (same input, strides).
_base_ = ['../_base_/fmnist_scenes_det_pair.py']
from mmfeatdistill.presets import pefd, position

# the maps the neck hands to the head; alpha 25 on each
positions = [position('neck', k) for k in range(4)]
model, custom_hooks = pefd(**_base_.pair, positions=positions,
                           student_channels=_base_.student_channels,
                           teacher_channels=_base_.teacher_channels,
                           alpha=25.0 * len(positions), num_projectors=3,
                           dense=True, hooks=_base_.task_hooks)
