# TOFD on VOC12aug segmentation: DeepLabV3+ R101-D8 -> DeepLabV3+
# MobileNetV2-D8; everything as the R18 config but the student and its 4
# stages (layers 2, 3, 5, 7: strides 4, 8, 8, 8 like the teacher's).
_base_ = ['./tofd_deeplabv3plus-r101_r18_voc12aug.py']
# merged into the R18 config's student (VOC's classes and crop size kept)
student = dict(cfg_path='mmseg::mobilenet_v2/'
               'mobilenet-v2-d8_deeplabv3plus_4xb2-80k_cityscapes-512x1024.py')
student_stages = [f'backbone.layer{k}' for k in (2, 3, 5, 7)]
model = dict(
    student=student,
    student_recorders={f'stage{k}': dict(source=p)
                       for k, p in enumerate(student_stages, 1)},
    connectors={f's_head{k}': dict(stages=student_stages)
                for k in range(1, len(student_stages) + 1)})
