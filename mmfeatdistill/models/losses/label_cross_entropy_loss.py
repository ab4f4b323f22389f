"""Cross-entropy of extra logits (an auxiliary head's) with the labels."""
import torch
import torch.nn.functional as F

from mmfeatdistill.registry import MODELS
from .base_distill_loss import BaseDistillLoss


@MODELS.register_module()
class LabelCrossEntropyLoss(BaseDistillLoss):
    """``loss_weight * mean_b CE(logits_b, label_b)`` (float32).

    Args:
        loss_weight (float): Defaults to 1.0.
    """

    def forward(self, logits: torch.Tensor,
                labels: torch.Tensor) -> torch.Tensor:
        return self.loss_weight * F.cross_entropy(logits.float(),
                                                  labels.long())
