# Student of the Fashion-MNIST scenes segmentation task: the teacher's
# DeepLabV3+ layout (ResNetV1c-18, output stride 16, ASPP rates 1, 1, 2, 3,
# no auxiliary head) at 5/16 of its widths: backbone 5-10-20-40, ASPP and
# decoder 20 channels, low-level 4 channels. About 1/10 of the teacher's
# multiply-adds; see
# configs/fmnist_scenes/student_deeplabv3plus-r18w5_fmnist-scenes.py.
student_model = dict(
    _scope_='mmseg', type='EncoderDecoder',
    backbone=dict(type='ResNetV1c', depth=18, in_channels=3, stem_channels=5,
                  base_channels=5, num_stages=4, out_indices=(0, 1, 2, 3),
                  strides=(1, 2, 2, 1), dilations=(1, 1, 1, 2),
                  norm_cfg=dict(type='BN', requires_grad=True),
                  norm_eval=False, style='pytorch', contract_dilation=True),
    decode_head=dict(
        type='DepthwiseSeparableASPPHead', in_channels=40, in_index=3,
        channels=20, dilations=(1, 1, 2, 3), c1_in_channels=5, c1_channels=4,
        dropout_ratio=0.1, num_classes=11,
        norm_cfg=dict(type='BN', requires_grad=True), align_corners=False,
        loss_decode=dict(type='CrossEntropyLoss', use_sigmoid=False,
                         loss_weight=1.0)), train_cfg=dict(),
    test_cfg=dict(mode='whole'))
