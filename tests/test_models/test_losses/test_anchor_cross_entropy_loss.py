"""AnchorCrossEntropyLoss (TOFD's per-anchor auxiliary task on SSD) by
hand, and against mmdet's own ``SSDHead`` classification loss on the
scenes student SSD
(``configs/fashion_mnist/student_ssd-r18w8_fmnist-scenes.py``) with the
labels of its own assignment; AnchorTargetsConnector gives the labels of
that assignment from the data samples alone."""
import math

import pytest
import torch
from mmengine.config import Config
from mmengine.registry import DefaultScope

from mmfeatdistill.models.connectors import AnchorTargetsConnector
from mmfeatdistill.models.losses import AnchorCrossEntropyLoss
from mmfeatdistill.registry import MODELS
from mmfeatdistill.testing import det_batch
from mmfeatdistill.utils import resolve_model_cfg
from tests.helpers import config_path


def _ce(logits, label):
    return math.log(sum(math.exp(x) for x in logits)) - logits[label]


def test_one_level_by_hand():
    """One image, one position, 3 anchors of 2 classes + background:
    anchor 0 is class 1, anchors 1 and 2 background. With one negative per
    positive the harder negative (anchor 2) joins; over 1 positive."""
    rows = [[0.5, 1.0, -1.0], [0.0, 0.0, 2.0], [1.0, 0.0, 0.0]]
    logits = torch.tensor(rows).reshape(1, 9, 1, 1)
    labels = torch.tensor([[1, 2, 2]])
    expected = _ce(rows[0], 1) + _ce(rows[2], 2)
    assert _ce(rows[2], 2) > _ce(rows[1], 2)
    loss = AnchorCrossEntropyLoss(neg_pos_ratio=1)(logits, labels)
    assert loss.item() == pytest.approx(expected, rel=1e-6)
    # ratio 3: both negatives (only 2 there); ratio 0: the positive alone
    loss = AnchorCrossEntropyLoss(neg_pos_ratio=3, loss_weight=2.0)(logits,
                                                                    labels)
    assert loss.item() == pytest.approx(2 * (expected + _ce(rows[1], 2)),
                                        rel=1e-6)
    loss = AnchorCrossEntropyLoss(neg_pos_ratio=0)(logits, labels)
    assert loss.item() == pytest.approx(_ce(rows[0], 1), rel=1e-6)
    # no positive: 0, with a gradient of zeros
    logits.requires_grad_()
    empty = AnchorCrossEntropyLoss()(logits, torch.tensor([[2, 2, 2]]))
    empty.backward()
    assert empty.item() == 0 and logits.grad.abs().sum() == 0
    with pytest.raises(ValueError, match='A \\* \\(K \\+ 1\\)'):
        AnchorCrossEntropyLoss()(logits, torch.tensor([[3, 2, 2]]))


def _scenes_ssd_batch():
    cfg = Config.fromfile(
        config_path('fashion_mnist/student_ssd-r18w8_fmnist-scenes.py'))
    torch.manual_seed(0)
    model = MODELS.build(
        resolve_model_cfg(
            dict(cfg.model, data_preprocessor=cfg.data_preprocessor)))
    data = model.data_preprocessor(det_batch(2, 64, num_classes=10), True)
    return cfg.model, model, data['inputs'], data['data_samples']


def test_equals_ssd_head_loss_cls_with_its_own_assignment():
    """All 4 levels at once: mmdet's SSDHead.loss_by_feat (hard negatives
    mined over the levels of an image, over the batch's positives); the
    labels from the head's get_targets and, identically, from
    AnchorTargetsConnector on the data samples."""
    model_cfg, model, inputs, samples = _scenes_ssd_batch()
    head = model.bbox_head
    with torch.no_grad():
        scores, boxes = head(model.extract_feat(inputs))
    gts = [s.gt_instances for s in samples]
    metas = [s.metainfo for s in samples]
    expected = sum(head.loss_by_feat(scores, boxes, gts, metas)['loss_cls'])
    anchors, valid = head.get_anchors([s.shape[-2:] for s in scores], metas,
                                      device='cpu')
    labels = head.get_targets(anchors, valid, gts, metas)[0]
    assert sum(int((lv < 10).sum()) for lv in labels) > 0  # positives
    loss = AnchorCrossEntropyLoss(neg_pos_ratio=3)(list(scores), labels)
    assert torch.allclose(loss, expected, rtol=1e-5)

    # built from the head's config, under our runs' default scope (mmdet's
    # components are built in mmdet's)
    with DefaultScope.overwrite_default_scope('mmfeatdistill'):
        connector = MODELS.build(
            dict(type='AnchorTargetsConnector',
                 anchor_generator=model_cfg.bbox_head.anchor_generator,
                 assigner=model_cfg.train_cfg.assigner, num_classes=10))
    levels = connector(samples)
    assert levels.is_nested
    for k, (lv, ref) in enumerate(zip(levels.unbind(), labels)):
        assert lv.shape[1:] == scores[k].shape[2:] + (6, )
        assert torch.equal(lv.reshape(2, -1), ref)
        assert torch.equal(
            AnchorTargetsConnector(
                anchor_generator=model_cfg.bbox_head.anchor_generator,
                assigner=model_cfg.train_cfg.assigner, num_classes=10,
                level=k)(samples), ref)
        # one level (a TOFD anchor head's): its own mining, over its own
        # positives; the nested labels give the level of the map's size
        one = AnchorCrossEntropyLoss()(scores[k], ref)
        assert torch.equal(one, AnchorCrossEntropyLoss()(scores[k], levels))
        if (ref < 10).any():
            # SSD's formula on one level: its own loss_by_feat_single
            flat = scores[k].permute(0, 2, 3, 1).reshape(2, -1, 11)
            zeros = flat.new_zeros(flat.shape[1], 4)
            per_image = [
                head.loss_by_feat_single(
                    flat[i], zeros, zeros, ref[i],
                    torch.ones_like(ref[i], dtype=torch.float), zeros, zeros,
                    avg_factor=int((ref < 10).sum()))[0] for i in range(2)
            ]
            assert torch.allclose(one, sum(per_image), rtol=1e-5)
    with pytest.raises(ValueError, match='one level of each map size'):
        AnchorCrossEntropyLoss()(scores[0][:, :, :3], levels)
