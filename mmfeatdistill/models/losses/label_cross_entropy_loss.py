"""Cross-entropy of extra logits (an auxiliary head's) with the labels."""
import torch
import torch.nn.functional as F

from mmfeatdistill.registry import MODELS
from .base_distill_loss import BaseDistillLoss
from .utils import global_mean_over_rows


@MODELS.register_module()
class LabelCrossEntropyLoss(BaseDistillLoss):
    """``loss_weight * mean_b CE(logits_b, label_b)`` (float32).

    Three label forms, for the auxiliary heads of each task:

    * (B,) class indices with (B, C) logits (classification);
    * (B, H, W) label maps with (B, C, h, w) logits (segmentation): the
      logits are bilinearly resized to the label size, as mmseg's decode
      heads do, and pixels equal to ``ignore_index`` are skipped;
    * (B, C) multi-hot float targets (detection's image-level classes):
      binary cross-entropy with logits, mean over batch and classes.

    Args:
        loss_weight (float): Defaults to 1.0.
        ignore_index (int): Unlabelled pixels of label maps. Defaults to
            255 (mmseg).
        align_corners (bool): Of the logits' resize. Defaults to False.
    """

    def __init__(self, loss_weight: float = 1.0, ignore_index: int = 255,
                 align_corners: bool = False) -> None:
        super().__init__(loss_weight)
        self.ignore_index = ignore_index
        self.align_corners = align_corners

    def forward(self, logits: torch.Tensor,
                labels: torch.Tensor) -> torch.Tensor:
        logits = logits.float()
        if labels.is_floating_point():
            if labels.shape != logits.shape:
                raise ValueError(
                    f'LabelCrossEntropyLoss: multi-hot targets '
                    f'{tuple(labels.shape)} need logits of the same shape, '
                    f'got {tuple(logits.shape)}')
            return self.loss_weight * F.binary_cross_entropy_with_logits(
                logits, labels.float())
        if logits.dim() == 4:
            if labels.dim() != 3:
                raise ValueError(
                    f'LabelCrossEntropyLoss: (B, C, h, w) logits need '
                    f'(B, H, W) label maps, got {tuple(labels.shape)}')
            logits = F.interpolate(logits, size=labels.shape[1:],
                                   mode='bilinear',
                                   align_corners=self.align_corners)
            # mean over the labelled pixels of every process (world-size
            # invariant: ranks hold different numbers of labelled pixels)
            labels = labels.long()
            per_pixel = F.cross_entropy(logits, labels, reduction='none',
                                        ignore_index=self.ignore_index)
            return self.loss_weight * global_mean_over_rows(
                per_pixel[labels != self.ignore_index])
        # class indices: every index is a class (ImageNet has a class 255)
        return self.loss_weight * F.cross_entropy(logits, labels.long())
