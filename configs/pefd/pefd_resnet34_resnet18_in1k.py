# PEFD on ImageNet: ResNet-34 (model zoo) -> ResNet-18, alpha 25, q 3,
# mmpretrain's ResNet-18 schedule (100 epochs, batch 8x32).
_base_ = ['mmpretrain::resnet/resnet18_8xb32_in1k.py']
from mmfeatdistill.presets import pefd

default_scope = 'mmfeatdistill'
teacher = dict(cfg_path='mmpretrain::resnet/resnet34_8xb32_in1k.py')
teacher_ckpt = ('https://download.openmmlab.com/mmclassification/v0/resnet/'
                'resnet34_8xb32_in1k_20210831-f257d4e6.pth')
student = dict(cfg_path='mmpretrain::resnet/resnet18_8xb32_in1k.py')

model, custom_hooks = pefd(
    teacher=teacher, teacher_ckpt=teacher_ckpt, student=student,
    student_channels=512, teacher_channels=512, alpha=25.0,
    num_projectors=3, replace_base=True)
optim_wrapper = dict(constructor='DistillerOptimWrapperConstructor')
