import pytest
import torch

from mmfeatdistill.models.losses import FeatureMSELoss


def test_mse_hand_value():
    s = torch.tensor([[1.0, 2.0], [3.0, 4.0]])
    t = torch.tensor([[0.0, 2.0], [1.0, 1.0]])
    # (1 + 0 + 4 + 9) / 4 = 3.5
    assert FeatureMSELoss(loss_weight=2.0)(s, t).item() == pytest.approx(7.0)


def test_mse_gradient_only_to_student():
    s = torch.randn(2, 3, 4, 4, requires_grad=True)
    t = torch.randn(2, 3, 4, 4, requires_grad=True)
    FeatureMSELoss()(s, t).backward()
    torch.testing.assert_close(s.grad, 2 * (s - t).detach() / s.numel())
    assert t.grad is None
