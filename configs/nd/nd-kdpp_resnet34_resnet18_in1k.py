# ND with KD (KD++) on ImageNet: ResNet-34 (model zoo) -> ResNet-18.
# ImageNet settings: T 1, KD warm-up 5 epochs, weights cls/kd/nd 1/2.5/1.
_base_ = ['../_base_/in1k_r34_r18_pair.py']
from mmfeatdistill.presets import nd

model, custom_hooks = nd(
    **_base_.pair, student_channels=512, teacher_channels=512, nd_weight=1.0,
    kd=dict(tau=1.0, weight=2.5, warmup=5),
    class_means_dir='work_dirs/class_means/{{fileBasenameNoExtension}}')
