# PEFD on ImageNet across architectures: Swin-T (model zoo, 81.18 top-1)
# -> ResNet-50, on both sides the neck's pooled embedding (the student's
# 2048-d mapped to the teacher's 768-d by the projector ensemble).
# alpha 25, q 3, mmpretrain's ResNet-50 schedule (100 epochs, batch 8x32).
_base_ = ['../_base_/in1k_swin-tiny_r50_pair.py']
from mmfeatdistill.presets import pefd

model, custom_hooks = pefd(**_base_.pair, student_channels=2048,
                           teacher_channels=768, alpha=25.0, num_projectors=3)
