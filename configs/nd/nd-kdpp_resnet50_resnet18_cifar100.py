# ND with KD ("KD++", Wang et al., ECCV 2024) on CIFAR-100: ResNet_CIFAR-50
# (model zoo) -> ResNet_CIFAR-18. CIFAR defaults: T 4, KD warm-up 20
# epochs; weights cls/kd/nd 1/3.5/2 (the paper's ResNet32x4 -> ResNet8x4
# setting, a wide-to-narrow ResNet pair like this one). The student's
# 512-d embedding is mapped to the teacher's 2048 by BN1d-Dropout-Linear.
_base_ = [
    'mmpretrain::_base_/datasets/cifar100_bs16.py',
    'mmpretrain::_base_/schedules/cifar10_bs128.py',
    'mmpretrain::_base_/default_runtime.py',
]
from mmfeatdistill.presets import nd

default_scope = 'mmfeatdistill'
teacher = dict(cfg_path='mmpretrain::resnet/resnet50_8xb16_cifar100.py')
teacher_ckpt = ('https://download.openmmlab.com/mmclassification/v0/resnet/'
                'resnet50_b16x8_cifar100_20210528-67b58a1b.pth')
student = dict(cfg_path='mmpretrain::resnet/resnet18_8xb16_cifar10.py',
               head=dict(num_classes=100))

model, custom_hooks = nd(
    teacher=teacher, teacher_ckpt=teacher_ckpt, student=student,
    student_channels=512, teacher_channels=2048, nd_weight=2.0,
    kd=dict(tau=4.0, weight=3.5, warmup=20),
    class_means_dir='work_dirs/class_means/{{fileBasenameNoExtension}}')
optim_wrapper = dict(constructor='DistillerOptimWrapperConstructor')
