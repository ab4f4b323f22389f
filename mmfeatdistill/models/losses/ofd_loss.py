"""OFD's partial L2 distance."""
from typing import Tuple

import torch

from mmfeatdistill.registry import MODELS
from .base_distill_loss import BaseDistillLoss

#: elements squared at a time when summing squares (16 MiB of float32)
SQUARE_CHUNK = 1 << 22


def sum_of_squares(x: torch.Tensor, chunk: int = SQUARE_CHUNK) -> torch.Tensor:
    """``x.pow(2).sum()`` without a square of ``x``'s size: the squares are
    made and summed ``chunk`` elements at a time, then the partial sums
    added. Up to ``chunk`` elements it is ``x.pow(2).sum()`` bit for bit;
    beyond, the summation order differs (relative difference ~1e-7 in
    float32).

    Args:
        x (Tensor): Any shape.
        chunk (int): Elements squared at a time. Defaults to
            :data:`SQUARE_CHUNK`.
    """
    if x.numel() <= chunk:
        return x.pow(2).sum()
    # (a non-contiguous ``x`` is copied here: its memory is not saved)
    flat = x.reshape(-1)
    return torch.stack([part.pow(2).sum() for part in flat.split(chunk)]).sum()


class PartialL2(torch.autograd.Function):
    """``sum(mask * (s - t)^2)`` with ``mask = (s > t) | (t > 0)``, keeping
    one tensor for backward.

    The plain formula ``((s - t).pow(2) * mask).sum()`` makes autograd keep
    ``s - t`` (for ``pow``) and the mask (for the product) until backward,
    and allocates ``s - t``, its square and the masked square in the
    forward. Here the forward computes ``r = (s - t) * mask`` in place
    and sums its squares, both ``chunk`` elements at a time (no
    feature-sized mask or square; see :func:`sum_of_squares`), and keeps
    only ``r``; the backward returns ``r * (2 * grad)`` for ``s`` and
    nothing for ``t`` (the teacher's side gets no gradient, as with
    ``t.detach()``).

    Gradients equal the plain formula's bit for bit, and so does the value
    up to ``chunk`` elements: ``r`` is ``s - t`` or zero element by
    element, so ``r.pow(2)`` holds the same values as ``(s - t).pow(2) *
    mask`` and is summed in the same order; autograd's gradient of the
    plain formula is ``(grad * mask) * (2 * (s - t))``, which rounds once,
    as ``r * (2 * grad)`` does (doubling is exact; only the sign of a zero
    may differ). Beyond
    ``chunk`` elements the value is summed in chunks (relative difference
    ~1e-7). ``tests/test_models/test_losses/test_ofd_loss.py`` checks both
    against the plain formula.
    """

    @staticmethod
    def forward(ctx, s: torch.Tensor, t: torch.Tensor,
                chunk: int = SQUARE_CHUNK) -> torch.Tensor:
        residual = s - t
        if s.shape == t.shape and residual.is_contiguous() \
                and s.is_contiguous() and t.is_contiguous():
            # masked and squared a chunk at a time: no feature-sized mask
            # or square besides the residual itself
            parts = zip(*(x.view(-1).split(chunk) for x in (residual, s, t)))
            sums = []
            for r, s_part, t_part in parts:
                r.mul_((s_part > t_part) | (t_part > 0))
                sums.append(r.pow(2).sum())
            total = sums[0] if len(sums) == 1 else torch.stack(sums).sum()
        else:  # channels_last, broadcasting: the same on whole tensors
            residual.mul_((s > t) | (t > 0))
            total = sum_of_squares(residual, chunk)
        ctx.save_for_backward(residual)
        return total

    @staticmethod
    def backward(ctx, grad: torch.Tensor) -> Tuple[torch.Tensor, None, None]:
        residual, = ctx.saved_tensors
        # = grad * (2 * residual) bit for bit (doubling is exact), with one
        # feature-sized tensor instead of two
        return residual * (2 * grad), None, None


def partial_l2(s: torch.Tensor, t: torch.Tensor,
               chunk: int = SQUARE_CHUNK) -> torch.Tensor:
    """OFD's partial L2 summed over all elements (see :class:`PartialL2`).

    Args:
        s (Tensor): Student feature (float32; :class:`OFDLoss` casts).
        t (Tensor): Teacher target, same shape; gets no gradient.
        chunk (int): Elements masked and squared at a time (> 0).
            Defaults to :data:`SQUARE_CHUNK`.
    """
    if isinstance(chunk, bool) or not isinstance(chunk, int) or chunk <= 0:
        raise ValueError(f'partial_l2: chunk must be a positive int, got '
                         f'{chunk!r}')
    return PartialL2.apply(s, t.detach(), chunk)


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
    backward instead of two and makes no feature-sized square (gradients
    unchanged; values too up to :data:`SQUARE_CHUNK` elements, ~1e-7
    relative beyond).

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
