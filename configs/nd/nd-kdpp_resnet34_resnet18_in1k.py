# ND with KD (KD++) on ImageNet: ResNet-34 (model zoo) -> ResNet-18.
# ImageNet settings: T 1, KD warm-up 5 epochs, weights cls/kd/nd 1/2.5/1.
_base_ = ['mmpretrain::resnet/resnet18_8xb32_in1k.py']
from mmfeatdistill.presets import nd_kdpp_distiller, nd_kdpp_hooks

default_scope = 'mmfeatdistill'
teacher = dict(cfg_path='mmpretrain::resnet/resnet34_8xb32_in1k.py')
teacher_ckpt = ('https://download.openmmlab.com/mmclassification/v0/resnet/'
                'resnet34_8xb32_in1k_20210831-f257d4e6.pth')
student = dict(cfg_path='mmpretrain::resnet/resnet18_8xb32_in1k.py')
class_means = 'work_dirs/class_means/{{fileBasenameNoExtension}}.pth'

model = dict(_delete_=True, **nd_kdpp_distiller(
    teacher=teacher, teacher_ckpt=teacher_ckpt, student=student,
    student_dim=512, teacher_dim=512, class_means=class_means,
    kd_tau=1.0, kd_weight=2.5, nd_weight=1.0))
optim_wrapper = dict(constructor='DistillerOptimWrapperConstructor')
# class means before training (skipped when the file exists and fits), and
# KD++'s linear warm-up of the KD weight
custom_hooks = nd_kdpp_hooks(kd_warmup_epochs=5)
