import math

import pytest
import torch

from mmfeatdistill.models.losses import KDLoss


def _kl_by_loops(s, t, tau):
    """sum_c p_t log(p_t / p_s), averaged over rows, written out."""
    total = 0.0
    for row_s, row_t in zip(s.tolist(), t.tolist()):
        zs = [math.exp(v / tau) for v in row_s]
        zt = [math.exp(v / tau) for v in row_t]
        ps = [v / sum(zs) for v in zs]
        pt = [v / sum(zt) for v in zt]
        total += sum(b * math.log(b / a) for a, b in zip(ps, pt))
    return total / len(s)


@pytest.mark.parametrize('tau,t_square', [(1.0, True), (4.0, True),
                                          (4.0, False)])
def test_kd_equals_loops(tau, t_square):
    g = torch.Generator().manual_seed(0)
    s = torch.randn(5, 7, generator=g, dtype=torch.float64)
    t = torch.randn(5, 7, generator=g, dtype=torch.float64)
    loss = KDLoss(tau=tau, t_square=t_square, loss_weight=0.5)(s, t)
    expected = 0.5 * _kl_by_loops(s, t, tau) * (tau**2 if t_square else 1)
    assert loss.item() == pytest.approx(expected, rel=1e-5)


def test_kd_hand_value_two_classes():
    # p_t = softmax([0, 0]) = (1/2, 1/2); p_s = softmax([ln 3, 0]) = (3/4, 1/4)
    s = torch.tensor([[math.log(3.0), 0.0]])
    t = torch.tensor([[0.0, 0.0]])
    expected = 0.5 * math.log(0.5 / 0.75) + 0.5 * math.log(0.5 / 0.25)
    assert KDLoss()(s, t).item() == pytest.approx(expected, rel=1e-6)


def test_kd_zero_for_equal_logits_and_no_teacher_gradient():
    s = torch.randn(3, 4, requires_grad=True)
    t = s.detach().clone().requires_grad_(True)
    loss = KDLoss(tau=2.0)(s, t)
    assert loss.item() == pytest.approx(0.0, abs=1e-6)
    (KDLoss(tau=2.0)(s, t + torch.randn(3, 4))).backward()
    assert t.grad is None
    assert s.grad is not None


def test_kd_dense_logits_average_over_positions():
    g = torch.Generator().manual_seed(1)
    s = torch.randn(2, 3, 4, 5, generator=g, dtype=torch.float64)
    t = torch.randn(2, 3, 4, 5, generator=g, dtype=torch.float64)
    flat_s = s.permute(0, 2, 3, 1).reshape(-1, 3)
    flat_t = t.permute(0, 2, 3, 1).reshape(-1, 3)
    assert KDLoss(tau=2.0)(s, t).item() == pytest.approx(
        4.0 * _kl_by_loops(flat_s, flat_t, 2.0), rel=1e-6)


def test_kd_rejects_bad_tau():
    with pytest.raises(ValueError, match='tau'):
        KDLoss(tau=0)
