# Pixel-wise KD on the Fashion-MNIST scenes pair (DeepLabV3+ R18 w16 ->
# w5): the reference row of logit distillation. KL(teacher || student) at
# every position of the decoder's logits (decode_head.conv_seg, stride 4,
# classes on dim 1), mean over positions and batch, T = 1 as structured KD
# (Liu et al., 2019) and its successors use for segmentation. Weight 1
# beside the student's cross-entropy (our choice: the KD term of the ND
# (KD++) config has weight 1 and T 1 too, so that row adds ND alone to
# this one; structured KD used 10). Teacher in eval mode.
_base_ = ['../_base_/fmnist_scenes_seg_pair.py']
from mmfeatdistill.presets import kd

model, custom_hooks = kd(**_base_.pair, tau=1.0, weight=1.0,
                         logits_source='decode_head.conv_seg')
