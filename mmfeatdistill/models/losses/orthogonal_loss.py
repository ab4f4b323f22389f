"""TOFD's orthogonality penalty on a link's weight."""
import torch

from mmfeatdistill.registry import MODELS
from .base_distill_loss import BaseDistillLoss


@MODELS.register_module()
class OrthogonalLoss(BaseDistillLoss):
    """``loss_weight * (||W W^T - I||_F + ||W^T W - I||_F)``.

    Frobenius norms, not squared (TOFD; ``loss_weight = beta = 0.03`` in the
    configs). Computed in float32.

    Args:
        loss_weight (float): Defaults to 1.0.
    """

    def forward(self, weight: torch.Tensor) -> torch.Tensor:
        """Args:
            weight (Tensor): A 2-D weight, e.g. ``Linear.weight``.
        """
        w = weight.float()
        eye_out = torch.eye(w.shape[0], device=w.device)
        eye_in = torch.eye(w.shape[1], device=w.device)
        return self.loss_weight * (torch.linalg.norm(w @ w.t() - eye_out) +
                                   torch.linalg.norm(w.t() @ w - eye_in))
