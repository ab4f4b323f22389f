# KD (Hinton et al., 2015) on the demo's pair: the reference row of the
# demo and the quality benchmark. T = 4 with the T^2 factor, weight 1 beside
# the student's cross-entropy (CIFAR-style settings of the literature).
_base_ = ['../_base_/fmnist_distill_pair.py']
from mmfeatdistill.presets import kd

model, custom_hooks = kd(**_base_.pair, tau=4.0, weight=1.0)
