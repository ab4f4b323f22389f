# Teacher of the Fashion-MNIST scenes segmentation task: mmseg DeepLabV3+
# (EncoderDecoder, ResNetV1c-18 with widths 16-32-64-128 from
# `base_channels`, DepthwiseSeparableASPPHead with 64 channels) on 64x64
# scenes, 11 classes (background + 10 garments), no auxiliary head.
# Output stride 16 (strides 1,2,2,1, dilations 1,1,1,2: stage 4 is a 4x4
# map); the ASPP rates (1, 1, 2, 3) are VOC's (12, 24, 36 on a 64x64 map at
# 512 px input) scaled to that 4x4 map, so the 3x3 branches do not read
# only padding (rates >= 4 would reduce them to 1x1 convolutions).
# Low-level features from stage 1 (16x16, stride 4) reduced to 8
# channels (VOC: 48 of 256).
# Size (mmengine get_model_complexity_info, 1x3x64x64): see
# configs/fashion_mnist/teacher_deeplabv3plus-r18w16_fmnist-scenes.py.
teacher_model = dict(
    _scope_='mmseg', type='EncoderDecoder',
    backbone=dict(type='ResNetV1c', depth=18, in_channels=3, stem_channels=16,
                  base_channels=16, num_stages=4, out_indices=(0, 1, 2, 3),
                  strides=(1, 2, 2, 1), dilations=(1, 1, 1, 2),
                  norm_cfg=dict(type='BN', requires_grad=True),
                  norm_eval=False, style='pytorch', contract_dilation=True),
    decode_head=dict(
        type='DepthwiseSeparableASPPHead', in_channels=128, in_index=3,
        channels=64, dilations=(1, 1, 2, 3), c1_in_channels=16, c1_channels=8,
        dropout_ratio=0.1, num_classes=11,
        norm_cfg=dict(type='BN', requires_grad=True), align_corners=False,
        loss_decode=dict(type='CrossEntropyLoss', use_sigmoid=False,
                         loss_weight=1.0)), train_cfg=dict(),
    test_cfg=dict(mode='whole'))
