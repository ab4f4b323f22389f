# What the four backbone-pretraining configs of the Fashion-MNIST scenes
# share (configs/fashion_mnist/pretrain_*-backbone_fmnist.py): the scenes'
# analogue of ImageNet pretraining. Classification of the garments on the
# Fashion-MNIST base's splits (train: training images 0-54999; val: the
# held-out 55000-59999 in `data_root/heldout`, the images the scenes' val
# split draws from; the test images are never read), each 28x28 grey image
# made 3-channel and 32x32 (the garments are 16-36 px in the scenes), with
# the scenes' normalisation, so that a pixel value reaches the first
# convolution as the same number in pretraining and in the dense task.
# Short schedule of its own: SGD + cosine (fmnist_short.py's), 5 epochs;
# the demo's --pretrain-epochs overrides.
_base_ = [
    './datasets/fashion_mnist.py',
    './schedules/fmnist_short.py',
    './distill_runtime.py',
]
# == the scenes' data preprocessors (datasets/fmnist_scenes_{det,seg}.py:
# pixel mean/std of the generated training split, 0-255 scale); grey
# images, so no channel swap
data_preprocessor = dict(num_classes=10, mean=[81.14, 81.14, 81.14],
                         std=[42.90, 42.90, 42.90], to_rgb=False)
garment_size = 32
# mmpretrain 1.2.0 wraps torchvision's transforms as `torchvision/<name>`
# (PIL images in, PIL images out): grey -> 3 equal channels, then 28 -> 32
# px (bilinear), back to a uint8 HxWx3 array
to_scene_pixels = [
    dict(type='ToPIL'),
    dict(type='torchvision/Grayscale', num_output_channels=3),
    dict(type='torchvision/Resize', size=garment_size,
         interpolation='bilinear'),
    dict(type='ToNumpy'),
]
train_pipeline = to_scene_pixels + [
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='PackInputs'),
]
test_pipeline = to_scene_pixels + [dict(type='PackInputs')]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = dict(dataset=dict(pipeline=test_pipeline))
# every pretraining model: the backbone's last stage, pooled, 10 classes
pretrain_neck = dict(type='GlobalAveragePooling')
pretrain_head = dict(type='LinearClsHead', num_classes=10,
                     loss=dict(type='CrossEntropyLoss', loss_weight=1.0))
param_scheduler = [
    dict(type='CosineAnnealingLR', T_max=5, by_epoch=True, eta_min=1e-3,
         convert_to_iter_based=True)
]
# epoch-based; a mid-epoch resume continues exactly (per-sample seeds)
train_cfg = dict(type='mmfeatdistill.ExactResumeEpochBasedTrainLoop',
                 max_epochs=5, val_interval=5)
