"""A convolution (+ optional norm / activation) connector."""
from typing import Optional

import torch
from mmcv.cnn import ConvModule

from mmfeatdistill.registry import MODELS
from .base_connector import BaseConnector
from .utils import check_channels


@MODELS.register_module()
class ConvConnector(BaseConnector):
    """Map a (B, C_in, H, W) feature to C_out channels with a conv module.

    Args:
        in_channels (int): Channels of the recorded feature.
        out_channels (int): Channels of the feature it is compared with.
        kernel_size (int): Defaults to 1.
        norm_cfg (dict, optional): e.g. ``dict(type='BN')``. Defaults to None.
        act_cfg (dict, optional): e.g. ``dict(type='ReLU')``. Defaults to None.
        init_cfg (dict, optional): MMEngine init config.
    """

    def __init__(self, in_channels: int, out_channels: int,
                 kernel_size: int = 1, norm_cfg: Optional[dict] = None,
                 act_cfg: Optional[dict] = None,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg)
        self.in_channels = in_channels
        self.conv = ConvModule(in_channels, out_channels, kernel_size,
                               padding=kernel_size // 2, norm_cfg=norm_cfg,
                               act_cfg=act_cfg)

    def forward(self, feature: torch.Tensor) -> torch.Tensor:
        check_channels(self, feature, self.in_channels)
        return self.conv(feature)
