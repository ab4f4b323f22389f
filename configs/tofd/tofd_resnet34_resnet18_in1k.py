# TOFD on ImageNet: ResNet-34 -> ResNet-18, heads on the 4 stages, alpha
# 0.05, beta 0.03, T 1 -> 4, mmpretrain's ResNet-18 schedule.
# Step 1 (teacher heads): tofd-teacher-heads_resnet34_in1k.py.
_base_ = ['../_base_/in1k_r34_r18_pair.py']
from mmfeatdistill.presets import tofd

teacher_heads_config = 'tofd-teacher-heads_resnet34_in1k.py'
teacher_ckpt = ('work_dirs/tofd-teacher-heads_resnet34_in1k/'
                'teacher_with_heads.pth')

model, custom_hooks = tofd(teacher=_base_.teacher, teacher_ckpt=teacher_ckpt,
                           student=_base_.student,
                           student_stages=_base_.stages,
                           teacher_stages=_base_.stages, num_classes=1000)
