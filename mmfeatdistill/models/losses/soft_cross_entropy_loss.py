"""Soft-target cross-entropy at a temperature (TOFD's head distillation)."""
import torch
import torch.nn.functional as F

from mmfeatdistill.registry import MODELS
from mmfeatdistill.utils.checks import check_bool
from .base_distill_loss import BaseDistillLoss


@MODELS.register_module()
class SoftCrossEntropyLoss(BaseDistillLoss):
    """``loss_weight * mean_b [-sum_c softmax(t/T) log_softmax(s/T)]``.

    No ``T^2`` factor (TOFD's released code). ``temperature`` is a plain
    attribute so that ``TemperatureScheduleHook`` can raise it during
    training. Float32. Dense logits (B, C, H, W) (per-pixel heads): classes
    on dim 1, mean over the batch and the positions.

    ``multi_label=True`` (image-level multi-label heads, TOFD on detection):
    each class is its own binary problem, ``loss_weight * mean_{b,c}
    BCE(sigmoid(s/T), sigmoid(t/T))``.

    Args:
        loss_weight (float): Defaults to 1.0.
        temperature (float): T. Defaults to 1.0.
        multi_label (bool): Sigmoid per class instead of a softmax.
            Defaults to False.
    """

    paired_args = (('s_logits', 't_logits'), )

    def __init__(self, loss_weight: float = 1.0, temperature: float = 1.0,
                 multi_label: bool = False) -> None:
        super().__init__(loss_weight)
        self.temperature = temperature
        self.multi_label = check_bool(multi_label,
                                      'SoftCrossEntropyLoss(multi_label=...)')

    def forward(self, s_logits: torch.Tensor,
                t_logits: torch.Tensor) -> torch.Tensor:
        T = self.temperature
        if self.multi_label:
            target = torch.sigmoid(t_logits.detach().float() / T)
            return self.loss_weight * F.binary_cross_entropy_with_logits(
                s_logits.float() / T, target)
        target = F.softmax(t_logits.detach().float() / T, dim=1)
        log_p = F.log_softmax(s_logits.float() / T, dim=1)
        return self.loss_weight * -(target * log_p).sum(dim=1).mean()

    def extra_repr(self) -> str:
        return f'loss_weight={self.loss_weight}, T={self.temperature}'
