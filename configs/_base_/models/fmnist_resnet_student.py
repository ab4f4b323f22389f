# Student of the Fashion-MNIST demo: the same ResNet_CIFAR-18 layout
# with widths 8-16-32-64: about 1/16 of the teacher's multiply-adds.
student_model = dict(
    _scope_='mmpretrain',
    type='ImageClassifier',
    backbone=dict(type='ResNet_CIFAR', depth=18, in_channels=1,
                  stem_channels=8, base_channels=8, num_stages=4,
                  out_indices=(3, )),
    neck=dict(type='GlobalAveragePooling'),
    head=dict(type='LinearClsHead', num_classes=10, in_channels=64,
              loss=dict(type='CrossEntropyLoss', loss_weight=1.0)),
)
