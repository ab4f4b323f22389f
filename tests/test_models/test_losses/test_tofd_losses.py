import math

import pytest
import torch

from mmfeatdistill.models.losses import (FrobeniusDistanceLoss,
                                         LabelCrossEntropyLoss, OrthogonalLoss,
                                         SoftCrossEntropyLoss)


def _fro(m):
    return torch.sqrt(
        sum(m[i, j]**2 for i in range(m.shape[0]) for j in range(m.shape[1])))


def test_orthogonal_loss_zero_for_orthogonal_and_value_for_2i():
    q, _ = torch.linalg.qr(
        torch.randn(5, 5, generator=torch.Generator().manual_seed(0)))
    assert OrthogonalLoss()(q).item() == pytest.approx(0.0, abs=1e-5)
    # W = 2I (n = 4): W W^T - I = 3I, ||3I||_F = 3 * sqrt(4) = 6, twice
    assert OrthogonalLoss(loss_weight=0.03)(2 * torch.eye(4)).item() == \
        pytest.approx(0.03 * 12.0)


def test_orthogonal_loss_rectangular_values_and_gradient():
    w1 = torch.randn(3, 5, generator=torch.Generator().manual_seed(1),
                     requires_grad=True)
    w2 = w1.detach().clone().requires_grad_(True)
    loss = OrthogonalLoss(loss_weight=0.5)(w1)
    expected = 0.5 * (_fro(w2 @ w2.t() - torch.eye(3)) +
                      _fro(w2.t() @ w2 - torch.eye(5)))
    assert torch.allclose(loss, expected, atol=1e-5)
    loss.backward()
    expected.backward()
    assert torch.allclose(w1.grad, w2.grad, atol=1e-5)


def test_soft_cross_entropy_equals_independent_formula():
    g = torch.Generator().manual_seed(0)
    s = torch.randn(3, 4, generator=g, requires_grad=True)
    t = torch.randn(3, 4, generator=g)
    T = 2.5
    loss = SoftCrossEntropyLoss(temperature=T)(s, t)
    s2 = s.detach().clone().requires_grad_(True)
    total = 0
    for b in range(3):
        zt = torch.exp(t[b] / T)
        pt = zt / zt.sum()
        log_ps = s2[b] / T - torch.log(torch.exp(s2[b] / T).sum())
        total = total - (pt * log_ps).sum()
    expected = total / 3  # mean over the batch, no T^2
    assert torch.allclose(loss, expected, atol=1e-6)
    loss.backward()
    expected.backward()
    assert torch.allclose(s.grad, s2.grad, atol=1e-6)


def test_soft_cross_entropy_refuses_a_string_multi_label():
    """``multi_label='False'`` would be true: the sigmoid loss, silently."""
    with pytest.raises(TypeError, match=r'multi_label=\.\.\.\) must be True'):
        SoftCrossEntropyLoss(multi_label='False')


def test_frobenius_distance_not_squared_not_averaged():
    s = torch.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    t = torch.tensor([[1.0, 0.0], [0.0, 0.0]])
    loss = FrobeniusDistanceLoss(loss_weight=0.05)(s, t)
    assert loss.item() == pytest.approx(0.05 * math.sqrt(4 + 9 + 16))
    loss.backward()
    assert torch.allclose(s.grad, 0.05 * (s - t).detach() / math.sqrt(29))


def test_label_cross_entropy():
    logits = torch.tensor([[2.0, 0.0], [0.0, 1.0]])
    expected = (-(2 - math.log(math.exp(2) + 1)) -
                (1 - math.log(1 + math.e))) / 2
    assert LabelCrossEntropyLoss()(logits, torch.tensor([0, 1])).item() == \
        pytest.approx(expected)
