"""PEFD's modified direction alignment loss."""
import torch
import torch.nn.functional as F

from mmfeatdistill.registry import MODELS
from .base_distill_loss import BaseDistillLoss


@MODELS.register_module()
class DirectionAlignmentLoss(BaseDistillLoss):
    """``loss_weight * (1 - mean_b cos(s_b, t_b))``.

    Cosine similarity over the feature dimension (dim 1) of (B, D) vectors,
    averaged over the batch. PEFD: ``loss_weight = alpha = 25``. Computed in
    float32; the teacher side carries no gradient.

    Args:
        loss_weight (float): Defaults to 1.0.
        eps (float): Of ``F.cosine_similarity``. Defaults to 1e-8.
    """

    paired_args = (('s_feature', 't_feature'), )

    def __init__(self, loss_weight: float = 1.0, eps: float = 1e-8) -> None:
        super().__init__(loss_weight)
        self.eps = eps

    def forward(self, s_feature: torch.Tensor,
                t_feature: torch.Tensor) -> torch.Tensor:
        """Args:
            s_feature (Tensor): (B, D) projected student feature.
            t_feature (Tensor): (B, D) teacher feature.
        """
        cos = F.cosine_similarity(s_feature.float(),
                                  t_feature.detach().float(), dim=1,
                                  eps=self.eps)
        return self.loss_weight * (1 - cos.mean())
