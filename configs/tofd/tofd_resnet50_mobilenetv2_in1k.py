# TOFD on ImageNet: ResNet-50 -> MobileNetV2, heads on 4 stages of each
# (MobileNetV2: layers 2, 3, 5 and the final 1x1 conv), alpha 0.05, beta
# 0.03, T 1 -> 4, mmpretrain's MobileNetV2 schedule.
# Step 1 (teacher heads): tofd-teacher-heads_resnet50_in1k.py.
_base_ = ['mmpretrain::mobilenet_v2/mobilenet-v2_8xb32_in1k.py']
from mmfeatdistill.presets import tofd

default_scope = 'mmfeatdistill'
teacher_heads_config = 'tofd-teacher-heads_resnet50_in1k.py'
teacher = dict(cfg_path='mmpretrain::resnet/resnet50_8xb32_in1k.py')
teacher_ckpt = ('work_dirs/tofd-teacher-heads_resnet50_in1k/'
                'teacher_with_heads.pth')
student = dict(cfg_path='mmpretrain::mobilenet_v2/mobilenet-v2_8xb32_in1k.py')

model, custom_hooks = tofd(
    teacher=teacher, teacher_ckpt=teacher_ckpt, student=student,
    student_stages=['backbone.layer2', 'backbone.layer3', 'backbone.layer5',
                    'backbone.conv2'],
    teacher_stages=[f'backbone.layer{k}' for k in (1, 2, 3, 4)],
    num_classes=1000, replace_base=True)
optim_wrapper = dict(constructor='DistillerOptimWrapperConstructor')
