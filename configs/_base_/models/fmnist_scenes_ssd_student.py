# Student of the Fashion-MNIST scenes detection task: the teacher's SSD
# (ResNet-18 maps at strides 4 and 8, 2 SSD extra layers, 4 levels, the
# same anchors, training and test settings) at a quarter of its widths:
# backbone 8-16-32 (`base_channels` 8), neck levels 16, 32, 64, 64
# channels. Anchors and strides: see fmnist_scenes_ssd_teacher.py. About a
# tenth of the teacher's multiply-adds (the head's 3x3 convolutions, a
# quarter of the teacher's, are half of them); see
# configs/fashion_mnist/student_ssd-r18w8_fmnist-scenes.py.
_base_ = ['./fmnist_scenes_ssd_teacher.py']
student_model = dict(
    _base_.teacher_model, backbone=dict(_base_.teacher_model.backbone,
                                        stem_channels=8, base_channels=8),
    neck=dict(_base_.teacher_model.neck, in_channels=(16, 32),
              out_channels=(16, 32, 64, 64)),
    bbox_head=dict(_base_.teacher_model.bbox_head,
                   in_channels=(16, 32, 64, 64)))
