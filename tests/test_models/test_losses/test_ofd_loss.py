import torch

from mmfeatdistill.models.losses import OFDLoss


def test_ofd_loss_hand_computed():
    # B=2, C=1, 2 positions. t is already margin-ReLU'd.
    s = torch.tensor([[[[1.0, -2.0]]], [[[-1.0, 0.5]]]])
    t = torch.tensor([[[[0.5, -1.0]]], [[[-0.5, 2.0]]]])
    # element by element: (1 > .5) -> .25 ; (-2 <= -1, t<0) -> 0 ;
    # (-1 <= -.5, t<0) -> 0 ; (t=2 > 0) -> 2.25   => 2.5 / B=2 => 1.25
    assert torch.allclose(OFDLoss()(s, t), torch.tensor(1.25))
    assert torch.allclose(OFDLoss(loss_weight=0.1)(s, t), torch.tensor(0.125))


def test_ofd_loss_zero_gradient_where_student_below_negative_teacher():
    g = torch.Generator().manual_seed(0)
    s = torch.randn(3, 4, 5, 5, generator=g, requires_grad=True)
    t = torch.randn(3, 4, 5, 5, generator=g)
    OFDLoss()(s, t).backward()
    dead = (s <= t) & (t <= 0)
    assert dead.any() and (~dead).any()
    assert torch.all(s.grad[dead] == 0)
    # elsewhere the gradient is 2 (s - t) / B
    live = ~dead
    assert torch.allclose(s.grad[live], (2 * (s - t) / 3)[live])


def test_ofd_loss_independent_loop():
    g = torch.Generator().manual_seed(1)
    s = torch.randn(2, 3, 2, 2, generator=g)
    t = torch.randn(2, 3, 2, 2, generator=g)
    total = 0.0
    for a, b in zip(s.flatten().tolist(), t.flatten().tolist()):
        if a > b or b > 0:
            total += (a - b) ** 2
    assert torch.allclose(OFDLoss()(s, t), torch.tensor(total / 2))
