"""Image-level multi-hot labels out of recorded detection data samples."""
from typing import Sequence

import torch

from mmfeatdistill.registry import MODELS
from .base_connector import BaseConnector
from .utils import detection_instances


@MODELS.register_module()
class GTMultiHotConnector(BaseConnector):
    """(B, num_classes) float 0/1: which object classes each image holds.

    Record the samples with
    ``dict(type='MethodInputRecorder', source='bbox_head.loss',
    arg_index=1)`` (mmdet 3.x dense heads' ``loss(x, batch_data_samples)``).

    Args:
        num_classes (int): Object classes.
        field (str): Defaults to ``'gt_instances'``.
    """

    produces_targets = True

    def __init__(self, num_classes: int, field: str = 'gt_instances') -> None:
        super().__init__()
        self.num_classes = num_classes
        self.field = field

    def forward(self, data_samples: Sequence) -> torch.Tensor:
        rows = []
        for i, sample in enumerate(data_samples):
            instances = detection_instances(sample, i, self.field)
            labels = instances.labels.long()
            if labels.numel() and (labels.min() < 0
                                   or labels.max() >= self.num_classes):
                raise ValueError(
                    f'GTMultiHotConnector: labels of sample {i} are outside '
                    f'[0, {self.num_classes}).')
            row = labels.new_zeros(self.num_classes, dtype=torch.float32)
            rows.append(row.index_fill(0, labels, 1.0))
        return torch.stack(rows)
