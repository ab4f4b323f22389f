# Student of the Fashion-MNIST demo: the teacher's ResNet_CIFAR-18 layout
# with widths 8-16-32-64: about 1/16 of the teacher's multiply-adds.
_base_ = ['./fmnist_resnet_teacher.py']
student_model = dict(
    _base_.teacher_model, backbone=dict(_base_.teacher_model.backbone,
                                        stem_channels=8, base_channels=8),
    head=dict(_base_.teacher_model.head, in_channels=64))
