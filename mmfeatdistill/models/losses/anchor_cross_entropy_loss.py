"""SSD's classification loss (hard negative mining) on extra per-anchor
logits: the task of TOFD's anchor auxiliary heads."""
from typing import List, Sequence, Tuple, Union

import torch
import torch.nn.functional as F

from mmfeatdistill.registry import MODELS
from .anchor_kd_loss import anchor_scores
from .base_distill_loss import BaseDistillLoss
from .utils import global_sum_per_count

Levels = Union[torch.Tensor, Sequence[torch.Tensor]]


@MODELS.register_module()
class AnchorCrossEntropyLoss(BaseDistillLoss):
    """Cross-entropy of per-anchor logits (the K classes and the
    background) with the anchors' labels, over the anchors SSD's
    classification loss uses, normalised as SSD normalises it.

    As mmdet's ``SSDHead.loss_by_feat`` computes ``loss_cls``: per image,
    every positive anchor (label ``0 .. K - 1``) and the ``neg_pos_ratio``
    x (its positives) negative anchors (label K, the background) with the
    largest cross-entropy (hard negative mining; the ranking takes no
    gradient); ``loss = loss_weight * (sum of their cross-entropies) /
    (positive anchors in the batch)``, the batch of every process under
    DDP. Anchors with another label (e.g. -1) are left out. A batch
    without a positive anchor gives 0 (mmdet divides by zero there).
    Float32.

    Given several levels (lists), the negatives of an image are mined
    over all of them together, exactly as ``SSDHead`` does (tested against
    it). TOFD's anchor heads give one level per loss: each head's negatives
    are mined, and its loss normalised, within its own level.

    Args:
        neg_pos_ratio (int): Hard negatives per positive, per image.
            Defaults to 3 (SSD's ``train_cfg.neg_pos_ratio``).
        loss_weight (float): Defaults to 1.0.
    """

    def __init__(self, neg_pos_ratio: int = 3,
                 loss_weight: float = 1.0) -> None:
        super().__init__(loss_weight)
        if isinstance(neg_pos_ratio, bool) or not isinstance(
                neg_pos_ratio, int) or neg_pos_ratio < 0:
            raise ValueError(f'AnchorCrossEntropyLoss: neg_pos_ratio must '
                             f'be an int >= 0, got {neg_pos_ratio!r}')
        self.neg_pos_ratio = neg_pos_ratio

    def forward(self, logits: Levels, labels: Levels) -> torch.Tensor:
        """Args:
            logits (Tensor | list[Tensor]): Per-level class scores
                (B, A * (K + 1), h, w), mmdet's ``SSDHead`` layout.
            labels (Tensor | list[Tensor]): The levels' anchor labels
                (B, h * w * A), mmdet's anchor order (``AnchorLabelsConnector``
                on the recorded ``get_targets``); or, for one level of
                logits, a nested tensor of every level's (B, h, w, A)
                labels (``AnchorTargetsConnector``), of which the level
                with the logits' map size is used.
        """
        logits, labels = self._levels(logits, labels)
        size = labels[0].shape[0]
        labels = [lv.reshape(size, -1).to(logits[0].device) for lv in labels]
        label = torch.cat(labels, 1).long()
        scores = anchor_scores([x.float() for x in logits], labels)
        background = scores.shape[-1] - 1
        if label.numel() and label.max() > background:
            raise ValueError(
                f'AnchorCrossEntropyLoss: labels up to {label.max().item()} '
                f'for {background} classes and the background: the logits '
                f'need A * (K + 1) channels (K the head\'s classes).')
        positive = (label >= 0) & (label < background)
        negative = label == background
        ce = F.cross_entropy(scores.flatten(0, 1),
                             label.clamp(min=0).flatten(),
                             reduction='none').view_as(label)
        ranked = ce.detach().masked_fill(~negative, float('-inf'))
        wanted = torch.minimum(
            positive.sum(1) * self.neg_pos_ratio, negative.sum(1))
        rank = ranked.argsort(dim=1, descending=True).argsort(dim=1)
        chosen = positive | (negative & (rank < wanted[:, None]))
        loss = global_sum_per_count(ce[chosen].sum(), positive.sum())
        return self.loss_weight * loss

    @staticmethod
    def _levels(logits: Levels,
                labels: Levels) -> Tuple[List[torch.Tensor], List]:
        """The logits' levels and their labels, as two lists."""
        logits = [logits] if isinstance(logits, torch.Tensor) else list(logits)
        if isinstance(labels, torch.Tensor) and labels.is_nested:
            if len(logits) != 1:
                raise ValueError(
                    'AnchorCrossEntropyLoss: every level\'s labels (a nested '
                    'tensor) go with the logits of one level.')
            h, w = logits[0].shape[2:]
            levels = labels.unbind()
            match = [lv for lv in levels if tuple(lv.shape[1:3]) == (h, w)]
            if len(match) != 1:
                raise ValueError(
                    f'AnchorCrossEntropyLoss: the logits are a {h}x{w} map, '
                    f'and {len(match)} of the label levels (sizes '
                    f'{[tuple(lv.shape[1:3]) for lv in levels]}) have that '
                    f'size; the heads need one level of each map size.')
            return logits, match
        labels = [labels] if isinstance(labels, torch.Tensor) else list(labels)
        if len(logits) != len(labels):
            raise ValueError(
                f'AnchorCrossEntropyLoss: {len(logits)} levels of logits and '
                f'{len(labels)} of labels.')
        return logits, labels

    def extra_repr(self) -> str:
        return (f'neg_pos_ratio={self.neg_pos_ratio}, ' + super().extra_repr())
