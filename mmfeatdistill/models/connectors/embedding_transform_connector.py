"""ND's embedding transform for students narrower than the teacher."""
from typing import Optional

import torch
from torch import nn

from mmfeatdistill.registry import MODELS
from .base_connector import BaseConnector


@MODELS.register_module()
class EmbeddingTransformConnector(BaseConnector):
    """``Linear(Dropout(BN1d(s)))``: maps a (B, D_s) embedding to D_t.

    Args:
        in_channels (int): D_s.
        out_channels (int): D_t.
        dropout (float): Defaults to 0.5 (ND's released code).
        init_cfg (dict, optional): Unused.
    """

    def __init__(self, in_channels: int, out_channels: int,
                 dropout: float = 0.5,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg)
        self.bn = nn.BatchNorm1d(in_channels)
        self.dropout = nn.Dropout(dropout)
        self.fc = nn.Linear(in_channels, out_channels)

    def init_weights(self) -> None:
        """PyTorch's default init (kept from construction)."""

    def forward(self, feature: torch.Tensor) -> torch.Tensor:
        if feature.dim() == 4:
            feature = feature.mean(dim=(2, 3))
        return self.fc(self.dropout(self.bn(feature)))
