"""Ground-truth labels out of recorded data samples."""
from typing import Sequence

import torch

from mmfeatdistill.registry import MODELS
from mmfeatdistill.utils.data_samples import gt_labels
from .base_connector import BaseConnector


@MODELS.register_module()
class GTLabelConnector(BaseConnector):
    """Turn recorded data samples into a (B,) LongTensor of labels.

    Record the samples with e.g.
    ``dict(type='MethodInputRecorder', source='head.loss', arg_index=1)``
    (mmpretrain's ``ImageClassifier.loss`` hands them to its head), then map
    ``labels=dict(from_student=True, recorder='samples',
    connector='labels')``: labels travel like features, with no special case
    in the distiller.

    Args:
        field (str): The field of each sample. Defaults to ``'gt_label'``
            (mmpretrain's ``DataSample``).
    """

    produces_targets = True

    def __init__(self, field: str = 'gt_label') -> None:
        super().__init__()
        self.field = field

    def forward(self, data_samples: Sequence) -> torch.Tensor:
        return gt_labels(data_samples, self.field)
