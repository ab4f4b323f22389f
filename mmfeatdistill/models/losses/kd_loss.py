"""Knowledge distillation on logits (Hinton et al., 2015)."""
import torch
import torch.nn.functional as F

from mmfeatdistill.registry import MODELS
from .base_distill_loss import BaseDistillLoss


def _class_last(logits: torch.Tensor) -> torch.Tensor:
    """(B, C) stays; (B, C, *spatial) becomes (B * prod(spatial), C)."""
    if logits.dim() == 2:
        return logits
    return logits.flatten(2).transpose(1, 2).reshape(-1, logits.size(1))


@MODELS.register_module()
class KDLoss(BaseDistillLoss):
    """KL divergence between temperature-softened teacher and student logits.

    ``loss = loss_weight * T^2 * mean_n KL(softmax(t_n / T) ||
    softmax(s_n / T))``

    where n runs over samples (and positions, for dense logits of shape
    (B, C, H, W): the class axis is 1). The T^2 factor is optional. Computed
    in float32 whatever the input dtype.

    Args:
        tau (float): Temperature T. Defaults to 1.0.
        t_square (bool): Multiply by T^2 (Hinton's gradient scaling).
            Defaults to True.
        loss_weight (float): Defaults to 1.0.
    """

    paired_args = (('s_logits', 't_logits'), )

    def __init__(self, tau: float = 1.0, t_square: bool = True,
                 loss_weight: float = 1.0) -> None:
        super().__init__(loss_weight)
        if tau <= 0:
            raise ValueError(f'tau must be positive, got {tau}')
        self.tau = tau
        self.t_square = t_square

    def forward(self, s_logits: torch.Tensor,
                t_logits: torch.Tensor) -> torch.Tensor:
        """Args:
            s_logits (Tensor): Student logits, (B, C) or (B, C, ...).
            t_logits (Tensor): Teacher logits of the same shape.
        """
        s = _class_last(s_logits.float()) / self.tau
        t = _class_last(t_logits.detach().float()) / self.tau
        loss = F.kl_div(F.log_softmax(s, dim=1), F.log_softmax(t, dim=1),
                        reduction='batchmean', log_target=True)
        if self.t_square:
            loss = loss * self.tau**2
        return self.loss_weight * loss

    def extra_repr(self) -> str:
        return f'tau={self.tau}, t_square={self.t_square}, ' + \
            super().extra_repr()
