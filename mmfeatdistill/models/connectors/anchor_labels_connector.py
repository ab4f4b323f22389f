"""Anchor labels of one feature level out of a recorded ``get_targets``."""
from typing import Sequence

import torch

from mmfeatdistill.registry import MODELS
from .base_connector import BaseConnector


@MODELS.register_module()
class AnchorLabelsConnector(BaseConnector):
    """Pick level ``level``'s (B, h * w * A) anchor labels.

    Record the targets an mmdet anchor head's assigner produced with
    ``dict(type='MethodOutputRecorder', source='bbox_head.get_targets')``
    (mmdet 3.x ``AnchorHead.get_targets`` returns ``(labels_list, ...)``
    with one (B, num_anchors_of_level) tensor per level; positives carry the
    class index, background ``num_classes``).

    Args:
        level (int): Feature level (0 = the first, largest map).
    """

    produces_targets = True

    def __init__(self, level: int) -> None:
        super().__init__()
        self.level = level

    def forward(self, targets: Sequence) -> torch.Tensor:
        labels_list = targets[0]
        if not 0 <= self.level < len(labels_list):
            raise IndexError(
                f'AnchorLabelsConnector(level={self.level}): the recorded '
                f'targets have {len(labels_list)} levels.')
        return labels_list[self.level]
