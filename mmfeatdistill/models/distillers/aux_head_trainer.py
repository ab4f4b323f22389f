"""Train auxiliary heads on a frozen, loaded model (TOFD's teacher heads)."""
from typing import Dict, List, Optional

import torch
from mmengine.model import BaseModel
from torch import nn

from mmfeatdistill.registry import MODELS
from mmfeatdistill.utils import (extract_state_dict, load_strict,
                                 read_checkpoint, resolve_model_cfg)
from ..recorders import RecorderManager


@MODELS.register_module()
class AuxHeadTrainer(BaseModel):
    """A frozen model (its checkpoint loaded strictly, eval mode, no
    gradients) plus trainable auxiliary heads on its stages, trained with
    the task loss: ``head_loss(logits, labels(data_samples))``, by default
    cross-entropy with the class labels; per-pixel cross-entropy with the
    label maps (``GTSegMapConnector``, dense heads) for segmentation,
    multi-label BCE with the image's object classes (``GTMultiHotConnector``)
    for detection.

    TOFD's authors never published how the teacher's auxiliary heads are
    trained; this is our documented step: ``tools/train_tofd_teacher_heads.py``
    trains this model and writes the teacher checkpoint with the heads
    added under ``tofd_teacher_heads`` (the teacher's own ``state_dict`` is
    unchanged, so the file still loads into the plain package).

    Validation and testing are the frozen model's own predictions.

    Args:
        model (dict): The teacher (model dict or ``cfg_path``).
        model_ckpt (str): Its weights (path or URL).
        stages (list[str]): Module paths of every stage.
        num_classes (int): Classes of the auxiliary classifiers.
        head (dict): Extra arguments of ``TOFDAuxHead``.
        labels (dict): Connector turning the data samples into the targets
            of ``head_loss``. Defaults to ``GTLabelConnector``.
        head_loss (dict): Loss of each head on ``(logits, labels)``.
            Defaults to ``LabelCrossEntropyLoss``.
        data_preprocessor (dict, optional): When the model has none.
    """

    def __init__(self, model: dict, model_ckpt: str, stages: List[str],
                 num_classes: int, head: Optional[dict] = None,
                 labels: Optional[dict] = None,
                 head_loss: Optional[dict] = None,
                 data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        self.model = MODELS.build(
            resolve_model_cfg(model, 'teacher', data_preprocessor))
        self.data_preprocessor = self.model.data_preprocessor
        self.model_ckpt = model_ckpt
        load_strict(self.model,
                    extract_state_dict(read_checkpoint(model_ckpt)),
                    model_ckpt)
        self.model.requires_grad_(False)
        self.recorders = RecorderManager({
            f'stage{k + 1}':
            dict(type='ModuleOutputRecorder', source=path)
            for k, path in enumerate(stages)
        })
        self.recorders.prepare(self.model, 'teacher')
        self.labels = MODELS.build(labels or dict(type='GTLabelConnector'))
        self.head_loss = MODELS.build(head_loss
                                      or dict(type='LabelCrossEntropyLoss'))
        self.heads = nn.ModuleDict()
        for k in range(len(stages)):
            head_cfg = dict(type='TOFDAuxHead', stages=stages, stage_index=k,
                            num_classes=num_classes, side='teacher',
                            **(head or {}))
            self.heads[f'stage{k + 1}'] = MODELS.build(head_cfg)
            self.heads[f'stage{k + 1}'].prepare(self.model, self.model)

    def init_weights(self) -> None:
        """Heads keep their construction init; the model its checkpoint."""

    def train(self, mode: bool = True) -> 'AuxHeadTrainer':
        super().train(mode)
        self.model.eval()
        return self

    def forward(self, inputs: torch.Tensor,
                data_samples: Optional[list] = None, mode: str = 'tensor'):
        if mode == 'loss':
            return self.loss(inputs, data_samples)
        return self.model(inputs, data_samples, mode=mode)

    def loss(self, inputs: torch.Tensor,
             data_samples: list) -> Dict[str, torch.Tensor]:
        with torch.no_grad(), self.recorders:
            self.model(inputs, data_samples, mode='tensor')
        labels = self.labels(data_samples).to(inputs.device)
        losses = {}
        for name, head in self.heads.items():
            logits = head(self.recorders.get(name))[1]
            losses[f'loss_aux_{name}'] = self.head_loss(logits, labels)
            if labels.dim() == 1:  # single-label classification
                losses[f'acc_aux_{name}'] = (
                    logits.argmax(1) == labels).float().mean().detach()
        return losses

    def teacher_checkpoint(self) -> dict:
        """The teacher's own weights plus the trained heads."""
        return dict(
            state_dict={
                k: v.detach().cpu()
                for k, v in self.model.state_dict().items()
            }, tofd_teacher_heads={
                name: {
                    k: v.detach().cpu()
                    for k, v in head.state_dict().items()
                }
                for name, head in self.heads.items()
            }, meta=dict(source_checkpoint=str(self.model_ckpt)))
