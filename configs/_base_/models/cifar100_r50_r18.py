# The CIFAR-100 pair: mmpretrain's ResNet_CIFAR-50 (model zoo, 79.90
# top-1) -> ResNet_CIFAR-18 with 100 classes, and their 4 stage ends.
teacher = dict(cfg_path='mmpretrain::resnet/resnet50_8xb16_cifar100.py')
teacher_ckpt = ('https://download.openmmlab.com/mmclassification/v0/resnet/'
                'resnet50_b16x8_cifar100_20210528-67b58a1b.pth')
student = dict(cfg_path='mmpretrain::resnet/resnet18_8xb16_cifar10.py',
               head=dict(num_classes=100))
stages = [f'backbone.layer{k}' for k in (1, 2, 3, 4)]
