"""AnchorKDLoss against an independent per-image formulation (SSD's hard
negative mining as mmdet's SSDHead writes it: ``topk`` of the negatives'
cross-entropy), and by hand on one anchor."""
import math

import pytest
import torch
import torch.nn.functional as F

from mmfeatdistill.models.losses import AnchorKDLoss


def _reference(s_scores, t_scores, labels, tau, ratio):
    """Per image: positives plus the top ``ratio * positives`` negatives by
    the student's background cross-entropy; KL averaged over them."""
    anchors = [
        lv.shape[1] // (x.shape[2] * x.shape[3])
        for lv, x in zip(labels, s_scores)
    ]
    classes = s_scores[0].shape[1] // anchors[0]
    rows_s, rows_t = [], []
    for i in range(labels[0].shape[0]):
        s = torch.cat(
            [x[i].permute(1, 2, 0).reshape(-1, classes) for x in s_scores])
        t = torch.cat(
            [x[i].permute(1, 2, 0).reshape(-1, classes) for x in t_scores])
        label = torch.cat([lv[i] for lv in labels])
        background = classes - 1
        pos = (label < background).nonzero().flatten()
        neg = (label == background).nonzero().flatten()
        ce = F.cross_entropy(s[neg], label[neg], reduction='none')
        k = min(ratio * len(pos), len(neg))
        hard = neg[ce.topk(k).indices]
        chosen = torch.cat([pos, hard])
        rows_s.append(s[chosen])
        rows_t.append(t[chosen])
    s, t = torch.cat(rows_s) / tau, torch.cat(rows_t) / tau
    p = t.softmax(-1)
    kl = (p * (p.log() - s.log_softmax(-1))).sum(-1)
    return kl.mean() * tau**2


def _batch(seed=0):
    gen = torch.Generator().manual_seed(seed)
    # 2 levels (4x4 and 2x2), 2 anchors per position, 3 classes + bg
    shapes = [(2, 8, 4, 4), (2, 8, 2, 2)]
    s = [torch.randn(*sh, generator=gen) for sh in shapes]
    t = [torch.randn(*sh, generator=gen) for sh in shapes]
    labels = [torch.full((2, 32), 3), torch.full((2, 8), 3)]
    labels[0][0, [1, 7]] = torch.tensor([0, 2])
    labels[1][0, 5] = 1
    labels[1][1, 0] = 2
    return s, t, labels


def test_levels_with_other_anchor_counts():
    """SSD300's levels have 4 or 6 anchors a position: 2 and 3 here."""
    gen = torch.Generator().manual_seed(1)
    s = [
        torch.randn(2, 8, 2, 2, generator=gen),
        torch.randn(2, 12, 1, 1, generator=gen)
    ]
    t = [
        torch.randn(2, 8, 2, 2, generator=gen),
        torch.randn(2, 12, 1, 1, generator=gen)
    ]
    labels = [torch.full((2, 8), 3), torch.full((2, 3), 3)]
    labels[0][0, 2] = 1
    labels[1][1, 0] = 0
    loss = AnchorKDLoss(tau=2.0)(s, t, labels)
    assert torch.allclose(loss, _reference(s, t, labels, 2.0, 3), rtol=1e-5)


@pytest.mark.parametrize('tau,ratio', [(1.0, 3), (2.0, 1), (4.0, 0)])
def test_matches_ssd_style_mining(tau, ratio):
    s, t, labels = _batch()
    loss = AnchorKDLoss(tau=tau, neg_pos_ratio=ratio)(s, t, labels)
    assert torch.allclose(loss, _reference(s, t, labels, tau, ratio),
                          rtol=1e-5)


def test_anchors_used_counts_and_gradient():
    s, t, labels = _batch()
    s = [x.requires_grad_() for x in s]
    module = AnchorKDLoss(neg_pos_ratio=3)
    loss = module(s, t, labels)
    loss.backward()
    flat = torch.cat(
        [x.detach().permute(0, 2, 3, 1).reshape(2, -1, 4) for x in s], 1)
    chosen = module.anchors_used(flat, torch.cat([lv for lv in labels], 1))
    # image 0: 3 positives + 9 negatives; image 1: 1 positive + 3
    assert chosen.sum(1).tolist() == [12, 4]
    assert all(x.grad is not None and x.grad.abs().sum() > 0 for x in s)


def test_one_anchor_by_hand():
    """One position, one anchor, a foreground class: KL of two 2-way
    softmaxes."""
    s = [torch.tensor([0.0, 1.0]).view(1, 2, 1, 1)]
    t = [torch.tensor([1.0, 0.0]).view(1, 2, 1, 1)]
    labels = [torch.tensor([[0]])]
    p = [math.e / (1 + math.e), 1 / (1 + math.e)]  # teacher
    q = [1 / (1 + math.e), math.e / (1 + math.e)]  # student
    expected = sum(pi * math.log(pi / qi) for pi, qi in zip(p, q))
    loss = AnchorKDLoss(tau=1.0)(s, t, labels)
    assert loss.item() == pytest.approx(expected, rel=1e-6)


def test_no_positive_gives_zero_and_bad_shapes_are_named():
    s, t, labels = _batch()
    empty = [torch.full_like(lv, 3) for lv in labels]
    assert AnchorKDLoss()(s, t, empty).item() == 0
    with pytest.raises(ValueError, match='same classes and anchors'):
        AnchorKDLoss()(s, [x[:, :4] for x in t], labels)
    with pytest.raises(ValueError, match='label levels'):
        AnchorKDLoss()(s, t, labels[:1])
