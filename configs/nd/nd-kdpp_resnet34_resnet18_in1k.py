# ND with KD (KD++) on ImageNet: ResNet-34 (model zoo) -> ResNet-18.
# ImageNet settings: T 1, KD warm-up 5 epochs, weights cls/kd/nd 1/2.5/1.
_base_ = ['mmpretrain::resnet/resnet18_8xb32_in1k.py']
from mmfeatdistill.presets import nd

default_scope = 'mmfeatdistill'
teacher = dict(cfg_path='mmpretrain::resnet/resnet34_8xb32_in1k.py')
teacher_ckpt = ('https://download.openmmlab.com/mmclassification/v0/resnet/'
                'resnet34_8xb32_in1k_20210831-f257d4e6.pth')
student = dict(cfg_path='mmpretrain::resnet/resnet18_8xb32_in1k.py')

model, custom_hooks = nd(
    teacher=teacher, teacher_ckpt=teacher_ckpt, student=student,
    student_channels=512, teacher_channels=512, nd_weight=1.0,
    kd=dict(tau=1.0, weight=2.5, warmup=5),
    class_means_dir='work_dirs/class_means/{{fileBasenameNoExtension}}',
    replace_base=True)
optim_wrapper = dict(constructor='DistillerOptimWrapperConstructor')
