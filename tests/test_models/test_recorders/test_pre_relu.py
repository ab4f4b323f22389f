"""Pre-ReLU features recorded on real mmpretrain blocks equal the values
computed by hand from the block's layers: the blocks' shared in-place ReLU
does not leak into what was recorded."""
import pytest
import torch
from mmpretrain.registry import MODELS as PRETRAIN_MODELS

from mmfeatdistill.models.recorders import RecorderManager


@pytest.mark.parametrize('depth,call_index', [(18, 1), (50, 2)])
def test_pre_relu_of_resnet_block_equals_hand_computation(depth, call_index):
    torch.manual_seed(0)
    backbone = PRETRAIN_MODELS.build(
        dict(_scope_='mmpretrain', type='ResNet_CIFAR', depth=depth,
             base_channels=8))
    backbone.init_weights()
    backbone.eval()
    block = backbone.layer2[0]  # has a downsample branch
    recorders = RecorderManager(
        dict(
            block_in=dict(type='ModuleInputRecorder', source='layer2.0'),
            pre_relu=dict(type='ModuleInputRecorder', source='layer2.0.relu',
                          call_index=call_index),
            post_relu=dict(type='ModuleOutputRecorder', source='layer2.0')))
    recorders.prepare(backbone)
    x = torch.randn(2, 3, 16, 16)
    with torch.no_grad(), recorders:
        backbone(x)
    inp = recorders.get('block_in')
    with torch.no_grad():
        out = torch.relu(block.bn1(block.conv1(inp)))
        if depth == 18:
            out = block.bn2(block.conv2(out))
        else:
            out = torch.relu(block.bn2(block.conv2(out)))
            out = block.bn3(block.conv3(out))
        expected = out + block.downsample(inp)
    pre = recorders.get('pre_relu')
    assert (pre < 0).any(), 'a pre-ReLU feature has negative values'
    assert torch.allclose(pre, expected, atol=1e-5)
    assert torch.allclose(recorders.get('post_relu'), expected.clamp(min=0),
                          atol=1e-5)


def test_pre_relu_of_mobilenetv2_conv_module_bn():
    """mmpretrain MobileNetV2: the BN output inside a ConvModule, recorded
    before the module's in-place ReLU6 runs."""
    torch.manual_seed(0)
    backbone = PRETRAIN_MODELS.build(
        dict(_scope_='mmpretrain', type='MobileNetV2', widen_factor=0.25))
    backbone.eval()
    recorders = RecorderManager(
        dict(bn=dict(type='ModuleOutputRecorder', source='conv2.bn'),
             conv_in=dict(type='ModuleInputRecorder', source='conv2')))
    recorders.prepare(backbone)
    with torch.no_grad(), recorders:
        backbone(torch.randn(2, 3, 32, 32))
    conv2 = backbone.conv2
    with torch.no_grad():
        expected = conv2.bn(conv2.conv(recorders.get('conv_in')))
    assert (recorders.get('bn') < 0).any()
    assert torch.allclose(recorders.get('bn'), expected, atol=1e-5)
