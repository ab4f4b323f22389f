# Feature MSE (FitNets' hint) on ImageNet: ResNet-34 (model zoo, 73.62
# top-1) -> ResNet-18 at the stage-3 output (256 channels in both, 14x14 at
# 224), the student's mapped by a 1x1 conv + BN regressor, MSE weight 1
# beside the student's cross-entropy. The feature row of
# benchmarks/peers.py (torchdistill runs the same regressor, its
# Connector4DAB, on the same position).
_base_ = ['../_base_/in1k_r34_r18_pair.py']
from mmfeatdistill.presets import feature_mse, position

model, custom_hooks = feature_mse(**_base_.pair,
                                  positions=[position('backbone.layer3')],
                                  position_names=['stage3'],
                                  student_channels=256, teacher_channels=256,
                                  weight=1.0)
