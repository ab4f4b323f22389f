"""The dense (detection / segmentation) variants of the losses against
independent per-position formulations on small tensors."""
import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from mmfeatdistill.models.losses import (AnchorNDLoss, DenseNDLoss,
                                         DirectionAlignmentLoss,
                                         FrobeniusDistanceLoss,
                                         LabelCrossEntropyLoss, NDLoss,
                                         SoftCrossEntropyLoss)


def _gen(seed=0):
    return torch.Generator().manual_seed(seed)


def _nd_row(s, t, c):
    """ND's term of one row, written with numpy (max as (a+b+|a-b|)/2)."""
    s, t, c = (np.asarray(x, dtype=np.float64) for x in (s, t, c))
    a, b = np.sqrt((s * s).sum()), np.sqrt((t * t).sum())
    return 1 - (s @ c) / np.sqrt((c * c).sum()) / ((a + b + abs(a - b)) / 2)


def test_direction_alignment_per_position_equals_loop():
    g = _gen()
    s = torch.randn(2, 5, 3, 4, generator=g)
    t = torch.randn(2, 5, 3, 4, generator=g)
    cosines = []
    for b in range(2):
        for i in range(3):
            for j in range(4):
                u, v = s[b, :, i, j].numpy(), t[b, :, i, j].numpy()
                cosines.append(u @ v / np.linalg.norm(u) / np.linalg.norm(v))
    expected = 25.0 * (1 - np.mean(cosines))
    value = DirectionAlignmentLoss(loss_weight=25.0)(s, t).item()
    assert value == pytest.approx(expected, rel=1e-5)


def _label_map(g, b, h, w, num_classes, ignore=255):
    labels = torch.randint(0, num_classes, (b, h, w), generator=g)
    labels[:, 0, :] = ignore  # a border of unlabelled pixels
    return labels


def test_dense_nd_loss_equals_pixel_loop():
    g = _gen(1)
    b, d, h, w, k = 2, 4, 3, 3, 3
    s = torch.randn(b, d, h, w, generator=g, requires_grad=True)
    t = torch.randn(b, d, h, w, generator=g)
    means = torch.randn(k, d, generator=g)
    labels = _label_map(g, b, 2 * h, 2 * w, k)  # label resolution 2x
    loss = DenseNDLoss(loss_weight=1.5, class_means=means)
    value = loss(s, t, labels)
    terms = []
    for bi in range(b):
        for i in range(h):
            for j in range(w):
                # nearest: output pixel (i, j) reads input (2i, 2j)
                y = int(labels[bi, 2 * i, 2 * j])
                if y == 255:
                    continue
                terms.append(
                    _nd_row(s[bi, :, i, j].detach(), t[bi, :, i, j], means[y]))
    assert len(terms) == b * (h - 1) * w  # the top row is ignored
    assert value.item() == pytest.approx(1.5 * np.mean(terms), rel=1e-5)
    value.backward()
    assert s.grad[:, :, 0].abs().sum() == 0  # ignored pixels: no gradient
    assert s.grad[:, :, 1:].abs().sum() > 0
    # all pixels ignored: zero, and still differentiable
    empty = loss(s, t, torch.full_like(labels, 255))
    assert empty.item() == 0.0 and empty.requires_grad


def test_dense_nd_class_sums_equal_explicit_upsampling():
    g = _gen(2)
    b, d, h, w, k = 2, 3, 4, 5, 4
    t = torch.randn(b, d, h, w, generator=g)
    labels = _label_map(g, b, 16, 20, k)
    sums, counts = DenseNDLoss().class_sums(t, labels, k)
    up = F.interpolate(t.double(), size=(16, 20), mode='bilinear',
                       align_corners=False)
    for c in range(k):
        mask = labels == c
        expected = up.permute(0, 2, 3, 1)[mask].sum(dim=0)
        assert counts[c].item() == mask.sum().item()
        assert torch.allclose(sums[c], expected, atol=1e-9)
    with pytest.raises(ValueError, match=r'labels must be in \[0, 4\)'):
        DenseNDLoss().class_sums(t, labels.masked_fill(labels == 255, 9), k)


def test_anchor_nd_loss_equals_anchor_loop():
    g = _gen(3)
    b, d, h, w, anchors, k = 2, 4, 2, 3, 3, 5
    s = torch.randn(b, d, h, w, generator=g)
    t = torch.randn(b, d, h, w, generator=g)
    means = torch.randn(k, d, generator=g)
    # mmdet's order: position-major (y * w + x), then the anchors; 5 = bg
    labels = torch.randint(0, k + 1, (b, h * w * anchors), generator=g)
    labels[0, :] = k  # image 0: background only
    loss = AnchorNDLoss(loss_weight=0.5, class_means=means)
    terms, sums, counts = [], torch.zeros(k, d, dtype=torch.float64), [0] * k
    for bi in range(b):
        for y in range(h):
            for x in range(w):
                for a in range(anchors):
                    c = int(labels[bi, (y * w + x) * anchors + a])
                    if c == k:
                        continue
                    terms.append(
                        _nd_row(s[bi, :, y, x], t[bi, :, y, x], means[c]))
                    sums[c] += t[bi, :, y, x].double()
                    counts[c] += 1
    assert terms
    value = loss(s, t, labels).item()
    assert value == pytest.approx(0.5 * np.mean(terms), rel=1e-5)
    got_sums, got_counts = AnchorNDLoss().class_sums(t, labels, k)
    assert got_counts.tolist() == counts
    assert torch.allclose(got_sums, sums, atol=1e-9)
    # no positive anchor: zero
    assert loss(s, t, torch.full_like(labels, k)).item() == 0.0
    with pytest.raises(
            ValueError, match=r'anchor labels \(2, 17\) do not '
            r'fit the feature map \(2, 4, 2, 3\)'):
        loss(s, t, labels[:, :17])


def test_nd_image_rows_unchanged_by_refactor():
    """NDLoss on (B, D) rows: the per-sample loop."""
    g = _gen(4)
    s, t, means = (torch.randn(4, 3,
                               generator=g), torch.randn(4, 3, generator=g),
                   torch.randn(2, 3, generator=g))
    labels = torch.tensor([0, 1, 1, 0])
    expected = np.mean(
        [_nd_row(s[i], t[i], means[labels[i]]) for i in range(4)])
    assert NDLoss(class_means=means)(s, t, labels).item() == pytest.approx(
        expected, rel=1e-5)


def test_frobenius_dense_is_mean_of_per_position_norms():
    g = _gen(5)
    s = torch.randn(2, 3, 4, 5, generator=g)
    t = torch.randn(2, 3, 4, 5, generator=g)
    norms = [
        math.sqrt(float(((s[:, :, i, j] - t[:, :, i, j])**2).sum()))
        for i in range(4) for j in range(5)
    ]
    loss = FrobeniusDistanceLoss(loss_weight=0.05)
    assert loss(s, t).item() == pytest.approx(0.05 * np.mean(norms), rel=1e-5)
    # a 1x1 map is the vector loss
    assert loss(s[:, :, :1, :1], t[:, :, :1, :1]).item() == pytest.approx(
        loss(s[:, :, 0, 0], t[:, :, 0, 0]).item(), rel=1e-6)


def _log_softmax(x):
    x = x - x.max()
    return x - np.log(np.exp(x).sum())


def test_soft_cross_entropy_per_pixel_and_multi_label():
    g = _gen(6)
    s = torch.randn(2, 4, 3, 3, generator=g)
    t = torch.randn(2, 4, 3, 3, generator=g)
    T = 2.0
    terms = []
    for b in range(2):
        for i in range(3):
            for j in range(3):
                p = np.exp(_log_softmax(t[b, :, i, j].numpy() / T))
                terms.append(-(p *
                               _log_softmax(s[b, :, i, j].numpy() / T)).sum())
    loss = SoftCrossEntropyLoss(temperature=T)
    assert loss(s, t).item() == pytest.approx(np.mean(terms), rel=1e-5)
    # multi-label: a binary soft cross-entropy per class
    s2, t2 = torch.randn(3, 5, generator=g), torch.randn(3, 5, generator=g)
    sig = lambda x: 1 / (1 + np.exp(-x))  # noqa: E731
    p, q = sig(t2.numpy() / T), sig(s2.numpy() / T)
    expected = -(p * np.log(q) + (1 - p) * np.log(1 - q)).mean()
    multi = SoftCrossEntropyLoss(temperature=T, multi_label=True)
    assert multi(s2, t2).item() == pytest.approx(expected, rel=1e-5)


def test_label_cross_entropy_forms():
    g = _gen(7)
    loss = LabelCrossEntropyLoss()
    # segmentation: logits resized to the labels, 255 ignored
    logits = torch.randn(2, 3, 2, 2, generator=g)
    labels = _label_map(g, 2, 4, 4, 3)
    up = F.interpolate(logits, size=(4, 4), mode='bilinear',
                       align_corners=False).numpy()
    terms = [
        -_log_softmax(up[b, :, i, j])[labels[b, i, j]] for b in range(2)
        for i in range(4) for j in range(4) if labels[b, i, j] != 255
    ]
    assert loss(logits,
                labels).item() == pytest.approx(np.mean(terms), rel=1e-5)
    # detection: multi-hot targets, binary cross-entropy
    z = torch.randn(2, 4, generator=g)
    y = torch.tensor([[1., 0, 0, 1], [0, 1, 0, 0]])
    sig = 1 / (1 + np.exp(-z.numpy()))
    expected = -(y.numpy() * np.log(sig) +
                 (1 - y.numpy()) * np.log(1 - sig)).mean()
    assert loss(z, y).item() == pytest.approx(expected, rel=1e-5)
    # classification: every index is a class, 255 included (ImageNet)
    z = torch.randn(2, 300, generator=g)
    idx = torch.tensor([255, 3])
    expected = -np.mean([_log_softmax(z[i].numpy())[idx[i]] for i in range(2)])
    assert loss(z, idx).item() == pytest.approx(expected, rel=1e-5)
