"""Ground-truth labels out of recorded data samples."""
from typing import Sequence

import torch

from mmfeatdistill.registry import MODELS
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

    def __init__(self, field: str = 'gt_label') -> None:
        super().__init__()
        self.field = field

    def forward(self, data_samples: Sequence) -> torch.Tensor:
        labels = []
        for i, sample in enumerate(data_samples):
            value = getattr(sample, self.field, None)
            if value is None:
                raise KeyError(
                    f'GTLabelConnector: data sample {i} has no '
                    f'{self.field!r}; record the samples that carry labels '
                    f"(e.g. MethodInputRecorder(source='head.loss', "
                    f'arg_index=1)).')
            labels.append(torch.as_tensor(value).reshape(-1)[:1])
        return torch.cat(labels).long()
