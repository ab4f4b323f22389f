"""OFD's partial L2 distance."""
import torch

from mmfeatdistill.registry import MODELS
from .base_distill_loss import BaseDistillLoss


@MODELS.register_module()
class OFDLoss(BaseDistillLoss):
    """Partial L2 between a student feature and a margin-ReLU'd teacher one.

    ``loss = loss_weight * sum(mask * (s - t)^2) / B`` with
    ``mask = (s > t) | (t > 0)``: summed over every element (batch,
    channels, space) and divided by the batch size only. Where the teacher
    is negative (inactive) and the student is already below it, there is no
    loss and no gradient. OFD's layer weights ``1 / 2^(n-1-i)`` and alpha go
    into ``loss_weight`` in the configs. Computed in float32.

    Args:
        loss_weight (float): Defaults to 1.0.
    """

    paired_args = (('s_feature', 't_feature'), )

    def forward(self, s_feature: torch.Tensor,
                t_feature: torch.Tensor) -> torch.Tensor:
        """Args:
            s_feature (Tensor): Student feature after OFDStudentConnector.
            t_feature (Tensor): Teacher feature after OFDTeacherConnector.
        """
        s = s_feature.float()
        t = t_feature.detach().float()
        mask = (s > t) | (t > 0)
        loss = ((s - t).pow(2) * mask).sum() / s.size(0)
        return self.loss_weight * loss
