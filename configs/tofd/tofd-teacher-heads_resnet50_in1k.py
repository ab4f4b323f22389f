# TOFD step 1 on ImageNet: train the auxiliary heads of the model-zoo
# resnet50 (frozen) with the labels: 10 epochs, SGD lr 0.1, cosine (the
# ResNet-34 step with another teacher).
#   python tools/train_tofd_teacher_heads.py THIS_CONFIG
_base_ = ['./tofd-teacher-heads_resnet34_in1k.py']
from mmfeatdistill.presets import tofd_teacher_heads

teacher = dict(cfg_path='mmpretrain::resnet/resnet50_8xb32_in1k.py')
teacher_ckpt = ('https://download.openmmlab.com/mmclassification/v0/resnet/'
                'resnet50_8xb32_in1k_20210831-ea4938fc.pth')

model, custom_hooks = tofd_teacher_heads(teacher=teacher,
                                         teacher_ckpt=teacher_ckpt,
                                         stages=_base_.stages,
                                         num_classes=1000, replace_base=True)
