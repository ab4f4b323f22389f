"""ND on the features at an anchor-based detector's positive anchors."""
from typing import Tuple

import torch

from mmfeatdistill.registry import MODELS
from .dense_nd_loss import _flatten_positions
from .nd_loss import NDLoss


@MODELS.register_module()
class AnchorNDLoss(NDLoss):
    """ND's term averaged over the positive anchors of one feature level.

    ``labels`` are the level's anchor labels that the detection head's own
    assigner produced, (B, h * w * A) in mmdet's anchor order (position
    major, then the A anchors of a position), ``0 .. K - 1`` for positive
    anchors and ``K`` (mmdet's background) or negative values for the rest.
    Record them with ``MethodOutputRecorder(source='bbox_head.get_targets')``
    and pick the level with ``AnchorLabelsConnector``. The embedding of a
    positive anchor is the level's feature at the anchor's position: a
    position with several positive anchors counts once per anchor. A level
    without a positive anchor in the batch gives 0.

    Args:
        loss_weight (float): Defaults to 1.0.
        class_means (str | Tensor, optional): See :class:`NDLoss`; one mean
            per object class (K rows, no background).
    """

    row_kind = 'anchor'
    allow_empty_classes = True

    def rows(self, feature: torch.Tensor,
             labels: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
        """One row per positive anchor."""
        if feature.dim() != 4 or labels.dim() != 2 or \
                labels.shape[0] != feature.shape[0] or \
                labels.shape[1] % (feature.shape[2] * feature.shape[3]):
            raise ValueError(
                f'{type(self).__name__}: anchor labels {tuple(labels.shape)} '
                f'do not fit the feature map {tuple(feature.shape)}: '
                f'expected (B, h * w * A) for a (B, D, h, w) map; check that '
                f'the connector picks the level of this feature.')
        b, d, h, w = feature.shape
        anchors = labels.shape[1] // (h * w)
        num_classes = self.class_means.shape[0] if self.class_means.numel() \
            else None
        labels = labels.to(feature.device).long().flatten()
        positive = labels >= 0
        if num_classes is not None:
            positive &= labels < num_classes
        index = positive.nonzero().flatten()
        # row b * h * w * A + p * A + a of the labels is position b*h*w + p
        return _flatten_positions(feature)[index // anchors], labels[index]

    @torch.no_grad()
    def class_sums(self, t_feature: torch.Tensor, labels: torch.Tensor,
                   num_classes: int) -> Tuple[torch.Tensor, torch.Tensor]:
        """Per-class sums and counts over the positive anchors (labels
        ``>= num_classes`` are background)."""
        keep = (labels >= 0) & (labels < num_classes)
        return super().class_sums(t_feature, torch.where(keep, labels, -1),
                                  num_classes)
