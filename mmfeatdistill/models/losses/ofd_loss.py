"""OFD's partial L2 distance."""
from typing import Tuple

import torch

from mmfeatdistill.registry import MODELS
from .base_distill_loss import BaseDistillLoss


class PartialL2(torch.autograd.Function):
    """``sum(mask * (s - t)^2)`` with ``mask = (s > t) | (t > 0)``, keeping
    one tensor for backward.

    The plain formula ``((s - t).pow(2) * mask).sum()`` makes autograd keep
    ``s - t`` (for ``pow``) and the mask (for the product) until backward,
    and allocates ``s - t``, its square and the masked square in the
    forward. Here the forward computes ``r = (s - t) * mask`` in place,
    sums ``r.pow(2)`` and keeps only ``r``; the backward returns
    ``grad * (2 * r)`` for ``s`` and nothing for ``t`` (the teacher's side
    gets no gradient, as with ``t.detach()``).

    Values and gradients equal the plain formula's bit for bit: ``r`` is
    ``s - t`` or zero element by element, so ``r.pow(2)`` holds the same
    values as ``(s - t).pow(2) * mask`` and is summed in the same order;
    autograd's gradient of the plain formula is ``(grad * mask) * (2 * (s -
    t))``, which rounds once, as ``grad * (2 * r)`` does (only the sign of a
    zero may differ). ``tests/test_models/test_losses/test_ofd_loss.py``
    checks both against the plain formula.
    """

    @staticmethod
    def forward(ctx, s: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        residual = s - t
        residual.mul_((s > t) | (t > 0))
        ctx.save_for_backward(residual)
        return residual.pow(2).sum()

    @staticmethod
    def backward(ctx, grad: torch.Tensor) -> Tuple[torch.Tensor, None]:
        residual, = ctx.saved_tensors
        return grad * (2 * residual), None


def partial_l2(s: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
    """OFD's partial L2 summed over all elements (see :class:`PartialL2`);
    ``t`` gets no gradient."""
    return PartialL2.apply(s, t.detach())


@MODELS.register_module()
class OFDLoss(BaseDistillLoss):
    """Partial L2 between a student feature and a margin-ReLU'd teacher one.

    ``loss = loss_weight * sum(mask * (s - t)^2) / B`` with
    ``mask = (s > t) | (t > 0)``: summed over every element (batch,
    channels, space) and divided by the batch size only. Where the teacher
    is negative (inactive) and the student is already below it, there is no
    loss and no gradient. OFD's layer weights ``1 / 2^(n-1-i)`` and alpha go
    into ``loss_weight`` in the configs. Computed in float32, by
    :class:`PartialL2`: the step keeps one tensor of the feature's size for
    backward instead of two (values and gradients unchanged).

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
        loss = partial_l2(s, t) / s.size(0)
        return self.loss_weight * loss
