# PEFD on ImageNet: ResNet-34 (model zoo) -> ResNet-18, alpha 25, q 3,
# mmpretrain's ResNet-18 schedule (100 epochs, batch 8x32).
_base_ = ['../_base_/in1k_r34_r18_pair.py']
from mmfeatdistill.presets import pefd

model, custom_hooks = pefd(**_base_.pair, student_channels=512,
                           teacher_channels=512, alpha=25.0, num_projectors=3)
