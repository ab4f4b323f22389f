# PEFD on VOC12aug segmentation: DeepLabV3+ R101-D8 -> DeepLabV3+
# MobileNetV2-D8; everything as the R18 config but the student, its last
# stage (layer7, 320 channels, stride 8) and its 512-channel decoder.
_base_ = ['./pefd_deeplabv3plus-r101_r18_voc12aug.py']
# merged into the R18 config's student (VOC's classes and crop size kept)
student = dict(cfg_path='mmseg::mobilenet_v2/'
               'mobilenet-v2-d8_deeplabv3plus_4xb2-80k_cityscapes-512x1024.py')
model = dict(
    student=student,
    student_recorders=dict(stage4=dict(source='backbone.layer7')),
    connectors=dict(proj_stage4=dict(in_channels=320),
                    proj_decoder=dict(in_channels=512)))
