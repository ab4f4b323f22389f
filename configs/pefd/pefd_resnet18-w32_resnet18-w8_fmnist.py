# PEFD on Fashion-MNIST (the demo's pair): alpha 25, q 3.
_base_ = ['../_base_/fmnist_distill_pair.py']
from mmfeatdistill.presets import pefd

model, custom_hooks = pefd(**_base_.pair, student_channels=64,
                           teacher_channels=256, alpha=25.0, num_projectors=3)
