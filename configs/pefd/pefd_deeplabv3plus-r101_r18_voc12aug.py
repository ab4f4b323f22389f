# PEFD on VOC12aug segmentation (dense variant, ours): DeepLabV3+ R101-D8
# (model zoo, 78.62 mIoU at 20k) -> DeepLabV3+ R18-D8, on the backbone's
# last stage (stride 8) and the decoder feature that enters the classifier
# (stride 4). Ensembles of 3 projectors as 1x1 convolutions; direction
# alignment per pixel (cosine over channels, mean over pixels and batch).
# alpha = 25 (PEFD) split over the 2 maps; teacher in eval mode; no KD term.
# Both maps have the same size in both models (same strides); a pair with
# different sizes adds ResizeConnector through SequentialConnector.
_base_ = ['../_base_/voc12aug_deeplabv3plus-r101_r18_pair.py']
from mmfeatdistill.presets import pefd, position

positions = [
    position('backbone.layer4'),
    position('decode_head.sep_bottleneck')
]

model, custom_hooks = pefd(**_base_.pair, positions=positions,
                           position_names=['stage4', 'decoder'],
                           student_channels=[512, 128],
                           teacher_channels=[2048, 512], alpha=25.0,
                           num_projectors=3, dense=True)
