# PEFD on ImageNet across architectures: DeiT-S (model zoo, 80.69 top-1;
# VisionTransformer, no neck) -> ResNet-18. The teacher's embedding is
# its class token (the backbone's output, 384-d, what its head reads);
# the student's projector ensemble maps its pooled 512-d feature to 384.
# alpha 25, q 3, mmpretrain's ResNet-18 schedule (100 epochs, batch 8x32).
_base_ = ['../_base_/in1k_deit-small_r18_pair.py']
from mmfeatdistill.presets import pefd, position

model, custom_hooks = pefd(**_base_.pair, student_channels=512,
                           teacher_channels=384,
                           teacher_positions=[position('backbone', 0)],
                           alpha=25.0, num_projectors=3)
