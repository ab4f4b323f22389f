# ND with KD ("KD++") on VOC12aug segmentation: DeepLabV3+ R101-D8 ->
# DeepLabV3+ MobileNetV2-D8; everything as the R18 config but the student,
# whose decoder feature already has the teacher's 512 channels: no transform.
_base_ = ['./nd-kdpp_deeplabv3plus-r101_r18_voc12aug.py']
# merged into the R18 config's student (VOC's classes and crop size kept)
student = dict(cfg_path='mmseg::mobilenet_v2/'
               'mobilenet-v2-d8_deeplabv3plus_4xb2-80k_cityscapes-512x1024.py')
model = dict(
    student=student,
    connectors=dict(_delete_=True, labels=dict(type='GTSegMapConnector')),
    loss_forward_mappings=dict(loss_nd=dict(s_feature=dict(
        _delete_=True, from_student=True, recorder='feat'))))
