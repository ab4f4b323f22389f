# ND with KD (KD++) on ImageNet across architectures: DeiT-S (model zoo,
# 80.69 top-1; VisionTransformer, no neck) -> ResNet-18. The teacher's
# embedding is its class token (the backbone's output, 384-d, what its
# head reads), the student's the pooled 512-d feature, mapped to 384 by
# ND's transform; the teacher's logits come from `head.layers.head`.
# ImageNet settings: T 1, KD warm-up 5 epochs, weights cls/kd/nd 1/2.5/1.
_base_ = ['../_base_/in1k_deit-small_r18_pair.py']
from mmfeatdistill.presets import nd, position

class_token = position('backbone', 0)

model, custom_hooks = nd(
    **_base_.pair, student_channels=512, teacher_channels=384,
    teacher_positions=[class_token], teacher_logits_source='head.layers.head',
    nd_weight=1.0, kd=dict(tau=1.0, weight=2.5, warmup=5),
    class_means_dir='work_dirs/class_means/{{fileBasenameNoExtension}}')
