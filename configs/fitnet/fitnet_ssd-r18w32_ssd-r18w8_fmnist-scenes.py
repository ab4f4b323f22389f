# Feature MSE (FitNets-style hints) on the Fashion-MNIST scenes detection
# demo's pair: the reference row of feature distillation, at OFD's 4
# positions (layer2 and layer3 pre-ReLU, the 2 extra layers' 3x3 convs
# pre-ReLU; ofd_ssd-r18w32_ssd-r18w8_fmnist-scenes.py). The student's
# feature goes through a 1x1 conv + BN regressor to the teacher's width;
# MSE (mean over elements) against the teacher's raw feature, weight 1 in
# all, split equally over the positions, beside the detector's losses;
# teacher in eval mode.
_base_ = ['../_base_/fmnist_scenes_det_pair.py']
from mmfeatdistill.presets import (feature_mse, position,
                                   resnet_preact_positions)

positions = resnet_preact_positions(
    ((2, 1),
     (3, 1))) + [position(f'neck.extra_layers.{i}.1.conv') for i in range(2)]

model, custom_hooks = feature_mse(
    **_base_.pair, positions=positions,
    position_names=['c3', 'c4', 'extra1',
                    'extra2'], student_channels=_base_.student_channels,
    teacher_channels=_base_.teacher_channels, weight=1.0,
    hooks=_base_.task_hooks)
