# The COCO RetinaNet Swin-T -> RetinaNet ResNet-18 pair across
# architectures on mmdet's RetinaNet R18 1x config (data, schedule,
# runtime). Both FPNs hand the head 5 maps of 256 channels at strides 8 to
# 128 (P3-P7: Swin-T's stages 2-4 from start_level 0, ResNet-18's C3-C5
# from start_level 1, P6 and P7 from extra convs on the input), so the
# levels pair up one to one at the same size.
#
# Teacher weights: mmdet 3.3.0 ships the RetinaNet Swin-T config but no
# checkpoint of it (its Swin metafile lists Mask R-CNN models only), so
# there is no model-zoo URL: `teacher_ckpt` is None and building the
# distiller stops, asking for one. Train the teacher with mmdet's config
# (mmdet::swin/retinanet_swin-t-p4-w7_fpn_1x_coco.py) and pass it with
# --cfg-options model.teacher_ckpt=/path/to/it.pth.
_base_ = ['mmdet::retinanet/retinanet_r18_fpn_1x_coco.py']
from mmfeatdistill.presets import distill_runtime

default_scope = 'mmfeatdistill'
teacher = dict(cfg_path='mmdet::swin/retinanet_swin-t-p4-w7_fpn_1x_coco.py')
teacher_ckpt = None
student = dict(cfg_path='mmdet::retinanet/retinanet_r18_fpn_1x_coco.py')
# the width of each of the 5 FPN levels (P3-P7), on both sides
fpn_channels = 256
# The method's distiller (a preset's `model`) replaces the package's model.
model = dict(_delete_=True)
# The frozen teacher stays out of the optimizer (merges into the schedule's
# optim_wrapper).
optim_wrapper = dict(constructor='DistillerOptimWrapperConstructor')
# What every preset call takes first: `preset(**_base_.pair, ...)`.
pair = dict(teacher=teacher, teacher_ckpt=teacher_ckpt, student=student)
# Weights-only loading, atomic checkpoints with the RNG states, exact
# resume and the loss-balance check, as configs/_base_/distill_runtime.py
# gives our own configs.
default_hooks, train_cfg = distill_runtime()
