"""PEFD's ensemble of projectors (Chen et al., NeurIPS 2022)."""
from typing import Optional

import torch
from torch import nn

from mmfeatdistill.registry import MODELS
from .base_connector import BaseConnector
from .utils import check_channels, linear_map, pool_maps

_ACTIVATIONS = {'relu': nn.ReLU, 'gelu': nn.GELU, None: nn.Identity}


@MODELS.register_module()
class ProjectorEnsembleConnector(BaseConnector):
    """``f = mean_k act(Linear_k(s))`` over ``num_projectors`` projectors.

    Each projector is ``Linear(in_channels, out_channels)`` with bias and
    PyTorch's default init, followed by the activation. Maps of shape
    (B, C, H, W) are global-average-pooled to (B, C) first when
    ``pool_maps`` is True (PEFD distils the penultimate, pooled feature).

    Dense variant (``pool_maps=False``, detection and segmentation maps):
    each projector runs as a 1x1 convolution on the map (the same
    ``Linear`` weight applied at every position), so the output is a
    (B, out_channels, H, W) map for a position-wise direction alignment.

    Args:
        in_channels (int): Student feature size D_s.
        out_channels (int): Teacher feature size D_t.
        num_projectors (int): q. Defaults to 3 (PEFD).
        act (str, optional): ``'relu'`` (default, PEFD), ``'gelu'`` or None.
        pool_maps (bool): Pool 4-D inputs to vectors (True, default) or
            project them position-wise as 1x1 convolutions (False).
        init_cfg (dict, optional): Unused.
    """

    def __init__(self, in_channels: int, out_channels: int,
                 num_projectors: int = 3, act: Optional[str] = 'relu',
                 pool_maps: bool = True,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg)
        if act not in _ACTIVATIONS:
            raise ValueError(f"act must be 'relu', 'gelu' or None, got "
                             f'{act!r}')
        if num_projectors < 1:
            raise ValueError('num_projectors must be >= 1')
        self.in_channels = in_channels
        self.pool_maps = pool_maps
        self.projectors = nn.ModuleList(
            nn.Sequential(nn.Linear(in_channels, out_channels),
                          _ACTIVATIONS[act]()) for _ in range(num_projectors))

    def init_weights(self) -> None:
        """PyTorch's default Linear init (kept from construction)."""

    def forward(self, feature: torch.Tensor) -> torch.Tensor:
        check_channels(self, feature, self.in_channels)
        feature = pool_maps(feature, self.pool_maps)
        return torch.stack([
            act(linear_map(linear, feature)) for linear, act in self.projectors
        ]).mean(dim=0)
