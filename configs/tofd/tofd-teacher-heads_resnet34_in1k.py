# TOFD step 1 on ImageNet: train the auxiliary heads of the model-zoo
# resnet34 (frozen) with the labels: 10 epochs, SGD lr 0.1, cosine.
#   python tools/train_tofd_teacher_heads.py THIS_CONFIG
_base_ = ['mmpretrain::resnet/resnet34_8xb32_in1k.py']
default_scope = 'mmfeatdistill'
teacher = dict(cfg_path='mmpretrain::resnet/resnet34_8xb32_in1k.py')
teacher_ckpt = ('https://download.openmmlab.com/mmclassification/v0/resnet/'
                'resnet34_8xb32_in1k_20210831-f257d4e6.pth')
teacher_stages = [f'backbone.layer{k}' for k in (1, 2, 3, 4)]
num_classes = 1000
param_scheduler = dict(_delete_=True, type='CosineAnnealingLR', by_epoch=True,
                       T_max=10)
train_cfg = dict(by_epoch=True, max_epochs=10, val_interval=10)

model = dict(
    _delete_=True,
    type='AuxHeadTrainer',
    model=teacher,
    model_ckpt=teacher_ckpt,
    stages=teacher_stages,
    num_classes=num_classes)
optim_wrapper = dict(constructor='DistillerOptimWrapperConstructor')
