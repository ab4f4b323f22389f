# DeepLabV3+ R101-D8 teacher on VOC12aug (model zoo, 78.62 mIoU at 20k):
# shared by the distillation pairs and TOFD's teacher-heads step.
teacher = dict(cfg_path='mmseg::deeplabv3plus/'
               'deeplabv3plus_r101-d8_4xb4-20k_voc12aug-512x512.py')
teacher_ckpt = (
    'https://download.openmmlab.com/mmsegmentation/v0.5/deeplabv3plus/'
    'deeplabv3plus_r101-d8_512x512_20k_voc12aug/deeplabv3plus_r101-d8_'
    '512x512_20k_voc12aug_20200617_102345-c7ff3d56.pth')
