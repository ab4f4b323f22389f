# ND with KD ("KD++") on VOC12aug segmentation (dense variant, ours):
# DeepLabV3+ R101-D8 (model zoo) -> DeepLabV3+ R18-D8. The per-pixel
# embedding is the decoder feature that enters the classifier
# (decode_head.sep_bottleneck, stride 4); the student's 128 channels are
# mapped to the teacher's 512 by ND's transform at every pixel. Class means:
# the teacher's map upsampled to label resolution, averaged per class over
# the labelled pixels of the training set (255 skipped), computed before
# training. The loss: ND's term per labelled pixel at feature resolution
# (labels resized by nearest neighbour), mean over pixels. KD on the
# per-pixel logits (classes on dim 1). Weights cls/kd/nd 1/1/1, T = 1 and a
# KD warm-up of 1000 iterations (5% of the 20k schedule, as ImageNet's 5 of
# 100 epochs) are our choice: the ND authors did not run segmentation.
_base_ = ['../_base_/voc12aug_deeplabv3plus-r101_r18_pair.py']
from mmfeatdistill.presets import nd

# one file for every student of this teacher (same embedding and labels)
class_means_dir = 'work_dirs/class_means/nd_deeplabv3plus-r101_voc12aug'
nd_args = dict(
    nd_weight=1.0,
    rows='pixel',
    kd=dict(tau=1.0, weight=1.0, warmup=1000, by_epoch=False),
    class_means_dir=class_means_dir,
    logits_source='decode_head.conv_seg',
    # the data samples the decode head's loss gets: the label maps
    samples_source='decode_head.loss',
    ignore_index=255)

model, custom_hooks = nd(**_base_.pair, student_channels=128,
                         teacher_channels=512, **nd_args)
