"""TOFD's feature distance."""
import torch

from mmfeatdistill.registry import MODELS
from .base_distill_loss import BaseDistillLoss


@MODELS.register_module()
class FrobeniusDistanceLoss(BaseDistillLoss):
    """``loss_weight * ||s - t||_F`` over the whole (B, D) difference.

    Not squared and not divided by the batch size (TOFD's released code;
    ``loss_weight = alpha = 0.05``). Teacher side detached, float32.

    Args:
        loss_weight (float): Defaults to 1.0.
    """

    paired_args = (('s_feature', 't_feature'), )

    def forward(self, s_feature: torch.Tensor,
                t_feature: torch.Tensor) -> torch.Tensor:
        diff = s_feature.float() - t_feature.detach().float()
        return self.loss_weight * torch.linalg.norm(diff.flatten())
