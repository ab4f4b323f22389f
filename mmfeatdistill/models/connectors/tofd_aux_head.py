"""TOFD's auxiliary classifier heads (Zhang et al., NeurIPS 2020)."""
from typing import List, Optional, Tuple

import torch
import torch.nn.functional as F
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


def _last_width(module: nn.Module) -> Optional[int]:
    for sub in reversed(list(module.modules())):
        if isinstance(sub, nn.modules.batchnorm._BatchNorm):
            return sub.num_features
        if isinstance(sub, nn.Conv2d):
            return sub.out_channels
    return None


def out_channels_of(model: nn.Module, path: str, side: str) -> int:
    """Channels of a stage's output: its last BN's (or conv's) width, or,
    for a parameter-free module (e.g. VGG's ReLU after conv4_3 in a
    ``Sequential``), that of the last such layer before it."""
    module = get_submodule_or_explain(model, path, side)
    width = _last_width(module)
    parent_path, _, name = path.rpartition('.')
    if width is None and name.isdigit():
        parent = model.get_submodule(parent_path) if parent_path else model
        if isinstance(parent, nn.Sequential):
            for sibling in reversed(list(parent)[:int(name)]):
                width = _last_width(sibling)
                if width is not None:
                    break
    if width is None:
        raise ValueError(f'Cannot tell the output channels of {path!r}: it '
                         f'has no BatchNorm or Conv2d, nor does a layer '
                         f'before it in its Sequential.')
    return width


@MODELS.register_module()
class TOFDAuxHead(BaseConnector):
    """Auxiliary classifier on stage ``stage_index`` of an n-stage model.

    ``n - 1 - stage_index`` SepConv blocks (channels doubling, capped at and
    ending with the last stage's width), global average pooling and a
    linear classifier. The forward returns ``(feature, logits)`` (the pooled
    feature is the one TOFD distils) plus, for a student head with a link,
    ``link(feature)``: the feature-resizing ``Linear(D_s, D_t, bias=False)``
    whose weight the orthogonal loss reads (``link_weight``).

    Dense variant (``dense=True``, TOFD on segmentation): no pooling; the
    classifier and the link run at every position (1x1 convolutions with
    the ``Linear`` weights), so the head returns (B, D, h, w) features,
    (B, num_classes, h, w) per-pixel logits and the linked map. The blocks
    are the same stride-2 SepConvs (a stage-k head ends at the resolution
    of the last stage halved ``n - 1 - k`` times; student and teacher heads
    of a stage match).

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
        dense (bool): Per-position classifier and link, no pooling.
            Defaults to False.
    """

    def __init__(self, stages: List[str], stage_index: int,
                 num_classes: int, side: str = 'student',
                 link_to: Optional[str] = None,
                 from_teacher_ckpt: bool = False,
                 pretrained: Optional[str] = None,
                 head_key: Optional[str] = None,
                 dense: bool = False,
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
        self.dense = dense
        self.frozen = from_teacher_ckpt or pretrained is not None
        self.blocks: Optional[nn.Sequential] = None

    def prepare(self, student: nn.Module, teacher: nn.Module,
                teacher_ckpt: Optional[str] = None) -> None:
        model = student if self.side == 'student' else teacher
        widths = [out_channels_of(model, path, self.side)
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
            d_t = out_channels_of(teacher, self.link_to, 'teacher')
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
        if self.dense:
            mapped = self.blocks(feature)
            out = (mapped, F.conv2d(mapped, self.fc.weight[:, :, None, None],
                                    self.fc.bias))
            if hasattr(self, 'link'):
                out = out + (F.conv2d(mapped,
                                      self.link.weight[:, :, None, None]), )
            return out
        pooled = self.blocks(feature).mean(dim=(2, 3))
        out = (pooled, self.fc(pooled))
        if hasattr(self, 'link'):
            out = out + (self.link(pooled), )
        return out
