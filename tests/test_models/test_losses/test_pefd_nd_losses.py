import math

import pytest
import torch

from mmfeatdistill.models.losses import DirectionAlignmentLoss, NDLoss


def _cos_loop(s, t):
    vals = []
    for a, b in zip(s, t):
        dot = sum(x * y for x, y in zip(a, b))
        vals.append(dot / (a.norm() * b.norm()))
    return torch.stack(vals)


def test_direction_alignment_equals_loop_values_and_grads():
    g = torch.Generator().manual_seed(0)
    s = torch.randn(4, 6, generator=g, requires_grad=True)
    t = torch.randn(4, 6, generator=g)
    loss = DirectionAlignmentLoss(loss_weight=25.0)(s, t)
    s2 = s.detach().clone().requires_grad_(True)
    expected = 25.0 * (1 - _cos_loop(s2, t).mean())
    assert torch.allclose(loss, expected, atol=1e-5)
    loss.backward()
    expected.backward()
    assert torch.allclose(s.grad, s2.grad, atol=1e-5)
    # aligned features: no loss
    assert DirectionAlignmentLoss()(t * 3,
                                    t).item() == pytest.approx(0.0, abs=1e-6)


def _nd_loop(s, t, labels, means, weight):
    """Independent ND: per sample, with max written as (a+b+|a-b|)/2."""
    total = 0
    for s_i, t_i, y in zip(s, t, labels):
        c = means[y]
        proj = (s_i * c).sum() / torch.sqrt((c * c).sum())
        a = torch.sqrt((s_i * s_i).sum())
        b = torch.sqrt((t_i * t_i).sum()).detach()
        denom = (a + b + (a - b).abs()) / 2
        total = total + (1 - proj / denom)
    return weight * total / len(labels)


def test_nd_loss_equals_loop_values_and_grads_with_a_norm_tie():
    g = torch.Generator().manual_seed(0)
    means = torch.randn(5, 8, generator=g)
    s = torch.randn(4, 8, generator=g)
    t = torch.randn(4, 8, generator=g) * 2
    t[1] = s[1]  # tie: ||s_1|| == ||t_1||
    labels = torch.tensor([0, 3, 3, 4])
    s1 = s.clone().requires_grad_(True)
    s2 = s.clone().requires_grad_(True)
    loss = NDLoss(loss_weight=1.5, class_means=means)(s1, t, labels)
    expected = _nd_loop(s2, t, labels, means, 1.5)
    assert torch.allclose(loss, expected, atol=1e-6)
    loss.backward()
    expected.backward()
    assert torch.allclose(s1.grad, s2.grad, atol=1e-6)
    # at the tie the norm term gets half its gradient (the subgradient of
    # max that torch.maximum uses); differs from both one-sided ones
    c = means[3] / means[3].norm()
    proj_grad = -c / s[1].norm()
    assert not torch.allclose(s1.grad[1], 1.5 / 4 * proj_grad, atol=1e-6)


def test_nd_loss_teacher_has_no_gradient_and_hand_value():
    means = torch.tensor([[2.0, 0.0], [0.0, 1.0]])
    s = torch.tensor([[3.0, 4.0]])  # |s| = 5
    t = torch.tensor([[0.0, 10.0]], requires_grad=True)  # |t| = 10
    loss = NDLoss(class_means=means)(s, t, torch.tensor([0]))
    # projection on (1, 0) = 3; denominator max(5, 10) = 10
    assert loss.item() == pytest.approx(1 - 3 / 10)
    assert not loss.requires_grad or t.grad is None


def test_nd_loss_errors(tmp_path):
    # the loss never reads a file itself, even an existing one: only the
    # hook (which checks the file against the run) installs means
    existing = tmp_path / 'means.pth'
    torch.save(dict(class_means=torch.zeros(3, 2)), existing)
    with pytest.raises(
            RuntimeError, match='no class means: add '
            r"dict\(type='ClassMeansHook'\)"):
        NDLoss(class_means=str(existing))(torch.zeros(1, 2), torch.zeros(1, 2),
                                          torch.tensor([0]))
    loss = NDLoss(class_means=torch.zeros(3, 4))
    # the student is narrower than the (right) means: map it
    with pytest.raises(
            ValueError, match='student embedding has size 2 '
            '.* EmbeddingTransformConnector'):
        loss(torch.zeros(1, 2), torch.zeros(1, 4), torch.tensor([0]))
    # the teacher does not fit the means: the file is wrong, not the map
    with pytest.raises(
            ValueError, match='teacher embedding has size 2: '
            'the means were computed for another teacher'):
        loss(torch.zeros(1, 4), torch.zeros(1, 2), torch.tensor([0]))
    with pytest.raises(ValueError, match=r'labels must be in \[0, 3\)'):
        loss(torch.ones(1, 4), torch.ones(1, 4), torch.tensor([5]))


def test_nd_loss_class_means_buffer_takes_loaded_shape():
    src = NDLoss(class_means=torch.randn(4, 3))
    dst = NDLoss(class_means='/nonexistent.pth')
    dst.load_state_dict(src.state_dict())
    assert torch.equal(dst.class_means, src.class_means)
    assert math.isfinite(
        dst(torch.ones(2, 3), torch.ones(2, 3), torch.tensor([0, 1])).item())
