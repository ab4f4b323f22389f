# ND with KD ("KD++", Wang et al., ECCV 2024) on CIFAR-100: ResNet_CIFAR-50
# (model zoo) -> ResNet_CIFAR-18. CIFAR defaults: T 4, KD warm-up 20
# epochs; weights cls/kd/nd 1/3.5/2 (the paper's ResNet32x4 -> ResNet8x4
# setting, a wide-to-narrow ResNet pair like this one). The student's
# 512-d embedding is mapped to the teacher's 2048 by BN1d-Dropout-Linear.
_base_ = ['../_base_/cifar100_r50_r18_bs128_pair.py']
from mmfeatdistill.presets import nd

model, custom_hooks = nd(
    **_base_.pair, student_channels=512, teacher_channels=2048, nd_weight=2.0,
    kd=dict(tau=4.0, weight=3.5, warmup=20),
    class_means_dir='work_dirs/class_means/{{fileBasenameNoExtension}}')
