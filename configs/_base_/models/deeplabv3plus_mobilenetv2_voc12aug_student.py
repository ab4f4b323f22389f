# MobileNetV2-D8 DeepLabV3+ student on VOC12aug (mmseg's Cityscapes
# MobileNetV2 config with VOC's 21 classes and 512x512 crops), for the
# R101-D8 teacher's MobileNetV2 configs: they inherit the R18 config of
# their method and this file. Its stage ends (strides 4, 8, 8, 8 with
# dilations) are layers 2, 3, 5 and 7, of widths 24, 32, 96 and 320; its
# decoder has the teacher's widths (512).
student_mobilenetv2 = dict(
    cfg_path='mmseg::mobilenet_v2/'
    'mobilenet-v2-d8_deeplabv3plus_4xb2-80k_cityscapes-512x1024.py',
    data_preprocessor=dict(size=(512, 512)), decode_head=dict(num_classes=21),
    auxiliary_head=dict(num_classes=21))
student_mobilenetv2_stages = [f'backbone.layer{k}' for k in (2, 3, 5, 7)]
