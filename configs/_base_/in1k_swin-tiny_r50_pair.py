# The ImageNet Swin-T -> ResNet-50 pair (model-zoo teacher, 81.18 top-1)
# on mmpretrain's ResNet-50 ImageNet config (data, schedule, runtime); its
# `model` is replaced by the method's (`replace_base=True`). Both models
# end in a GlobalAveragePooling neck (Swin-T 768-d, ResNet-50 2048-d) and
# a LinearClsHead (`head.fc`), so the default positions fit both sides.
_base_ = ['mmpretrain::resnet/resnet50_8xb32_in1k.py']
default_scope = 'mmfeatdistill'
teacher = dict(
    cfg_path='mmpretrain::swin_transformer/swin-tiny_16xb64_in1k.py')
teacher_ckpt = (
    'https://download.openmmlab.com/mmclassification/v0/swin-transformer/'
    'swin_tiny_224_b16x64_300e_imagenet_20210616_090925-66df6be6.pth')
student = dict(cfg_path='mmpretrain::resnet/resnet50_8xb32_in1k.py')
