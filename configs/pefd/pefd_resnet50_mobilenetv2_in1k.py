# PEFD on ImageNet: ResNet-50 (model zoo) -> MobileNetV2, alpha 25, q 3,
# mmpretrain's MobileNetV2 schedule.
_base_ = ['mmpretrain::mobilenet_v2/mobilenet-v2_8xb32_in1k.py']
from mmfeatdistill.presets import pefd

default_scope = 'mmfeatdistill'
teacher = dict(cfg_path='mmpretrain::resnet/resnet50_8xb32_in1k.py')
teacher_ckpt = ('https://download.openmmlab.com/mmclassification/v0/resnet/'
                'resnet50_8xb32_in1k_20210831-ea4938fc.pth')
student = dict(cfg_path='mmpretrain::mobilenet_v2/mobilenet-v2_8xb32_in1k.py')

model, custom_hooks = pefd(
    teacher=teacher, teacher_ckpt=teacher_ckpt, student=student,
    student_channels=1280, teacher_channels=2048, alpha=25.0,
    num_projectors=3, replace_base=True)
optim_wrapper = dict(constructor='DistillerOptimWrapperConstructor')
