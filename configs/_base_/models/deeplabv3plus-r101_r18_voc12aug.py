# DeepLabV3+ pair on VOC12aug: R101-D8 (model zoo, 78.62 mIoU at 20k) ->
# R18-D8 (mmseg's Cityscapes R18 config with VOC's 21 classes and 512x512
# crops).
_base_ = ['./deeplabv3plus-r101_voc12aug_teacher.py']
student = dict(
    cfg_path='mmseg::deeplabv3plus/'
    'deeplabv3plus_r18-d8_4xb2-80k_cityscapes-512x1024.py',
    data_preprocessor=dict(size=(512, 512)), decode_head=dict(num_classes=21),
    auxiliary_head=dict(num_classes=21))
