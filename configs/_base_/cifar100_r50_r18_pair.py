# The CIFAR-100 pair of the method configs: mmpretrain's ResNet_CIFAR-50
# (model zoo, 79.90 top-1) -> ResNet_CIFAR-18 with 100 classes, on
# mmpretrain's CIFAR-100 data and runtime. Children add their schedule and
# call a preset with `_base_.teacher`, `_base_.teacher_ckpt`,
# `_base_.student`.
_base_ = [
    'mmpretrain::_base_/datasets/cifar100_bs16.py',
    'mmpretrain::_base_/default_runtime.py',
]
default_scope = 'mmfeatdistill'
teacher = dict(cfg_path='mmpretrain::resnet/resnet50_8xb16_cifar100.py')
teacher_ckpt = ('https://download.openmmlab.com/mmclassification/v0/resnet/'
                'resnet50_b16x8_cifar100_20210528-67b58a1b.pth')
student = dict(cfg_path='mmpretrain::resnet/resnet18_8xb16_cifar10.py',
               head=dict(num_classes=100))
stages = [f'backbone.layer{k}' for k in (1, 2, 3, 4)]
