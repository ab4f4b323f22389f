"""TOFD's feature distance."""
import torch

from mmfeatdistill.registry import MODELS
from .base_distill_loss import BaseDistillLoss


@MODELS.register_module()
class FrobeniusDistanceLoss(BaseDistillLoss):
    """``loss_weight * ||s - t||_F`` over the whole (B, D) difference.

    Not squared and not divided by the batch size (TOFD's released code;
    ``loss_weight = alpha = 0.05``). Teacher side detached, float32.

    Dense features (B, D, H, W) (TOFD's per-pixel heads on segmentation):
    the same (B, D) norm at each position, averaged over the positions, so
    that a 1x1 map gives the vector loss and the value does not grow with
    the map size.

    Args:
        loss_weight (float): Defaults to 1.0.
    """

    paired_args = (('s_feature', 't_feature'), )

    def forward(self, s_feature: torch.Tensor,
                t_feature: torch.Tensor) -> torch.Tensor:
        diff = s_feature.float() - t_feature.detach().float()
        if diff.dim() == 4:
            per_position = diff.pow(2).sum(dim=(0, 1)).sqrt()
            return self.loss_weight * per_position.mean()
        return self.loss_weight * torch.linalg.norm(diff.flatten())
