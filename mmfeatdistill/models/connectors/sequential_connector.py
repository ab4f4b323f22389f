"""Several connectors applied in turn."""
from typing import List, Optional

import torch
from torch import nn

from mmfeatdistill.registry import MODELS
from .base_connector import BaseConnector


@MODELS.register_module()
class SequentialConnector(BaseConnector):
    """``connectors[-1](... connectors[0](x))``, e.g. a projector ensemble
    then a resize. ``prepare`` and ``init_weights`` reach every part.

    Args:
        connectors (list[dict]): Connector configs, applied in order.
    """

    def __init__(self, connectors: List[dict],
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg)
        if not connectors:
            raise ValueError('SequentialConnector needs at least one '
                             'connector')
        self.parts = nn.ModuleList(MODELS.build(cfg) for cfg in connectors)

    @property
    def produces_targets(self) -> bool:  # type: ignore[override]
        """True when a part turns its input into ground-truth targets."""
        return any(
            getattr(part, 'produces_targets', False) for part in self.parts)

    def prepare(self, student: nn.Module, teacher: nn.Module,
                teacher_checkpoint: Optional[dict] = None) -> None:
        for part in self.parts:
            if hasattr(part, 'prepare'):
                part.prepare(student, teacher,
                             teacher_checkpoint=teacher_checkpoint)

    def init_weights(self) -> None:
        for part in self.parts:
            if hasattr(part, 'init_weights'):
                part.init_weights()

    def forward(self, feature: torch.Tensor) -> torch.Tensor:
        for part in self.parts:
            feature = part(feature)
        return feature
