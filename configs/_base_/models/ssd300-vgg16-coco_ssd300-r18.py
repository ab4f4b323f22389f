# OFD's SSD pair on VOC0712: SSD300 (VGG16) -> SSD300 with a ResNet-18
# backbone (the OFD paper's SSD student). Its 6 maps (38, 19, 10, 5, 3, 1)
# have widths 128, 256, 512, 256, 256, 256 (teacher: 512, 1024, 512, 256,
# 256, 256).
#
# Teacher weights: mmdet 3.x publishes no VOC0712 SSD300 checkpoint (the
# VOC one in its README is in the v1 format and does not load into mmdet 3),
# so the COCO SSD300 is the teacher: the methods distil backbone and neck
# features, which do not depend on the class set. With your own VOC-trained
# SSD300 use teacher=dict(cfg_path='mmdet::pascal_voc/ssd300_voc0712.py')
# and --cfg-options model.teacher_ckpt=/path/to/it.pth.
teacher = dict(cfg_path='mmdet::ssd/ssd300_coco.py')
teacher_ckpt = ('https://download.openmmlab.com/mmdetection/v2.0/ssd/'
                'ssd300_coco/ssd300_coco_20210803_015428-d231a06e.pth')
student = dict(
    cfg_path='mmdet::pascal_voc/ssd300_voc0712.py', backbone=dict(
        _delete_=True, type='ResNet', depth=18, num_stages=3,
        strides=(1, 2, 2), dilations=(1, 1, 1), out_indices=(1, 2),
        frozen_stages=-1, norm_cfg=dict(type='BN',
                                        requires_grad=True), norm_eval=False,
        style='pytorch', init_cfg=dict(type='Pretrained',
                                       checkpoint='torchvision://resnet18')),
    neck=dict(in_channels=(128, 256),
              out_channels=(128, 256, 512, 256, 256, 256), l2_norm_scale=None),
    bbox_head=dict(in_channels=(128, 256, 512, 256, 256, 256)))
# widths of the 6 maps the neck hands to the head
student_channels = [128, 256, 512, 256, 256, 256]
teacher_channels = [512, 1024, 512, 256, 256, 256]
# mmdet's NumClassCheckHook would compare the COCO teacher's 80 classes with
# VOC's 20; SSDPredictFixHook makes mmdet 3.3.0's SSD predict (validation)
task_hooks = [
    dict(type='SSDPredictFixHook'),
    dict(type='mmdet.CheckInvalidLossHook', interval=50, priority='VERY_LOW'),
]
