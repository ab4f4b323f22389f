"""Base class of the distillation losses."""
from typing import Tuple

from torch import nn


class BaseDistillLoss(nn.Module):
    """A distillation loss with a config-set ``loss_weight``.

    ``loss_weight`` is a plain attribute so that hooks can schedule it (e.g.
    the KD warm-up of KD++).

    Subclasses list in ``paired_args`` the forward arguments whose shapes must
    be equal; the distiller checks them before the call and names the loss,
    both recorders and both shapes when they differ.

    Args:
        loss_weight (float): Factor applied to the loss. Defaults to 1.0.
    """

    paired_args: Tuple[Tuple[str, str], ...] = ()

    def __init__(self, loss_weight: float = 1.0) -> None:
        super().__init__()
        self.loss_weight = loss_weight

    def extra_repr(self) -> str:
        return f'loss_weight={self.loss_weight}'
