# OFD on VOC12aug segmentation: DeepLabV3+ R101-D8 -> DeepLabV3+
# MobileNetV2-D8; everything as the R18 config but the student and its
# positions. MobileNetV2's inverted residuals end linearly: the outputs of
# layers 2, 3, 5, 7 are used (strides 4, 8, 8, 8 like the teacher's
# stages); its ASPP and decoder have the teacher's 512 channels.
_base_ = ['./ofd_deeplabv3plus-r101_r18_voc12aug.py']
# merged into the R18 config's student (VOC's classes and crop size kept)
student = dict(cfg_path='mmseg::mobilenet_v2/'
               'mobilenet-v2-d8_deeplabv3plus_4xb2-80k_cityscapes-512x1024.py')
student_stages = [f'backbone.layer{k}' for k in (2, 3, 5, 7)]
model = dict(
    student=student,
    student_recorders={
        f'stage{k}': dict(_delete_=True, type='ModuleOutputRecorder',
                          source=p)
        for k, p in enumerate(student_stages, 1)},
    connectors={f's_{n}': dict(in_channels=c) for n, c in zip(
        ('stage1', 'stage2', 'stage3', 'stage4', 'aspp', 'decoder'),
        (24, 32, 96, 320, 512, 512))})
