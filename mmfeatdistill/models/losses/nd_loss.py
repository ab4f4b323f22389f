"""ND: regularising the student's feature direction and norm (Wang et al.,
ECCV 2024)."""
import os.path as osp
from typing import Optional, Union

import torch

from mmfeatdistill.registry import MODELS
from .base_distill_loss import BaseDistillLoss


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
    buffer takes the shape of a loaded state dict.

    Args:
        loss_weight (float): Defaults to 1.0.
        class_means (str | Tensor, optional): A class-means file or a
            (num_classes, D) tensor. A path that does not exist yet is
            filled by ``ClassMeansHook`` before training.
    """

    paired_args = (('s_feature', 't_feature'), )

    def __init__(self, loss_weight: float = 1.0,
                 class_means: Optional[Union[str, torch.Tensor]] = None
                 ) -> None:
        super().__init__(loss_weight)
        self.class_means_path = class_means if isinstance(
            class_means, str) else None
        self.register_buffer('class_means', torch.zeros(0, 0))
        if isinstance(class_means, torch.Tensor):
            self.set_class_means(class_means)
        elif self.class_means_path and osp.exists(self.class_means_path):
            from mmfeatdistill.utils.class_means import load_class_means
            self.set_class_means(load_class_means(self.class_means_path))

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

    def forward(self, s_feature: torch.Tensor, t_feature: torch.Tensor,
                labels: torch.Tensor) -> torch.Tensor:
        """Args:
            s_feature (Tensor): (B, D) student embedding.
            t_feature (Tensor): (B, D) teacher embedding.
            labels (Tensor): (B,) class indices.
        """
        if self.class_means.numel() == 0:
            raise RuntimeError(
                'NDLoss has no class means: run `python '
                'tools/compute_class_means.py CONFIG` or add '
                "dict(type='ClassMeansHook') to custom_hooks "
                f'(class_means={self.class_means_path!r}).')
        num_classes, dim = self.class_means.shape
        if s_feature.shape[1] != dim:
            raise ValueError(
                f'NDLoss: the student embedding has size {s_feature.shape[1]}'
                f' but the class means have size {dim}; map the student to '
                f'the teacher space (EmbeddingTransformConnector).')
        if labels.numel() and (labels.min() < 0 or
                               labels.max() >= num_classes):
            raise ValueError(
                f'NDLoss: labels must be in [0, {num_classes}), got '
                f'[{labels.min().item()}, {labels.max().item()}].')
        s = s_feature.float()
        t = t_feature.detach().float()
        centers = self.class_means.to(s.device)[labels.long()]
        direction = centers / centers.norm(dim=1, keepdim=True).clamp_min(
            1e-12)
        projection = (s * direction).sum(dim=1)
        denom = torch.maximum(s.norm(dim=1), t.norm(dim=1)).clamp_min(1e-12)
        return self.loss_weight * (1 - projection / denom).mean()
