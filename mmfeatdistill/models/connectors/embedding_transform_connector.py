"""ND's embedding transform for students narrower than the teacher."""
import warnings
from typing import Optional

import torch
from torch import nn

from mmfeatdistill.registry import MODELS
from .base_connector import BaseConnector
from .utils import check_channels, linear_map, pool_maps


@MODELS.register_module()
class EmbeddingTransformConnector(BaseConnector):
    """``Linear(Dropout(BN1d(s)))``: maps a (B, D_s) embedding to D_t.

    (B, D_s, H, W) maps are average-pooled first (``pool_maps=True``) or,
    for per-pixel / per-anchor embeddings (``pool_maps=False``), transformed
    at every position: the BN statistics are taken over batch and positions
    (as ``BatchNorm2d``), the dropout drops single elements, and the linear
    map is a 1x1 convolution; the output is a (B, D_t, H, W) map.

    Args:
        in_channels (int): D_s.
        out_channels (int): D_t.
        dropout (float): Defaults to 0.5 (ND's released code).
        pool_maps (bool): Pool 4-D inputs (default) or transform them
            position-wise.
        init_cfg (dict, optional): Unused.
    """

    def __init__(self, in_channels: int, out_channels: int,
                 dropout: float = 0.5, pool_maps: bool = True,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg)
        self.in_channels = in_channels
        self.pool_maps = pool_maps
        self.bn = nn.BatchNorm1d(in_channels)
        self.dropout = nn.Dropout(dropout)
        self.fc = nn.Linear(in_channels, out_channels)

    def init_weights(self) -> None:
        """PyTorch's default init (kept from construction)."""

    def _normalise(self, feature: torch.Tensor) -> torch.Tensor:
        """BN over the batch (and positions of a map). A training batch
        with a single row (a last batch of one sample) has no batch
        statistics: it is normalised with the running statistics instead
        of stopping the run (BatchNorm1d would raise)."""
        rows = feature.flatten(2) if feature.dim() == 4 else feature
        single = self.training and rows.shape[0] * (
            rows.shape[2] if rows.dim() == 3 else 1) == 1
        if single:
            warnings.warn(
                f'{type(self).__name__}: a training batch of one row; its BN '
                f'uses the running statistics for this batch (set '
                f'drop_last=True in the train dataloader to avoid it).')
            self.bn.eval()
        try:
            out = self.bn(rows)
        finally:
            if single:
                self.bn.train()
        return out.view_as(feature)

    def forward(self, feature: torch.Tensor) -> torch.Tensor:
        check_channels(self, feature, self.in_channels)
        feature = pool_maps(feature, self.pool_maps)
        return linear_map(self.fc, self.dropout(self._normalise(feature)))
