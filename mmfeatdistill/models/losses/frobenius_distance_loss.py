"""TOFD's feature distance."""
import torch

from mmfeatdistill.registry import MODELS
from .base_distill_loss import BaseDistillLoss
from .utils import global_norm


@MODELS.register_module()
class FrobeniusDistanceLoss(BaseDistillLoss):
    """``loss_weight * ||s - t||_F`` over the whole (B, D) difference.

    Not squared and not divided by the batch size (TOFD's released code;
    ``loss_weight = alpha = 0.05``). Teacher side detached, float32.

    Dense features (B, D, H, W) (TOFD's per-pixel heads on segmentation):
    the same (B, D) norm at each position, averaged over the positions, so
    that a 1x1 map gives the vector loss and the value does not grow with
    the map size.

    World-size invariant: under data parallelism the norm is over the
    global batch (the ranks' sums of squares are summed across processes)
    and every rank returns its value; the gradient each rank gets is scaled
    so that DDP's averaging gives the single-process gradient of the same
    global batch (see :func:`~mmfeatdistill.models.losses.utils.
    global_norm`). Without a process group it is the plain norm.

    Args:
        loss_weight (float): Defaults to 1.0.
    """

    paired_args = (('s_feature', 't_feature'), )

    def forward(self, s_feature: torch.Tensor,
                t_feature: torch.Tensor) -> torch.Tensor:
        """Args:
            s_feature (Tensor): (B, D) or (B, D, H, W) student feature.
            t_feature (Tensor): Teacher feature, same shape.
        """
        diff = s_feature.float() - t_feature.detach().float()
        if diff.dim() == 4:
            per_position = global_norm(diff.pow(2).sum(dim=(0, 1)))
            return self.loss_weight * per_position.mean()
        return self.loss_weight * global_norm(diff.pow(2).sum())
