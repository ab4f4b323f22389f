# Teacher of the Fashion-MNIST demo: mmpretrain's ResNet_CIFAR (3x3 stem,
# no max-pool), 18 layers, widths 32-64-128-256, on 1-channel 28x28 input.
teacher_model = dict(
    _scope_='mmpretrain',
    type='ImageClassifier',
    backbone=dict(type='ResNet_CIFAR', depth=18, in_channels=1,
                  stem_channels=32, base_channels=32, num_stages=4,
                  out_indices=(3, )),
    neck=dict(type='GlobalAveragePooling'),
    head=dict(type='LinearClsHead', num_classes=10, in_channels=256,
              loss=dict(type='CrossEntropyLoss', loss_weight=1.0)),
)
