# The ImageNet ResNet-34 -> ResNet-18 pair (model-zoo teacher, 73.62 top-1)
# on mmpretrain's ResNet-18 ImageNet config (data, schedule, runtime); its
# `model` is replaced by the method's (`replace_base=True`).
_base_ = ['mmpretrain::resnet/resnet18_8xb32_in1k.py']
default_scope = 'mmfeatdistill'
teacher = dict(cfg_path='mmpretrain::resnet/resnet34_8xb32_in1k.py')
teacher_ckpt = ('https://download.openmmlab.com/mmclassification/v0/resnet/'
                'resnet34_8xb32_in1k_20210831-f257d4e6.pth')
student = dict(cfg_path='mmpretrain::resnet/resnet18_8xb32_in1k.py')
stages = [f'backbone.layer{k}' for k in (1, 2, 3, 4)]
