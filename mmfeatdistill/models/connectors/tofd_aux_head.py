"""TOFD's auxiliary classifier heads (Zhang et al., NeurIPS 2020)."""
from typing import List, Optional, Tuple

import torch
from torch import nn

from mmfeatdistill.registry import MODELS
from ..recorders import get_submodule_or_explain
from .base_connector import BaseConnector


def sep_conv(in_channels: int, out_channels: int) -> nn.Sequential:
    """TOFD's SepConv: depthwise 3x3 stride 2, 1x1, BN, ReLU, depthwise 3x3
    stride 1, 1x1, BN, ReLU."""
    return nn.Sequential(
        nn.Conv2d(in_channels, in_channels, 3, 2, 1, groups=in_channels,
                  bias=False),
        nn.Conv2d(in_channels, in_channels, 1, bias=False),
        nn.BatchNorm2d(in_channels), nn.ReLU(inplace=False),
        nn.Conv2d(in_channels, in_channels, 3, 1, 1, groups=in_channels,
                  bias=False),
        nn.Conv2d(in_channels, out_channels, 1, bias=False),
        nn.BatchNorm2d(out_channels), nn.ReLU(inplace=False))


def out_channels_of(module: nn.Module, path: str) -> int:
    """Channels of a stage's output: its last BN's (or conv's) width."""
    for sub in reversed(list(module.modules())):
        if isinstance(sub, nn.modules.batchnorm._BatchNorm):
            return sub.num_features
        if isinstance(sub, nn.Conv2d):
            return sub.out_channels
    raise ValueError(f'Cannot tell the output channels of {path!r}: it has '
                     f'no BatchNorm or Conv2d.')


@MODELS.register_module()
class TOFDAuxHead(BaseConnector):
    """Auxiliary classifier on stage ``stage_index`` of an n-stage model.

    ``n - 1 - stage_index`` SepConv blocks (channels doubling, capped at and
    ending with the last stage's width), global average pooling and a
    linear classifier. The forward returns ``(feature, logits)`` (the pooled
    feature is the one TOFD distils) plus, for a student head with a link,
    ``link(feature)``: the feature-resizing ``Linear(D_s, D_t, bias=False)``
    whose weight the orthogonal loss reads (``link_weight``).

    Channel widths are read from the model's stage modules when the
    distiller calls :meth:`prepare`, not written in the config.

    A teacher head (``from_teacher_ckpt=True``, or ``pretrained`` given)
    loads its trained weights from the ``tofd_teacher_heads`` entry of the
    teacher checkpoint written by ``tools/train_tofd_teacher_heads.py`` (by
    default the one the distiller loaded the teacher from, so
    ``--cfg-options model.teacher_ckpt=...`` covers both) and stays frozen
    in eval mode.

    Args:
        stages (list[str]): Module paths of every stage, in order.
        stage_index (int): 0-based stage this head sits on.
        num_classes (int): Classes of the auxiliary classifier.
        side (str): ``'student'`` or ``'teacher'``: which model's stages.
        link_to (str, optional): Teacher module whose output width is D_t;
            adds the link (student heads).
        from_teacher_ckpt (bool): Load trained weights from the distiller's
            teacher checkpoint. Defaults to False.
        pretrained (str, optional): Another checkpoint with trained heads.
        head_key (str, optional): Key of this head in that checkpoint.
            Defaults to ``f'stage{stage_index + 1}'``.
    """

    def __init__(self, stages: List[str], stage_index: int,
                 num_classes: int, side: str = 'student',
                 link_to: Optional[str] = None,
                 from_teacher_ckpt: bool = False,
                 pretrained: Optional[str] = None,
                 head_key: Optional[str] = None,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg)
        if side not in ('student', 'teacher'):
            raise ValueError(f"side must be 'student' or 'teacher', got "
                             f'{side!r}')
        if not 0 <= stage_index < len(stages):
            raise ValueError(f'stage_index {stage_index} is not an index of '
                             f'stages {stages}')
        self.stages = list(stages)
        self.stage_index = stage_index
        self.num_classes = num_classes
        self.side = side
        self.link_to = link_to
        self.pretrained = pretrained
        self.head_key = head_key or f'stage{stage_index + 1}'
        self.from_teacher_ckpt = from_teacher_ckpt
        self.frozen = from_teacher_ckpt or pretrained is not None
        self.blocks: Optional[nn.Sequential] = None

    def prepare(self, student: nn.Module, teacher: nn.Module,
                teacher_ckpt: Optional[str] = None) -> None:
        model = student if self.side == 'student' else teacher
        widths = [out_channels_of(
            get_submodule_or_explain(model, path, self.side), path)
            for path in self.stages]
        channels, final = widths[self.stage_index], widths[-1]
        blocks = []
        num_blocks = len(self.stages) - 1 - self.stage_index
        for i in range(num_blocks):
            out = final if i == num_blocks - 1 else min(2 * channels, final)
            blocks.append(sep_conv(channels, out))
            channels = out
        self.blocks = nn.Sequential(*blocks)
        self.feature_dim = channels
        self.fc = nn.Linear(channels, self.num_classes)
        if self.link_to is not None:
            d_t = out_channels_of(
                get_submodule_or_explain(teacher, self.link_to, 'teacher'),
                self.link_to)
            self.link = nn.Linear(channels, d_t, bias=False)
        if self.frozen:
            source = self.pretrained or teacher_ckpt
            if source is None:
                raise ValueError(
                    'TOFDAuxHead(from_teacher_ckpt=True) needs the '
                    'distiller to load a teacher_ckpt (with trained heads).')
            self._load_pretrained(source)
            self.requires_grad_(False)
            self.eval()

    def _load_pretrained(self, source: str) -> None:
        from mmfeatdistill.utils import read_checkpoint
        ckpt = read_checkpoint(source)
        heads = ckpt.get('tofd_teacher_heads', {}) if isinstance(
            ckpt, dict) else {}
        if self.head_key not in heads:
            raise RuntimeError(
                f'Teacher checkpoint {source} has no trained TOFD '
                f'auxiliary head {self.head_key!r} (has: '
                f'{sorted(heads) or "none"}). Train the teacher heads first: '
                f'`python tools/train_tofd_teacher_heads.py <heads config>`, '
                f'and use the checkpoint it writes as teacher_ckpt.')
        self.load_state_dict(heads[self.head_key])

    @property
    def link_weight(self) -> torch.Tensor:
        """Weight (D_t, D_s) of the feature-resizing link."""
        if not hasattr(self, 'link'):
            raise AttributeError('this head has no link (set link_to)')
        return self.link.weight

    def init_weights(self) -> None:
        """PyTorch's default init from :meth:`prepare`; a loaded teacher
        head keeps its weights."""

    def train(self, mode: bool = True) -> 'TOFDAuxHead':
        super().train(mode and not self.frozen)
        return self

    def forward(self, feature: torch.Tensor) -> Tuple[torch.Tensor, ...]:
        if self.blocks is None:
            raise RuntimeError('TOFDAuxHead.prepare() was not called')
        pooled = self.blocks(feature).mean(dim=(2, 3))
        out = (pooled, self.fc(pooled))
        if hasattr(self, 'link'):
            out = out + (self.link(pooled), )
        return out
