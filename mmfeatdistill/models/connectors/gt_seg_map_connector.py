"""Ground-truth label maps out of recorded segmentation data samples."""
from typing import Sequence

import torch

from mmfeatdistill.registry import MODELS
from mmfeatdistill.utils.data_samples import sample_fields
from .base_connector import BaseConnector


@MODELS.register_module()
class GTSegMapConnector(BaseConnector):
    """Turn recorded mmseg data samples into a (B, H, W) LongTensor.

    Record the samples with
    ``dict(type='MethodInputRecorder', source='decode_head.loss',
    arg_index=1)``; the maps are those the head's loss sees (padded by the
    data preprocessor with ``seg_pad_val``, 255).

    Args:
        field (str): Defaults to ``'gt_sem_seg'`` (mmseg's ``SegDataSample``).
    """

    produces_targets = True

    def __init__(self, field: str = 'gt_sem_seg') -> None:
        super().__init__()
        self.field = field

    def forward(self, data_samples: Sequence) -> torch.Tensor:
        values = sample_fields(
            data_samples, self.field,
            "the samples of the decode head's loss (MethodInputRecorder("
            "source='decode_head.loss', arg_index=1))")
        return torch.stack([v.data.reshape(v.data.shape[-2:])
                            for v in values]).long()
