# PEFD on ImageNet across architectures: DeiT-S (model zoo, 80.69 top-1;
# VisionTransformer, no neck) -> ResNet-18. The teacher's embedding is
# its class token (the backbone's output, 384-d, what its head reads);
# the student's projector ensemble maps its pooled 512-d feature to 384.
# alpha 25, q 3, mmpretrain's ResNet-18 schedule (100 epochs, batch 8x32).
_base_ = ['mmpretrain::resnet/resnet18_8xb32_in1k.py']
from mmfeatdistill.presets import pefd, position

default_scope = 'mmfeatdistill'
teacher = dict(cfg_path='mmpretrain::deit/deit-small_4xb256_in1k.py')
teacher_ckpt = ('https://download.openmmlab.com/mmclassification/v0/deit/'
                'deit-small_pt-4xb256_in1k_20220218-9425b9bb.pth')
student = dict(cfg_path='mmpretrain::resnet/resnet18_8xb32_in1k.py')

model, custom_hooks = pefd(teacher=teacher, teacher_ckpt=teacher_ckpt,
                           student=student, student_channels=512,
                           teacher_channels=384,
                           teacher_positions=[position('backbone', 0)],
                           alpha=25.0, num_projectors=3, replace_base=True)
optim_wrapper = dict(constructor='DistillerOptimWrapperConstructor')
