# Student of the Fashion-MNIST scenes detection task: the teacher's SSD
# (ResNet-18 maps at strides 4 and 8, 2 SSD extra layers, 4 levels, the
# same anchors) at a quarter of its widths: backbone 8-16-32
# (`base_channels` 8), neck levels 16, 32, 64, 64 channels. Anchors and
# strides: see fmnist_scenes_ssd_teacher.py. About a tenth of the
# teacher's multiply-adds (the head's 3x3 convolutions, a quarter of the
# teacher's, are half of them); see
# configs/fmnist_scenes/student_ssd-r18w8_fmnist-scenes.py.
student_model = dict(
    _scope_='mmdet',
    type='SingleStageDetector',
    backbone=dict(type='ResNet', depth=18, in_channels=3, stem_channels=8,
                  base_channels=8, num_stages=3, strides=(1, 1, 2),
                  dilations=(1, 1, 1), out_indices=(1, 2), frozen_stages=-1,
                  norm_cfg=dict(type='BN', requires_grad=True),
                  norm_eval=False, style='pytorch'),
    neck=dict(type='SSDNeck', in_channels=(16, 32),
              out_channels=(16, 32, 64, 64), level_strides=(2, 2),
              level_paddings=(1, 1), l2_norm_scale=None),
    bbox_head=dict(
        type='SSDHead', in_channels=(16, 32, 64, 64), num_classes=10,
        anchor_generator=dict(type='SSDAnchorGenerator', scale_major=False,
                              input_size=64, strides=[4, 8, 16,
                                                      32], ratios=[[2, 3],
                                                                   [2, 3],
                                                                   [2, 3],
                                                                   [2, 3]],
                              min_sizes=[12, 18, 26,
                                         36], max_sizes=[18, 26, 36, 48]),
        bbox_coder=dict(type='DeltaXYWHBBoxCoder',
                        target_means=[.0, .0, .0,
                                      .0], target_stds=[0.1, 0.1, 0.2, 0.2])),
    # mmdet's SSD300 settings
    train_cfg=dict(
        assigner=dict(type='MaxIoUAssigner', pos_iou_thr=0.5, neg_iou_thr=0.5,
                      min_pos_iou=0., ignore_iof_thr=-1,
                      gt_max_assign_all=False),
        sampler=dict(type='PseudoSampler'), smoothl1_beta=1.,
        allowed_border=-1, pos_weight=-1, neg_pos_ratio=3, debug=False),
    # 100 boxes an image: what COCO's mAP reads
    test_cfg=dict(nms_pre=1000, nms=dict(type='nms', iou_threshold=0.45),
                  min_bbox_size=0, score_thr=0.02, max_per_img=100))
