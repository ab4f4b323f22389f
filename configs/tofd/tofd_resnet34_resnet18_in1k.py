# TOFD on ImageNet: ResNet-34 -> ResNet-18, heads on the 4 stages, alpha
# 0.05, beta 0.03, T 1 -> 4, mmpretrain's ResNet-18 schedule.
# Step 1 (teacher heads): tofd-teacher-heads_resnet34_in1k.py.
_base_ = ['mmpretrain::resnet/resnet18_8xb32_in1k.py']
from mmfeatdistill.presets import tofd

default_scope = 'mmfeatdistill'
teacher_heads_config = 'tofd-teacher-heads_resnet34_in1k.py'
teacher = dict(cfg_path='mmpretrain::resnet/resnet34_8xb32_in1k.py')
teacher_ckpt = ('work_dirs/tofd-teacher-heads_resnet34_in1k/'
                'teacher_with_heads.pth')
student = dict(cfg_path='mmpretrain::resnet/resnet18_8xb32_in1k.py')
stages = [f'backbone.layer{k}' for k in (1, 2, 3, 4)]

model, custom_hooks = tofd(
    teacher=teacher, teacher_ckpt=teacher_ckpt, student=student,
    student_stages=stages, teacher_stages=stages, num_classes=1000,
    replace_base=True)
optim_wrapper = dict(constructor='DistillerOptimWrapperConstructor')
