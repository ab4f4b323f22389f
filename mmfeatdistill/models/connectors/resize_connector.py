"""Spatial alignment of a feature map by interpolation."""
from typing import Optional, Sequence, Union

import torch
import torch.nn.functional as F

from mmfeatdistill.registry import MODELS
from mmfeatdistill.utils.checks import check_exactly_one
from .base_connector import BaseConnector


@MODELS.register_module()
class ResizeConnector(BaseConnector):
    """Interpolate a (B, C, H, W) map to a fixed ``size`` or by
    ``scale_factor`` (e.g. 2 for a stride-16 student map against a stride-8
    teacher map: the ratio does not depend on the input size).

    Args:
        size (int | tuple[int, int], optional): Output (h, w).
        scale_factor (float, optional): Output size / input size.
        mode (str): ``F.interpolate`` mode. Defaults to ``'bilinear'``.
        align_corners (bool, optional): Defaults to False for the linear
            modes, None otherwise.
    """

    def __init__(self, size: Optional[Union[int, Sequence[int]]] = None,
                 scale_factor: Optional[float] = None, mode: str = 'bilinear',
                 align_corners: Optional[bool] = None) -> None:
        super().__init__()
        check_exactly_one('ResizeConnector', size=size,
                          scale_factor=scale_factor)
        self.size = tuple(size) if isinstance(size, (list, tuple)) else size
        self.scale_factor = scale_factor
        self.mode = mode
        if align_corners is None and mode in ('linear', 'bilinear', 'bicubic',
                                              'trilinear'):
            align_corners = False
        self.align_corners = align_corners

    def forward(self, feature: torch.Tensor) -> torch.Tensor:
        if feature.dim() != 4:
            raise ValueError(f'ResizeConnector needs (B, C, H, W) maps, got '
                             f'{tuple(feature.shape)}')
        return F.interpolate(feature, size=self.size,
                             scale_factor=self.scale_factor, mode=self.mode,
                             align_corners=self.align_corners)
