"""ND: regularising the student's feature direction and norm (Wang et al.,
ECCV 2024)."""
from typing import Optional, Tuple, Union

import torch

from mmfeatdistill.registry import MODELS
from .base_distill_loss import BaseDistillLoss
from .utils import global_mean_over_rows


@MODELS.register_module()
class NDLoss(BaseDistillLoss):
    """``loss_weight * mean_i [1 - <s_i, c_{y_i}/||c_{y_i}||> /
    max(||s_i||, ||t_i||)]``.

    ``c`` are the teacher's per-class mean embeddings (computed before
    training by ``tools/compute_class_means.py`` or ``ClassMeansHook``),
    ``s_i`` the student embedding (in the teacher's space), ``t_i`` the
    teacher's, used without gradient. The projection of ``s_i`` on its class
    direction is pushed up while the max-norm denominator pushes the
    student's norm up to the teacher's. Mean over the batch, float32.

    The class means are a buffer, so checkpoints and resume keep them; the
    buffer takes the shape of a loaded state dict. The loss never reads a
    class-means file itself: ``ClassMeansHook`` (which the ND preset puts in
    ``custom_hooks``) or ``tools/compute_class_means.py`` computes a missing
    file, checks an existing one against the run (classes, embedding size,
    teacher weights) and installs the means with :meth:`set_class_means`.

    Args:
        loss_weight (float): Defaults to 1.0.
        class_means (str | Tensor, optional): Where the class-means file is
            (written by the hook when missing; default: the run's
            ``work_dir/class_means/<loss name>.pth``), or a
            (num_classes, D) tensor.
    """

    paired_args = (('s_feature', 't_feature'), )
    #: what one row of the loss is, for messages of the class-means pass
    row_kind = 'image'
    #: a class without a row in the training set gets a zero mean (with a
    #: warning) instead of stopping the class-means pass
    allow_empty_classes = False

    def __init__(
            self, loss_weight: float = 1.0,
            class_means: Optional[Union[str, torch.Tensor]] = None) -> None:
        super().__init__(loss_weight)
        self.class_means_path = class_means if isinstance(class_means,
                                                          str) else None
        self.register_buffer('class_means', torch.zeros(0, 0))
        if isinstance(class_means, torch.Tensor):
            self.set_class_means(class_means)

    @property
    def has_class_means(self) -> bool:
        """Whether class means are installed (or were loaded with a
        checkpoint)."""
        return self.class_means.numel() > 0

    def set_class_means(self, means: torch.Tensor) -> None:
        """Use ``means`` (num_classes, D)."""
        if means.dim() != 2:
            raise ValueError(f'class means must be (num_classes, D), got '
                             f'{tuple(means.shape)}')
        self.class_means = means.detach().float().clone()

    def _load_from_state_dict(self, state_dict, prefix, *args, **kwargs):
        key = prefix + 'class_means'
        if key in state_dict:
            self.class_means = torch.empty_like(state_dict[key]).float()
        super()._load_from_state_dict(state_dict, prefix, *args, **kwargs)

    def _checked_means(self, s_dim: int,
                       t_dim: Optional[int] = None) -> torch.Tensor:
        """The class means, after checking they exist and fit the student
        (``s_dim``) and teacher (``t_dim``) embedding sizes."""
        if not self.has_class_means:
            raise RuntimeError(
                f'{type(self).__name__} has no class means: add '
                f"dict(type='ClassMeansHook') to custom_hooks (the ND "
                f'preset returns it with the model): before training it '
                f'computes the file when missing, checks it against the run '
                f'and installs the means (class_means='
                f'{self.class_means_path!r}).')
        size = self.class_means.shape[1]
        if t_dim is not None and t_dim != size:
            raise ValueError(
                f'{type(self).__name__}: the class means have size {size} '
                f'but the teacher embedding has size {t_dim}: the means were '
                f'computed for another teacher or position. Delete the '
                f'class-means file ({self.class_means_path!r}; '
                f'ClassMeansHook recomputes it) or point class_means at the '
                f'right one.')
        if s_dim != size:
            raise ValueError(
                f'{type(self).__name__}: the student embedding has size '
                f'{s_dim} but the teacher\'s (and its class means\') '
                f'{size}; map the student to the teacher space with an '
                f'EmbeddingTransformConnector (the nd preset adds one when '
                f'student_channels != teacher_channels: check '
                f'nd(student_channels=..., teacher_channels=...)).')
        return self.class_means

    def nd_terms(self, s: torch.Tensor, t: torch.Tensor,
                 labels: torch.Tensor) -> torch.Tensor:
        """Per-row ``1 - <s_i, c_{y_i}/||c_{y_i}||> / max(||s_i||,
        ||t_i||)`` of (N, D) rows (float32, teacher detached)."""
        means = self._checked_means(s.shape[1], t.shape[1])
        num_classes = means.shape[0]
        if labels.numel() and (labels.min() < 0
                               or labels.max() >= num_classes):
            raise ValueError(f'{type(self).__name__}: labels must be in [0, '
                             f'{num_classes}), got [{labels.min().item()}, '
                             f'{labels.max().item()}].')
        s = s.float()
        t = t.detach().float()
        centers = means.to(s.device)[labels.long()]
        direction = centers / centers.norm(dim=1,
                                           keepdim=True).clamp_min(1e-12)
        projection = (s * direction).sum(dim=1)
        denom = torch.maximum(s.norm(dim=1), t.norm(dim=1)).clamp_min(1e-12)
        return 1 - projection / denom

    def rows(self, feature: torch.Tensor,
             labels: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
        """The (N, D) embeddings and (N,) labels the loss averages over:
        one per image here ((B, C, H, W) maps are average-pooled).
        Dense subclasses return one row per pixel or positive anchor."""
        if feature.dim() == 3:
            raise ValueError(
                f'{type(self).__name__} reads one embedding per image, got '
                f'a (B, N, C) token sequence {tuple(feature.shape)}: pool it '
                f"to the class token or the mean token (nd(tokens='cls' | "
                f"'mean'), teacher_tokens= for the teacher's side), or "
                f"record the backbone with out_type='cls_token' or "
                f"'avg_featmap'.")
        if feature.dim() == 4:
            feature = feature.mean(dim=(2, 3))
        return feature, labels.reshape(-1)

    def forward(self, s_feature: torch.Tensor, t_feature: torch.Tensor,
                labels: torch.Tensor) -> torch.Tensor:
        """Args:
            s_feature (Tensor): (B, D) student embedding.
            t_feature (Tensor): (B, D) teacher embedding.
            labels (Tensor): (B,) class indices.
        """
        s, rows_labels = self.rows(s_feature, labels)
        t, _ = self.rows(t_feature, labels)
        # the mean over the rows of every process (under DDP the ranks can
        # hold different numbers of pixels or positive anchors); 0 without
        # a row anywhere. Every rank takes part, with or without rows.
        terms = self.nd_terms(s, t, rows_labels)
        return self.loss_weight * global_mean_over_rows(terms)

    @torch.no_grad()
    def class_sums(self, t_feature: torch.Tensor, labels: torch.Tensor,
                   num_classes: int) -> Tuple[torch.Tensor, torch.Tensor]:
        """Per-class sums (num_classes, D) and counts (num_classes,) of the
        teacher's embeddings, float64 on the CPU: what the class-means tool
        accumulates over the training set (the same rows as the loss)."""
        rows, rows_labels = self.rows(t_feature, labels)
        rows, rows_labels = rows.double().cpu(), rows_labels.long().cpu()
        sums = torch.zeros(num_classes, rows.shape[1], dtype=torch.float64)
        sums.index_add_(0, rows_labels, rows)
        counts = torch.bincount(rows_labels, minlength=num_classes).double()
        return sums, counts
