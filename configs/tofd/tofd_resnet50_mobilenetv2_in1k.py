# TOFD on ImageNet: ResNet-50 -> MobileNetV2, heads on 4 stages of each
# (MobileNetV2: layers 2, 3, 5 and the final 1x1 conv), alpha 0.05, beta
# 0.03, T 1 -> 4, mmpretrain's MobileNetV2 schedule.
# Step 1 (teacher heads): tofd-teacher-heads_resnet50_in1k.py.
_base_ = ['../_base_/in1k_r50_mobilenetv2_pair.py']
from mmfeatdistill.presets import tofd

teacher_heads_config = 'tofd-teacher-heads_resnet50_in1k.py'
teacher_ckpt = ('work_dirs/tofd-teacher-heads_resnet50_in1k/'
                'teacher_with_heads.pth')

model, custom_hooks = tofd(teacher=_base_.teacher, teacher_ckpt=teacher_ckpt,
                           student=_base_.student,
                           student_stages=_base_.student_stages,
                           teacher_stages=_base_.teacher_stages,
                           num_classes=1000)
