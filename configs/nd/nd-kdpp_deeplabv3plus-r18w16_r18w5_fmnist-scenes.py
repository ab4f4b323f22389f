# ND with KD (KD++) on the Fashion-MNIST scenes pair (DeepLabV3+ R18 w16 ->
# w5), the VOC12aug design (configs/nd/nd-kdpp_deeplabv3plus-r101_r18_
# voc12aug.py): ND per labelled pixel on the decoder feature that enters
# the classifier (decode_head.sep_bottleneck, stride 4), the student's 20
# channels mapped to the teacher's 64 by ND's transform at every pixel;
# class means of the teacher's map at label resolution, computed before
# training (into the run's work_dir/class_means: each demo run has its own
# teacher); KD on the per-pixel logits (decode_head.conv_seg); weights
# cls/kd/nd 1/1/1, T = 1, as VOC.
# Scaled from VOC, with the reason: the KD warm-up is 5% of the run as on
# VOC (1000 of 20k iterations), as a fraction (50 of the demo's default
# 1000 iterations, and the same share on any schedule).
_base_ = ['../_base_/fmnist_scenes_seg_pair.py']
from mmfeatdistill.presets import nd

model, custom_hooks = nd(
    **_base_.pair,
    student_channels=_base_.student_head_channels,
    teacher_channels=_base_.teacher_head_channels,
    nd_weight=1.0,
    rows='pixel',
    kd=dict(tau=1.0, weight=1.0, warmup=0.05, by_epoch=False),
    logits_source='decode_head.conv_seg',
    # the data samples the decode head's loss gets: the label maps
    samples_source='decode_head.loss',
    ignore_index=255)
