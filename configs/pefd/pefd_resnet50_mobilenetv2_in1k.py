# PEFD on ImageNet: ResNet-50 (model zoo) -> MobileNetV2, alpha 25, q 3,
# mmpretrain's MobileNetV2 schedule.
_base_ = ['../_base_/in1k_r50_mobilenetv2_pair.py']
from mmfeatdistill.presets import pefd

model, custom_hooks = pefd(**_base_.pair, student_channels=1280,
                           teacher_channels=2048, alpha=25.0, num_projectors=3)
