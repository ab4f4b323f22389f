import math

import pytest
import torch
from torch import nn
from torch.utils._python_dispatch import TorchDispatchMode
from torch.utils._pytree import tree_flatten

from mmfeatdistill.models.connectors import (OFDStudentConnector,
                                             OFDTeacherConnector)


def _closed_form(mu, sigma, threshold=0.001):
    """E[x | x < 0] for x ~ N(mu, sigma^2), with the standard normal written
    out via math.erf (independent of scipy)."""
    z = mu / sigma
    pdf = math.exp(-z * z / 2) / math.sqrt(2 * math.pi)
    cdf_neg = 0.5 * (1 + math.erf(-z / math.sqrt(2)))
    if cdf_neg <= threshold:
        return -3 * sigma
    return mu - sigma * pdf / cdf_neg


def test_margin_from_bn_closed_form_and_tail_branch():
    bn = nn.BatchNorm2d(4)
    with torch.no_grad():
        bn.weight.copy_(torch.tensor([1.0, -2.0, 0.5, 1.0]))
        # channel 3: mu/sigma = 4 -> Phi(-4) ~ 3e-5 <= 0.001 -> -3 sigma
        bn.bias.copy_(torch.tensor([0.0, 1.0, -0.3, 4.0]))
    margin = OFDTeacherConnector.margin_from_bn(bn)
    assert margin.shape == (1, 4, 1, 1) and margin.dtype == torch.float32
    expected = [
        _closed_form(m, abs(s))
        for m, s in zip([0.0, 1.0, -0.3, 4.0], [1.0, -2.0, 0.5, 1.0])
    ]
    assert torch.allclose(margin.flatten(), torch.tensor(expected), atol=1e-6)
    # mu = 0, sigma = 1: E[x | x < 0] = -sqrt(2 / pi)
    assert margin[0, 0, 0, 0].item() == pytest.approx(-math.sqrt(2 / math.pi),
                                                      abs=1e-6)
    assert margin[0, 3, 0, 0].item() == pytest.approx(-3.0)


def test_margin_from_bn_zero_std_is_a_clear_error():
    bn = nn.BatchNorm2d(3)
    with torch.no_grad():
        bn.weight[1] = 0
    with pytest.raises(ValueError, match=r'channel\(s\) \[1\].*zero standard'):
        OFDTeacherConnector.margin_from_bn(bn)


def test_teacher_connector_margin_relu_and_prepare():
    teacher = nn.Sequential(nn.Conv2d(3, 2, 1), nn.BatchNorm2d(2))
    with torch.no_grad():
        teacher[1].weight.copy_(torch.tensor([1.0, 2.0]))
        teacher[1].bias.copy_(torch.tensor([0.5, -1.0]))
    conn = OFDTeacherConnector(2, bn='1')
    conn.prepare(nn.Identity(), teacher)
    m = conn.margin.flatten()
    assert torch.allclose(
        m, torch.tensor([_closed_form(0.5, 1.0),
                         _closed_form(-1.0, 2.0)]))
    x = torch.tensor([[[[-5.0]], [[3.0]]]])
    assert torch.allclose(conn(x).flatten(), torch.tensor([m[0], 3.0]))
    # the margin is state: it goes into checkpoints
    assert 'margin' in conn.state_dict()
    with pytest.raises(ValueError, match='channels=3'):
        OFDTeacherConnector(3, bn='1').prepare(nn.Identity(), teacher)
    with pytest.raises(TypeError, match='BatchNorm'):
        OFDTeacherConnector(2, bn='0').prepare(nn.Identity(), teacher)


def test_teacher_connector_running_estimate_without_bn():
    conn = OFDTeacherConnector(2)
    conn.train()
    a = torch.tensor([[[[-1.0, 2.0]], [[-4.0, -2.0]]]])
    b = torch.tensor([[[[-3.0, 5.0]], [[1.0, 1.0]]]])
    conn(a)
    out = conn(b)
    # channel 0 negatives seen: -1, -3 -> -2; channel 1: -4, -2 -> -3
    assert torch.allclose(conn.margin.flatten(), torch.tensor([-2.0, -3.0]))
    assert torch.allclose(out, torch.max(b, conn.margin))
    conn.eval()
    conn(torch.full((1, 2, 1, 1), -100.0))
    assert torch.allclose(conn.margin.flatten(), torch.tensor([-2.0, -3.0]))


def test_teacher_connector_running_estimate_float64_without_copy():
    """The running estimate equals the float64 formula (sum of the negative
    parts and count of negatives per channel) over several batches, and
    makes float64 tensors of one sample at a time, not of the feature."""
    g = torch.Generator().manual_seed(0)
    conn = OFDTeacherConnector(6).train()
    neg_sum = torch.zeros(6, dtype=torch.float64)
    neg_count = torch.zeros(6, dtype=torch.float64)
    made = []

    class Mode(TorchDispatchMode):

        def __torch_dispatch__(self, func, types, args=(), kwargs=None):
            out = func(*args, **(kwargs or {}))
            made.extend((x.dtype, x.numel()) for x in tree_flatten(out)[0]
                        if isinstance(x, torch.Tensor))
            return out

    for _ in range(3):
        feature = torch.randn(4, 6, 5, 7, generator=g) * 3
        with Mode():
            conn(feature)
        neg_sum += feature.double().clamp(max=0).sum((0, 2, 3))
        neg_count += (feature < 0).double().sum((0, 2, 3))
        expected = (neg_sum / neg_count.clamp(min=1)).float()
        assert torch.equal(conn.margin.flatten(), expected)
    # float64 tensors of one sample at most (the feature holds 4)
    assert made and max(n for dtype, n in made
                        if dtype == torch.float64) == feature[0].numel()


def test_student_connector_init_and_shape():
    torch.manual_seed(0)
    conn = OFDStudentConnector(64, 256)
    w = conn.conv.weight
    assert conn.conv.bias is None and w.shape == (256, 64, 1, 1)
    assert w.std().item() == pytest.approx(math.sqrt(2 / 256), rel=0.05)
    assert torch.all(conn.bn.weight == 1) and torch.all(conn.bn.bias == 0)
    assert conn(torch.randn(2, 64, 3, 3)).shape == (2, 256, 3, 3)


def _saved_bytes(fn):
    """Bytes of the tensors autograd keeps for backward while ``fn`` runs
    (each storage counted once)."""
    storages = {}

    def pack(tensor):
        storage = tensor.untyped_storage()
        storages[storage.data_ptr()] = storage.nbytes()
        return tensor

    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        out = fn()
    return out, sum(storages.values())


def test_student_connector_recompute_same_values_gradients_statistics():
    torch.manual_seed(0)
    plain = OFDStudentConnector(6, 24)
    with torch.no_grad():
        plain.bn.weight.uniform_(0.5, 1.5)
        plain.bn.bias.uniform_(-0.5, 0.5)
    again = OFDStudentConnector(6, 24, recompute=True)
    again.load_state_dict(plain.state_dict())
    for step in range(2):  # running statistics over two steps
        feature = torch.randn(4, 6, 5, 7)
        upstream = torch.randn(4, 24, 5, 7)
        results = []
        for connector in (plain, again):
            x = feature.clone().requires_grad_()
            connector.zero_grad()
            out, saved = _saved_bytes(lambda: connector(x))
            (out * upstream).sum().backward()
            results.append(
                (out.detach(), x.grad, connector.conv.weight.grad,
                 connector.bn.weight.grad, connector.bn.bias.grad, saved))
        for a, b in zip(results[0][:5], results[1][:5]):
            torch.testing.assert_close(b, a, rtol=0, atol=1e-6)
        # the plain forward keeps the conv's output (24 channels) for the
        # BN; the recomputing one keeps its 6-channel input only
        conv_out = 4 * 24 * 5 * 7 * 4
        assert results[1][5] < conv_out <= results[0][5]
        for name in ('running_mean', 'running_var', 'num_batches_tracked'):
            torch.testing.assert_close(getattr(again.bn, name),
                                       getattr(plain.bn, name), rtol=0,
                                       atol=1e-6)
        assert int(again.bn.num_batches_tracked) == step + 1
    # eval and no-grad forwards take the plain path (running statistics)
    plain.eval()
    again.eval()
    feature = torch.randn(2, 6, 3, 3)
    torch.testing.assert_close(again(feature), plain(feature), rtol=0, atol=0)


def test_student_connector_recompute_falls_back_where_not_exact():
    """A BN in eval mode (running statistics) or not a plain BatchNorm2d
    takes the plain forward: the conv output is kept as without
    recompute."""
    torch.manual_seed(0)
    connector = OFDStudentConnector(6, 24, recompute=True)
    connector.bn.eval()
    feature = torch.randn(2, 6, 4, 4, requires_grad=True)
    _, saved = _saved_bytes(lambda: connector(feature))
    assert saved >= 2 * 24 * 4 * 4 * 4
    plain = OFDStudentConnector(6, 24)
    plain.load_state_dict(connector.state_dict())
    plain.bn.eval()
    torch.testing.assert_close(connector(feature), plain(feature), rtol=0,
                               atol=0)


@pytest.mark.parametrize('side', ['teacher', 'student'])
def test_connectors_refuse_transformer_tokens(side):
    """A (B, N, C) token sequence (a ViT block's output) is refused with
    what OFD needs and what to use instead, not a misleading channel
    count (dim 1 of tokens is N)."""
    conn = OFDTeacherConnector(32) if side == 'teacher' else \
        OFDStudentConnector(32, 64)
    with pytest.raises(ValueError) as info:
        conn(torch.randn(2, 17, 32))
    message = str(info.value)
    assert '(B, N, C) token sequence of shape (2, 17, 32)' in message
    assert '(B, C, H, W) maps' in message
    assert "teacher_tokens='cls'" in message and 'pefd' in message
