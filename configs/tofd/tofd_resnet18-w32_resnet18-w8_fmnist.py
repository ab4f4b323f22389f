# TOFD step 2 on Fashion-MNIST (the demo's pair): alpha 0.05, beta 0.03,
# T rising 1 -> 4. The teacher checkpoint must hold the trained heads
# (step 1: tofd-teacher-heads_resnet18-w32_fmnist.py).
_base_ = ['../_base_/fmnist_distill_pair.py']
from mmfeatdistill.presets import tofd

teacher_heads_config = 'tofd-teacher-heads_resnet18-w32_fmnist.py'
teacher_ckpt = ('work_dirs/tofd-teacher-heads_resnet18-w32_fmnist/'
                'teacher_with_heads.pth')
stages = [f'backbone.layer{k}' for k in (1, 2, 3, 4)]

# T = 1 + 3 (epoch + 1) / max_epochs on every head's soft cross-entropy
model, custom_hooks = tofd(teacher=_base_.teacher, teacher_ckpt=teacher_ckpt,
                           student=_base_.student, student_stages=stages,
                           teacher_stages=stages, num_classes=10,
                           student_channels=_base_.student_channels,
                           teacher_channels=_base_.teacher_channels)
