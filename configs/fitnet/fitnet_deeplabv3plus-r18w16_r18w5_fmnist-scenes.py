# Feature MSE (FitNets-style hint) on the Fashion-MNIST scenes pair
# (DeepLabV3+ R18 w16 -> w5): the last backbone stage's output (4x4 at
# 64x64 input), the student's 40 channels mapped to the teacher's 128 by a
# 1x1 conv + BN regressor, MSE (mean over elements) with weight 1 beside
# the student's cross-entropy, teacher in eval mode. The reference row of
# feature distillation, as on Fashion-MNIST classification.
_base_ = ['../_base_/fmnist_scenes_seg_pair.py']
from mmfeatdistill.presets import feature_mse, position

model, custom_hooks = feature_mse(**_base_.pair,
                                  positions=[position('backbone.layer4')
                                             ], position_names=['stage4'],
                                  student_channels=_base_.student_channels[-1],
                                  teacher_channels=_base_.teacher_channels[-1],
                                  weight=1.0)
