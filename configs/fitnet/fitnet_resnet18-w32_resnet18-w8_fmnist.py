# Feature MSE (FitNets-style hint) on the demo's pair: the last stage's
# output, the student's mapped to the teacher's 256 channels by a 1x1 conv +
# BN regressor, MSE weight 1 beside the student's cross-entropy. The
# reference row of feature distillation in the demo and the benchmark.
_base_ = ['../_base_/fmnist_distill_pair.py']
from mmfeatdistill.presets import feature_mse, position

model, custom_hooks = feature_mse(**_base_.pair,
                                  positions=[position('backbone.layer4')],
                                  position_names=['stage4'],
                                  student_channels=64, teacher_channels=256,
                                  weight=1.0)
