import pytest
import torch
import torch.nn.functional as F
from torch import nn

from mmfeatdistill.models.recorders import (FunctionInputRecorder,
                                            FunctionOutputRecorder,
                                            MethodInputRecorder,
                                            MethodOutputRecorder)


class Head(nn.Module):

    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 3)

    def pre_logits(self, x):
        return x * 2

    def forward(self, x):
        return self.fc(self.pre_logits(x))


class Net(nn.Module):

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(2, 4, 1)
        self.head = Head()

    def forward(self, x):
        x = F.relu(self.conv(x), inplace=True)
        x = F.relu(x - 0.5)
        return self.head(x.mean((2, 3)))


def _run(rec, model, x):
    rec.start()
    try:
        out = model(x)
    finally:
        rec.stop()
    return out


def _record(rec):
    """A ``Net`` with ``rec`` prepared on it, after one recorded forward of
    a random batch; returns the net and the batch."""
    net = Net()
    rec.prepare(net)
    x = torch.randn(2, 2, 3, 3)
    _run(rec, net, x)
    return net, x


def test_method_output_recorder_is_per_instance():
    a, b = Net(), Net()
    rec = MethodOutputRecorder('head.pre_logits')
    rec.prepare(a)
    x = torch.randn(2, 2, 3, 3)
    rec.start()
    b(x)  # the other instance of the same class is not recorded
    with pytest.raises(RuntimeError):
        rec.data
    a(x)
    rec.stop()
    expected = F.relu(F.relu(a.conv(x)) - 0.5).mean((2, 3)) * 2
    torch.testing.assert_close(rec.data, expected)
    assert 'pre_logits' not in a.head.__dict__


def test_method_input_recorder():
    rec = MethodInputRecorder('head.pre_logits', arg_index=0)
    net, x = _record(rec)
    torch.testing.assert_close(rec.data,
                               F.relu(F.relu(net.conv(x)) - 0.5).mean((2, 3)))


def test_unknown_method_is_explained():
    rec = MethodOutputRecorder('head.pre_logit')
    with pytest.raises(AttributeError, match='no method .pre_logit.*'
                       'pre_logits'):
        rec.prepare(Net())


def test_function_input_recorder_gets_pre_relu_despite_inplace():
    rec = FunctionInputRecorder('torch.nn.functional.relu', within='',
                                call_index=0)
    net, x = _record(rec)
    expected = net.conv(x)
    torch.testing.assert_close(rec.data, expected)
    assert (rec.data < 0).any()
    assert not hasattr(F.relu, '__wrapped__'), 'patch must be removed'


def test_function_output_recorder_counts_calls_within_scope():
    rec = FunctionOutputRecorder('torch.nn.functional.relu', within='',
                                 call_index=1)
    net, x = _record(rec)
    torch.testing.assert_close(rec.data, F.relu(F.relu(net.conv(x)) - 0.5))
    # calls outside `within` are not counted
    rec_head = FunctionOutputRecorder('torch.nn.functional.relu',
                                      within='head')
    rec_head.prepare(net)
    _run(rec_head, net, x)
    with pytest.raises(RuntimeError, match=r'ran 0 time\(s\)'):
        rec_head.data


def test_function_recorder_bad_source():
    with pytest.raises(AttributeError, match='no function'):
        FunctionOutputRecorder('torch.nn.functional.relux')
