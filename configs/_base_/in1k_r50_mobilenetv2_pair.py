# The ImageNet ResNet-50 -> MobileNetV2 pair (model-zoo teacher, 76.55
# top-1) on mmpretrain's MobileNetV2 ImageNet config (data, schedule,
# runtime); its `model` is replaced by the method's (`replace_base=True`).
_base_ = ['mmpretrain::mobilenet_v2/mobilenet-v2_8xb32_in1k.py']
default_scope = 'mmfeatdistill'
teacher = dict(cfg_path='mmpretrain::resnet/resnet50_8xb32_in1k.py')
teacher_ckpt = ('https://download.openmmlab.com/mmclassification/v0/resnet/'
                'resnet50_8xb32_in1k_20210831-ea4938fc.pth')
student = dict(cfg_path='mmpretrain::mobilenet_v2/mobilenet-v2_8xb32_in1k.py')
# the student's stage ends (widths 24, 32, 96, 1280) and the teacher's
student_stages = [
    'backbone.layer2', 'backbone.layer3', 'backbone.layer5', 'backbone.conv2'
]
teacher_stages = [f'backbone.layer{k}' for k in (1, 2, 3, 4)]
