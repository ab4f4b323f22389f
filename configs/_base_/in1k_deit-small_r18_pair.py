# The ImageNet DeiT-S -> ResNet-18 pair across architectures (model-zoo
# teacher, 80.69 top-1; VisionTransformer, no neck: its embedding is the
# class token, the backbone's 384-d output) on mmpretrain's ResNet-18
# ImageNet config (data, schedule, runtime); its `model` is replaced by the
# method's (`replace_base=True`).
_base_ = ['mmpretrain::resnet/resnet18_8xb32_in1k.py']
default_scope = 'mmfeatdistill'
teacher = dict(cfg_path='mmpretrain::deit/deit-small_4xb256_in1k.py')
teacher_ckpt = ('https://download.openmmlab.com/mmclassification/v0/deit/'
                'deit-small_pt-4xb256_in1k_20220218-9425b9bb.pth')
student = dict(cfg_path='mmpretrain::resnet/resnet18_8xb32_in1k.py')
