import gc
import weakref

import pytest
import torch
from mmpretrain.models.backbones.resnet import BasicBlock, Bottleneck
from torch import nn

from mmfeatdistill.models.recorders import (ModuleInputRecorder,
                                            ModuleOutputRecorder,
                                            RecorderManager)


class Wrapper(nn.Module):
    """Recorder sources are module paths relative to a model."""

    def __init__(self, block):
        super().__init__()
        self.block = block

    def forward(self, x):
        return self.block(x)


def _randomise_bn(module):
    g = torch.Generator().manual_seed(1)
    for m in module.modules():
        if isinstance(m, nn.BatchNorm2d):
            m.weight.data = torch.randn(m.num_features, generator=g)
            m.bias.data = torch.randn(m.num_features, generator=g)


def _eval_model(block_type, channels):
    """``block_type(channels, channels)`` built after ``manual_seed(0)``,
    with random BN affine parameters, wrapped in eval mode."""
    torch.manual_seed(0)
    block = block_type(channels, channels)
    _randomise_bn(block)
    return block, Wrapper(block).eval()


def _record(rec, model, x, role='model'):
    """Prepare ``rec`` on ``model`` and record one forward of ``x``."""
    rec.prepare(model, role)
    rec.start()
    model(x)
    rec.stop()


def test_basic_block_pre_relu_equals_hand_computation():
    block, model = _eval_model(BasicBlock, 8)
    manager = RecorderManager(
        dict(pre=dict(type='ModuleInputRecorder', source='block.relu',
                      call_index=1)))
    manager.prepare(model, 'student')
    x = torch.randn(2, 8, 6, 6)
    with manager:
        out = model(x)
    with torch.no_grad():
        h = torch.relu(block.norm1(block.conv1(x)))
        expected = block.norm2(block.conv2(h)) + x
    recorded = manager.get('pre')
    torch.testing.assert_close(recorded, expected)
    assert (recorded < 0).any(), 'pre-ReLU feature must keep negatives'
    torch.testing.assert_close(out, expected.clamp(min=0))


def test_bottleneck_pre_relu_equals_hand_computation():
    block, model = _eval_model(Bottleneck, 16)
    # Bottleneck's relu runs 3 times: after norm1, after norm2, after the sum
    rec = ModuleInputRecorder('block.relu', call_index=2)
    x = torch.randn(2, 16, 5, 5)
    _record(rec, model, x)
    with torch.no_grad():
        h = torch.relu(block.norm1(block.conv1(x)))
        h = torch.relu(block.norm2(block.conv2(h)))
        expected = block.norm3(block.conv3(h)) + x
    torch.testing.assert_close(rec.data, expected)
    assert (rec.data < 0).any()


def test_output_record_is_safe_from_later_inplace_ops():
    """BasicBlock adds the identity in place to norm2's output (through
    drop_path, an Identity); the record must keep the value at that moment."""
    block, model = _eval_model(BasicBlock, 4)
    rec = ModuleOutputRecorder('block.bn2')
    x = torch.randn(1, 4, 5, 5)
    _record(rec, model, x)
    with torch.no_grad():
        expected = block.norm2(
            block.conv2(torch.relu(block.norm1(block.conv1(x)))))
    torch.testing.assert_close(rec.data, expected)


def test_gradient_flows_through_record():
    block = BasicBlock(4, 4)
    model = Wrapper(block).train()
    rec = ModuleInputRecorder('block.relu', call_index=1)
    _record(rec, model, torch.randn(2, 4, 5, 5))
    rec.data.pow(2).sum().backward()
    assert block.conv2.weight.grad is not None
    assert block.conv2.weight.grad.abs().sum() > 0


def test_call_index_out_of_range_is_explained():
    model = Wrapper(BasicBlock(4, 4))
    rec = ModuleInputRecorder('block.relu', call_index=5)
    _record(rec, model, torch.randn(1, 4, 5, 5), 'teacher')
    with pytest.raises(RuntimeError, match=r'ran 2 time\(s\).*call index 5'):
        rec.data


def test_unknown_module_path_lists_close_matches():
    model = Wrapper(BasicBlock(4, 4))
    manager = RecorderManager(
        dict(feat=dict(type='ModuleOutputRecorder', source='block.bn3')))
    with pytest.raises(KeyError) as info:
        manager.prepare(model, 'student')
    msg = str(info.value)
    assert "student recorder 'feat'" in msg
    assert "no module 'block.bn3'" in msg
    assert "'block.bn1'" in msg and "'block.bn2'" in msg
    assert 'inspect_pair.py' in msg


def test_hooks_are_removed_outside_the_context():
    model = Wrapper(BasicBlock(4, 4))
    manager = RecorderManager(
        dict(a=dict(type='ModuleOutputRecorder', source='block.conv1'),
             b=dict(type='ModuleInputRecorder', source='block.relu')))
    manager.prepare(model)
    with manager:
        model(torch.randn(1, 4, 5, 5))
    assert not model.block.conv1._forward_hooks
    assert not model.block.relu._forward_pre_hooks
    # a new forward inside the context forgets the previous record
    with manager:
        model(torch.randn(3, 4, 5, 5))
    assert manager.get('a').shape[0] == 3


def test_recorder_follows_a_module_replaced_after_prepare():
    """MMEngine's Runner swaps SyncBN for BN (``revert_sync_batchnorm``)
    after the model is built; recorders must record the new module."""
    from mmengine.model import revert_sync_batchnorm
    model = nn.Sequential(nn.Conv2d(3, 4, 1), nn.SyncBatchNorm(4), nn.ReLU())
    manager = RecorderManager(
        dict(bn=dict(type='ModuleOutputRecorder', source='1')))
    manager.prepare(model)
    model = revert_sync_batchnorm(model)
    assert not isinstance(model[1], nn.SyncBatchNorm)
    x = torch.randn(2, 3, 4, 4)
    with manager:
        model(x)
    assert torch.allclose(manager.get('bn'), model[1](model[0](x)))


def test_released_record_explains_itself_and_records_again():
    """``release`` drops the record (the tensor is freed when nothing else
    holds it); reading it names the cause and the fix; the next forward
    records again."""
    _, model = _eval_model(BasicBlock, 4)
    rec = ModuleOutputRecorder('block.bn2')
    x = torch.randn(1, 4, 5, 5)
    _record(rec, model, x)
    ref = weakref.ref(rec.data)
    rec.release()
    gc.collect()
    assert ref() is None
    with pytest.raises(RuntimeError, match='released.*release_records=False'):
        rec.data
    _record(rec, model, x)
    assert rec.data.shape == (1, 4, 5, 5)
