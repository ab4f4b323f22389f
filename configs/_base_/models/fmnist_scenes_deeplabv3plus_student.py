# Student of the Fashion-MNIST scenes segmentation task: the teacher's
# DeepLabV3+ layout (ResNetV1c-18, output stride 16, ASPP rates 1, 1, 2, 3,
# no auxiliary head) at 5/16 of its widths: backbone 5-10-20-40, ASPP and
# decoder 20 channels, low-level 4 channels. About 1/10 of the teacher's
# multiply-adds; see
# configs/fashion_mnist/student_deeplabv3plus-r18w5_fmnist-scenes.py.
_base_ = ['./fmnist_scenes_deeplabv3plus_teacher.py']
student_model = dict(
    _base_.teacher_model, backbone=dict(_base_.teacher_model.backbone,
                                        stem_channels=5, base_channels=5),
    decode_head=dict(_base_.teacher_model.decode_head, in_channels=40,
                     channels=20, c1_in_channels=5, c1_channels=4))
