"""ND on per-pixel embeddings (semantic segmentation)."""
from typing import Optional, Tuple, Union

import torch
import torch.nn.functional as F

from mmfeatdistill.registry import MODELS
from .nd_loss import NDLoss


def _flatten_positions(feature: torch.Tensor) -> torch.Tensor:
    """(B, D, H, W) -> (B * H * W, D), positions in row-major order."""
    return feature.permute(0, 2, 3, 1).reshape(-1, feature.shape[1])


@MODELS.register_module()
class DenseNDLoss(NDLoss):
    """ND's term averaged over the labelled pixels of (B, D, h, w) maps.

    The embedding of a pixel is the decoder feature that enters the
    segmentor's classifier. The loss runs at the feature resolution: the
    (B, H, W) label map is resized to (h, w) by nearest neighbour, pixels
    equal to ``ignore_index`` are skipped, and every remaining pixel is one
    row of :class:`NDLoss` (mean over rows). A batch without a labelled
    pixel gives 0.

    The class means are taken at label resolution: the teacher's map is
    bilinearly upsampled to the label size (``align_corners`` as the head's
    own resize) and averaged per class over the labelled pixels. The
    upsampled map is never built: the per-class sums are ``<U(t), 1_k> =
    <t, U^T 1_k>``, with the adjoint ``U^T`` of the upsampling applied to
    the class masks (one autograd call), so a 512-channel map at 512x512
    costs what its K class masks do.

    Args:
        loss_weight (float): Defaults to 1.0.
        class_means (str | Tensor, optional): See :class:`NDLoss`.
        ignore_index (int): Label of unlabelled pixels. Defaults to 255
            (mmseg).
        align_corners (bool): Of the upsampling for the class means.
            Defaults to False (mmseg's decode heads).
    """

    row_kind = 'pixel'
    allow_empty_classes = True

    def __init__(self, loss_weight: float = 1.0,
                 class_means: Optional[Union[str, torch.Tensor]] = None,
                 ignore_index: int = 255, align_corners: bool = False) -> None:
        super().__init__(loss_weight, class_means)
        self.ignore_index = ignore_index
        self.align_corners = align_corners

    def _label_map(self, labels: torch.Tensor) -> torch.Tensor:
        if labels.dim() == 4 and labels.shape[1] == 1:
            labels = labels[:, 0]
        if labels.dim() != 3:
            raise ValueError(f'{type(self).__name__} needs (B, H, W) label '
                             f'maps, got {tuple(labels.shape)}')
        return labels.long()

    def rows(self, feature: torch.Tensor,
             labels: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
        """One row per labelled pixel at the feature resolution."""
        labels = self._label_map(labels)
        if feature.dim() != 4 or feature.shape[0] != labels.shape[0]:
            raise ValueError(
                f'{type(self).__name__} needs (B, D, h, w) maps for the '
                f'(B, H, W) labels {tuple(labels.shape)}, got '
                f'{tuple(feature.shape)}')
        small = F.interpolate(labels[:, None].float(), size=feature.shape[2:],
                              mode='nearest')[:, 0].long()
        keep = (small != self.ignore_index).flatten()
        return (_flatten_positions(feature)[keep],
                small.flatten()[keep].to(feature.device))

    @torch.no_grad()
    def class_sums(self, t_feature: torch.Tensor, labels: torch.Tensor,
                   num_classes: int) -> Tuple[torch.Tensor, torch.Tensor]:
        """Sums of the upsampled teacher map over each class's labelled
        pixels at label resolution, and the pixel counts (float64)."""
        labels = self._label_map(labels).to(t_feature.device)
        valid = labels != self.ignore_index
        if valid.any() and (labels[valid].min() < 0
                            or labels[valid].max() >= num_classes):
            raise ValueError(
                f'{type(self).__name__}: labels must be in [0, '
                f'{num_classes}) or {self.ignore_index}, got values in '
                f'[{labels[valid].min().item()}, '
                f'{labels[valid].max().item()}].')
        masks = F.one_hot(torch.where(valid, labels, 0), num_classes)
        masks = (masks * valid[..., None]).permute(0, 3, 1, 2).float()
        b, d, h, w = t_feature.shape
        with torch.enable_grad():
            probe = torch.zeros(b, num_classes, h, w, device=masks.device,
                                requires_grad=True)
            up = F.interpolate(probe, size=masks.shape[2:], mode='bilinear',
                               align_corners=self.align_corners)
            weights, = torch.autograd.grad((up * masks).sum(), probe)
        sums = torch.einsum('bkhw,bdhw->kd', weights.double(),
                            t_feature.double())
        return sums.cpu(), masks.sum(dim=(0, 2, 3)).double().cpu()
