# KD (Hinton et al., 2015) on ImageNet: ResNet-34 (model zoo, 73.62 top-1)
# -> ResNet-18, the pair and settings of MMRazor's KD config
# (kd_logits_resnet34_resnet18_8xb32_in1k: T = 1, weight 3 beside the
# student's cross-entropy). The KD row of benchmarks/peers.py.
_base_ = ['../_base_/in1k_r34_r18_pair.py']
from mmfeatdistill.presets import kd

model, custom_hooks = kd(**_base_.pair, tau=1.0, weight=3.0)
