# TOFD step 1 on Fashion-MNIST: train the teacher's auxiliary heads (teacher
# frozen) with the labels, then write the teacher checkpoint with the heads:
#   python tools/train_tofd_teacher_heads.py THIS_CONFIG
# -> work_dirs/tofd-teacher-heads_resnet18-w32_fmnist/teacher_with_heads.pth
_base_ = ['../_base_/fmnist_distill_pair.py']
from mmfeatdistill.presets import tofd_teacher_heads

model, custom_hooks = tofd_teacher_heads(
    teacher=_base_.teacher, teacher_ckpt=_base_.teacher_ckpt,
    stages=[f'backbone.layer{k}' for k in (1, 2, 3, 4)], num_classes=10)
