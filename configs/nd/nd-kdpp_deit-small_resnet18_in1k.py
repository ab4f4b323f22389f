# ND with KD (KD++) on ImageNet across architectures: DeiT-S (model zoo,
# 80.69 top-1; VisionTransformer, no neck) -> ResNet-18. The teacher's
# embedding is its class token (the backbone's output, 384-d, what its
# head reads), the student's the pooled 512-d feature, mapped to 384 by
# ND's transform; the teacher's logits come from `head.layers.head`.
# ImageNet settings: T 1, KD warm-up 5 epochs, weights cls/kd/nd 1/2.5/1.
_base_ = ['mmpretrain::resnet/resnet18_8xb32_in1k.py']
from mmfeatdistill.presets import nd, position

default_scope = 'mmfeatdistill'
teacher = dict(cfg_path='mmpretrain::deit/deit-small_4xb256_in1k.py')
teacher_ckpt = ('https://download.openmmlab.com/mmclassification/v0/deit/'
                'deit-small_pt-4xb256_in1k_20220218-9425b9bb.pth')
student = dict(cfg_path='mmpretrain::resnet/resnet18_8xb32_in1k.py')
class_token = position('backbone', 0)

model, custom_hooks = nd(
    teacher=teacher, teacher_ckpt=teacher_ckpt, student=student,
    student_channels=512, teacher_channels=384,
    teacher_positions=[class_token], teacher_logits_source='head.layers.head',
    nd_weight=1.0, kd=dict(tau=1.0, weight=2.5, warmup=5),
    class_means_dir='work_dirs/class_means/{{fileBasenameNoExtension}}',
    replace_base=True)
optim_wrapper = dict(constructor='DistillerOptimWrapperConstructor')
