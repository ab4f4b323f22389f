"""Mean squared error between features."""
import torch

from mmfeatdistill.registry import MODELS
from .base_distill_loss import BaseDistillLoss


@MODELS.register_module()
class FeatureMSELoss(BaseDistillLoss):
    """``loss_weight * mean((s - t)^2)`` over every element (FitNets-style).

    The teacher feature is detached. Computed in float32.

    Args:
        loss_weight (float): Defaults to 1.0.
    """

    paired_args = (('s_feature', 't_feature'), )

    def forward(self, s_feature: torch.Tensor,
                t_feature: torch.Tensor) -> torch.Tensor:
        """Args:
            s_feature (Tensor): Student feature (after its connector).
            t_feature (Tensor): Teacher feature, same shape.
        """
        diff = s_feature.float() - t_feature.detach().float()
        return self.loss_weight * diff.pow(2).mean()
