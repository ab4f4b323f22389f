# TOFD step 1 on CIFAR-100: train the auxiliary heads of the model-zoo
# ResNet_CIFAR-50 (frozen) with the labels (our documented step; the TOFD
# authors did not publish theirs): 40 epochs, SGD lr 0.1, cosine.
#   python tools/train_tofd_teacher_heads.py THIS_CONFIG
_base_ = [
    'mmpretrain::_base_/datasets/cifar100_bs16.py',
    'mmpretrain::_base_/default_runtime.py',
]
default_scope = 'mmfeatdistill'
teacher = dict(cfg_path='mmpretrain::resnet/resnet50_8xb16_cifar100.py')
teacher_ckpt = ('https://download.openmmlab.com/mmclassification/v0/resnet/'
                'resnet50_b16x8_cifar100_20210528-67b58a1b.pth')
teacher_stages = [f'backbone.layer{k}' for k in (1, 2, 3, 4)]
num_classes = 100
train_dataloader = dict(batch_size=128)
param_scheduler = dict(type='CosineAnnealingLR', by_epoch=True, T_max=40)
train_cfg = dict(by_epoch=True, max_epochs=40, val_interval=40)
val_cfg = dict()
test_cfg = dict()

model = dict(
    type='AuxHeadTrainer',
    model=teacher,
    model_ckpt=teacher_ckpt,
    stages=teacher_stages,
    num_classes=num_classes)
optim_wrapper = dict(
    constructor='DistillerOptimWrapperConstructor',
    optimizer=dict(type='SGD', lr=0.1, momentum=0.9, weight_decay=5e-4))
