# OFD on ImageNet across architectures: ConvNeXt-T (model zoo, 82.14 top-1)
# -> ResNet-18 at the 4 stage ends (56, 28, 14, 7 at 224x224 on both
# sides): the student's pre-ReLU block outputs, the teacher's stage
# outputs (the residual stream the next stage reads; widths 96-768).
# ConvNeXt has no BN (LayerNorm, GELU), so the teacher's margins are
# running estimates of E[t | t < 0], as for the VGG teacher of
# ofd_ssd300_ssd300-r18_voc0712.py. alpha = 1e-4 (ImageNet); layer
# weights 1/8 .. 1.
_base_ = ['../_base_/in1k_convnext-tiny_r18_pair.py']
from mmfeatdistill.presets import ofd, position, resnet_preact_positions

model, custom_hooks = ofd(
    **_base_.pair, student_positions=resnet_preact_positions(
        ((1, 1), (2, 1), (3, 1), (4, 1))),
    teacher_positions=[position(f'backbone.stages.{i}') for i in range(4)],
    student_channels=[64, 128, 256, 512], teacher_channels=[96, 192, 384, 768],
    teacher_bns=[None] * 4, alpha=1e-4)
