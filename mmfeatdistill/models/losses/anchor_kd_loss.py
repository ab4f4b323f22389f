"""KD on an anchor head's class scores, over the anchors its own
classification loss uses."""
from typing import Sequence

import torch
import torch.nn.functional as F

from mmfeatdistill.registry import MODELS
from .base_distill_loss import BaseDistillLoss
from .utils import global_mean_over_rows


def anchor_scores(scores: Sequence[torch.Tensor],
                  labels: Sequence[torch.Tensor]) -> torch.Tensor:
    """Per-level (B, A_l * K', h, w) class scores as (B, N, K'), in mmdet's
    anchor order (levels, then positions, then the A_l anchors of a
    position), as ``SSDHead.loss_by_feat`` flattens them; each level's
    anchors per position from its (B, h * w * A_l) labels."""
    rows = []
    for s, lv in zip(scores, labels):
        positions = s.shape[2] * s.shape[3]
        if lv.shape[1] % positions or s.shape[1] % (lv.shape[1] // positions):
            raise ValueError(
                f'AnchorKDLoss: {lv.shape[1]} anchor labels do not fit a '
                f'class-score map of shape {tuple(s.shape)}.')
        anchors = lv.shape[1] // positions
        rows.append(
            s.permute(0, 2, 3, 1).reshape(s.shape[0], -1,
                                          s.shape[1] // anchors))
    return torch.cat(rows, 1)


@MODELS.register_module()
class AnchorKDLoss(BaseDistillLoss):
    """KD between the teacher's and the student's class scores of an anchor
    head (softmax over the K classes and the background), over the anchors
    the head's own classification loss uses.

    For SSD (mmdet's ``SSDHead``) those are the positive anchors its
    assigner matched and, per image, the ``neg_pos_ratio`` x (number of
    positives) negatives with the largest cross-entropy of the student
    against the background (SSD's hard negative mining, the same ranking).
    ``loss = loss_weight * T^2 * mean over those anchors of
    KL(softmax(t / T) || softmax(s / T))``, the mean over every process's
    anchors under DDP (as one process over the whole batch); a batch
    without a positive anchor gives 0. The ranking takes no gradient; the
    scores are taken in float32. One level may be given as tensors instead
    of lists.

    Record both heads' outputs with ``MethodOutputRecorder(source=
    'bbox_head.forward')`` (``index=0``: the per-level class scores) and the
    student head's targets with ``MethodOutputRecorder(source=
    'bbox_head.get_targets')`` (``index=0``: the per-level labels, the
    class index for positives and K for the background).

    Args:
        tau (float): Temperature T. Defaults to 1.0.
        neg_pos_ratio (int): Hard negatives per positive, per image.
            Defaults to 3 (SSD's ``train_cfg.neg_pos_ratio``).
        t_square (bool): Multiply by T^2. Defaults to True.
        loss_weight (float): Defaults to 1.0.
    """

    paired_args = (('s_scores', 't_scores'), )

    def __init__(self, tau: float = 1.0, neg_pos_ratio: int = 3,
                 t_square: bool = True, loss_weight: float = 1.0) -> None:
        super().__init__(loss_weight)
        if tau <= 0:
            raise ValueError(f'AnchorKDLoss: tau must be positive, got {tau}')
        if isinstance(neg_pos_ratio, bool) or not isinstance(
                neg_pos_ratio, int) or neg_pos_ratio < 0:
            raise ValueError(f'AnchorKDLoss: neg_pos_ratio must be an int '
                             f'>= 0, got {neg_pos_ratio!r}')
        self.tau = tau
        self.neg_pos_ratio = neg_pos_ratio
        self.t_square = t_square

    def forward(self, s_scores: Sequence[torch.Tensor],
                t_scores: Sequence[torch.Tensor],
                labels: Sequence[torch.Tensor]) -> torch.Tensor:
        """Args:
            s_scores (list[Tensor]): The student's per-level class scores,
                (B, A * (K + 1), h, w).
            t_scores (list[Tensor]): The teacher's, of the same shapes.
            labels (list[Tensor]): Per-level anchor labels (B, h * w * A).
        """
        # one level may come as a tensor
        s_scores, t_scores, labels = ([x] if isinstance(x, torch.Tensor) else
                                      list(x)
                                      for x in (s_scores, t_scores, labels))
        if len(s_scores) != len(t_scores) or len(s_scores) != len(labels):
            raise ValueError(
                f'AnchorKDLoss: {len(s_scores)} student levels, '
                f'{len(t_scores)} teacher levels and {len(labels)} label '
                f'levels; record the class scores of both heads '
                f'(bbox_head.forward, index 0) and the student\'s targets '
                f'(bbox_head.get_targets, index 0).')
        bad = [(tuple(s.shape), tuple(t.shape))
               for s, t in zip(s_scores, t_scores) if s.shape != t.shape]
        if bad:
            raise ValueError(
                f'AnchorKDLoss: the teacher\'s class scores do not have the '
                f'student\'s shapes {bad}: both heads need the same classes '
                f'and anchors.')
        size = labels[0].shape[0]
        labels = [lv.reshape(size, -1) for lv in labels]
        label = torch.cat(labels, 1).to(s_scores[0].device).long()
        s = anchor_scores([x.float() for x in s_scores], labels)
        t = anchor_scores([x.detach().float() for x in t_scores], labels)
        chosen = self.anchors_used(s.detach(), label)
        log_s = F.log_softmax(s[chosen] / self.tau, dim=-1)
        log_t = F.log_softmax(t[chosen] / self.tau, dim=-1)
        # per anchor; the mean over every rank's anchors (DDP)
        loss = global_mean_over_rows((log_t.exp() * (log_t - log_s)).sum(-1))
        if self.t_square:
            loss = loss * self.tau**2
        return self.loss_weight * loss

    def anchors_used(self, scores: torch.Tensor,
                     labels: torch.Tensor) -> torch.Tensor:
        """(B, N) mask of the positives and each image's hardest negatives
        (by the cross-entropy of ``scores`` against the background)."""
        background = scores.shape[-1] - 1
        positive = (labels >= 0) & (labels < background)
        negative = labels == background
        loss = F.cross_entropy(scores.flatten(0, 1),
                               torch.full_like(labels, background).flatten(),
                               reduction='none').view_as(labels)
        loss = loss.masked_fill(~negative, float('-inf'))
        wanted = torch.minimum(
            positive.sum(1) * self.neg_pos_ratio, negative.sum(1))
        rank = loss.argsort(dim=1, descending=True).argsort(dim=1)
        return positive | (negative & (rank < wanted[:, None]))

    def extra_repr(self) -> str:
        return (f'tau={self.tau}, neg_pos_ratio={self.neg_pos_ratio}, '
                f't_square={self.t_square}, ' + super().extra_repr())
