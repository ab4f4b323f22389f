# PEFD on VOC12aug segmentation (dense variant, ours): DeepLabV3+ R101-D8
# (model zoo, 78.62 mIoU at 20k) -> DeepLabV3+ R18-D8, on the backbone's
# last stage (stride 8) and the decoder feature that enters the classifier
# (stride 4). Ensembles of 3 projectors as 1x1 convolutions; direction
# alignment per pixel (cosine over channels, mean over pixels and batch).
# alpha = 25 (PEFD) split over the 2 maps; teacher in eval mode; no KD term.
# Both maps have the same size in both models (same strides); a pair with
# different sizes adds ResizeConnector through SequentialConnector.
_base_ = [
    'mmseg::deeplabv3plus/deeplabv3plus_r101-d8_4xb4-20k_voc12aug-512x512.py',
    '../_base_/models/deeplabv3plus-r101_r18_voc12aug.py'
]
from mmfeatdistill.presets import pefd, position

default_scope = 'mmfeatdistill'
positions = [
    position('backbone.layer4'),
    position('decode_head.sep_bottleneck')
]

model, custom_hooks = pefd(teacher=_base_.teacher,
                           teacher_ckpt=_base_.teacher_ckpt,
                           student=_base_.student, positions=positions,
                           position_names=['stage4', 'decoder'
                                           ], student_channels=[512, 128],
                           teacher_channels=[2048, 512], alpha=25.0,
                           num_projectors=3, dense=True, replace_base=True)
optim_wrapper = dict(constructor='DistillerOptimWrapperConstructor')
