"""ND's embedding transform for students narrower than the teacher."""
from typing import Optional

import torch
from torch import nn

from mmfeatdistill.registry import MODELS
from .base_connector import BaseConnector


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
        self.pool_maps = pool_maps
        self.bn = nn.BatchNorm1d(in_channels)
        self.dropout = nn.Dropout(dropout)
        self.fc = nn.Linear(in_channels, out_channels)

    def init_weights(self) -> None:
        """PyTorch's default init (kept from construction)."""

    def forward(self, feature: torch.Tensor) -> torch.Tensor:
        if feature.dim() == 4:
            if self.pool_maps:
                feature = feature.mean(dim=(2, 3))
            else:
                b, c, h, w = feature.shape
                rows = feature.permute(0, 2, 3, 1).reshape(-1, c)
                out = self.fc(self.dropout(self.bn(rows)))
                return out.reshape(b, h, w, -1).permute(0, 3, 1, 2)
        return self.fc(self.dropout(self.bn(feature)))
