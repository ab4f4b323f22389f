# KD (Hinton et al., 2015) on ImageNet across architectures: Swin-T (model
# zoo, 81.18 top-1) -> ResNet-50, both logits from `head.fc`, with the
# settings of the ResNet-34 -> ResNet-18 KD config (T = 1, weight 3 beside
# the student's cross-entropy).
_base_ = ['../_base_/in1k_swin-tiny_r50_pair.py']
from mmfeatdistill.presets import kd

model, custom_hooks = kd(**_base_.pair, tau=1.0, weight=3.0)
