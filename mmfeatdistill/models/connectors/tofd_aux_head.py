"""TOFD's auxiliary classifier heads (Zhang et al., NeurIPS 2020)."""
from typing import List, Optional, Sequence, Tuple

import torch
from torch import nn

from mmfeatdistill.registry import MODELS
from mmfeatdistill.utils.checks import check_bool
from ..recorders import get_submodule_or_explain
from .base_connector import BaseConnector
from .utils import linear_map, pool_maps


def sep_conv(in_channels: int, out_channels: int,
             stride: int = 2) -> nn.Sequential:
    """TOFD's SepConv: depthwise 3x3 stride 2 (``stride``), 1x1, BN, ReLU,
    depthwise 3x3 stride 1, 1x1, BN, ReLU."""
    return nn.Sequential(
        nn.Conv2d(in_channels, in_channels, 3, stride, 1, groups=in_channels,
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

    Anchor variant (``num_anchors``, TOFD on anchor-based detection): the
    head classifies the anchors of the detection level its stage feeds,
    with the head's own classes plus the background, as an SSD head does.
    The SepConv blocks keep the stage's resolution (stride 1, so the map
    stays the level's grid; the same number of blocks and widths as
    above), and the classifier is a 1x1 convolution with
    ``A * (num_classes + 1)`` outputs at every position (A =
    ``num_anchors[stage_index]``), in mmdet's ``SSDHead`` layout (channel
    ``a * (num_classes + 1) + c``: anchor a of the position, class c, the
    background last). Feature and link are per position, as in the dense
    variant; the targets are the anchors' labels of the head's assignment
    (``AnchorLabelsConnector`` on the recorded ``bbox_head.get_targets``,
    or ``AnchorTargetsConnector`` on the data samples) and the loss
    ``AnchorCrossEntropyLoss``.

    The layers are built at construction when the widths are given
    (``stage_channels``, and ``link_channels`` for a link); otherwise they
    are read from the model's stage modules when the distiller calls
    :meth:`prepare` (which also checks given widths against the model).

    A teacher head (``from_teacher_ckpt=True``, or ``pretrained`` given)
    loads its trained weights from the ``tofd_teacher_heads`` entry of the
    teacher checkpoint written by ``tools/train_tofd_teacher_heads.py`` (by
    default the checkpoint the distiller loaded the teacher from, handed to
    :meth:`prepare`, so ``--cfg-options model.teacher_ckpt=...`` covers
    both) and stays frozen in eval mode.

    Args:
        stages (list[str]): Module paths of every stage, in order.
        stage_index (int): 0-based stage this head sits on.
        num_classes (int): Classes of the auxiliary classifier (anchor
            heads: the object classes, the background is added).
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
        stage_channels (Sequence[int], optional): Output widths of every
            stage of ``side``'s model (builds the layers at construction).
        link_channels (int, optional): D_t, the width of ``link_to``.
        num_anchors (Sequence[int], optional): Anchors per position of the
            detection level of every stage (one per stage, e.g. SSD300's
            ``[4, 6, 6, 6, 4, 4]``): per-anchor classifier, see above.
            Defaults to None (image-level or, with ``dense``, per-pixel
            classes).
    """

    def __init__(self, stages: List[str], stage_index: int, num_classes: int,
                 side: str = 'student', link_to: Optional[str] = None,
                 from_teacher_ckpt: bool = False,
                 pretrained: Optional[str] = None,
                 head_key: Optional[str] = None, dense: bool = False,
                 stage_channels: Optional[Sequence[int]] = None,
                 link_channels: Optional[int] = None,
                 num_anchors: Optional[Sequence[int]] = None,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg)
        if side not in ('student', 'teacher'):
            raise ValueError(f"side must be 'student' or 'teacher', got "
                             f'{side!r}')
        if not 0 <= stage_index < len(stages):
            raise ValueError(f'stage_index {stage_index} is not an index of '
                             f'stages {stages}')
        if stage_channels is not None and len(stage_channels) != len(stages):
            raise ValueError(
                f'TOFDAuxHead: stage_channels {list(stage_channels)} needs '
                f'one width per stage of {stages}.')
        if num_anchors is not None and (len(num_anchors) != len(stages) or any(
                isinstance(a, bool) or not isinstance(a, int) or a < 1
                for a in num_anchors)):
            raise ValueError(
                f'TOFDAuxHead: num_anchors {num_anchors!r} needs one '
                f'positive int per stage of {stages} (the anchors per '
                f'position of the detection level each stage feeds).')
        self.num_anchors = None if num_anchors is None else list(num_anchors)
        self.stages = list(stages)
        self.stage_index = stage_index
        self.num_classes = num_classes
        self.side = side
        self.link_to = link_to
        self.pretrained = pretrained
        self.head_key = head_key or f'stage{stage_index + 1}'
        self.from_teacher_ckpt = check_bool(
            from_teacher_ckpt, 'TOFDAuxHead(from_teacher_ckpt=...)')
        # the anchor classifier runs at every position of the level's map
        self.dense = check_bool(dense, 'TOFDAuxHead(dense=...)') or \
            self.num_anchors is not None
        self.frozen = from_teacher_ckpt or pretrained is not None
        self.widths: Optional[Tuple[List[int], Optional[int]]] = None
        self.blocks: Optional[nn.Sequential] = None
        if stage_channels is not None and (link_to is None
                                           or link_channels is not None):
            self._build(list(stage_channels), link_channels)

    def _build(self, widths: List[int], link_channels: Optional[int]) -> None:
        """The SepConv blocks, the classifier and the link."""
        self.widths = (list(widths), link_channels)
        channels, final = widths[self.stage_index], widths[-1]
        blocks = []
        num_blocks = len(self.stages) - 1 - self.stage_index
        # anchor heads keep the level's grid: stride-1 blocks
        stride = 2 if self.num_anchors is None else 1
        for i in range(num_blocks):
            out = final if i == num_blocks - 1 else min(2 * channels, final)
            blocks.append(sep_conv(channels, out, stride))
            channels = out
        self.blocks = nn.Sequential(*blocks)
        self.feature_dim = channels
        outputs = self.num_classes if self.num_anchors is None else \
            self.num_anchors[self.stage_index] * (self.num_classes + 1)
        self.fc = nn.Linear(channels, outputs)
        if self.link_to is not None:
            self.link = nn.Linear(channels, link_channels, bias=False)

    def prepare(self, student: nn.Module, teacher: nn.Module,
                teacher_checkpoint: Optional[dict] = None) -> None:
        """Build (or check) the layers from the model's stage widths and
        load a teacher head's trained weights."""
        model = student if self.side == 'student' else teacher
        widths = [
            out_channels_of(model, path, self.side) for path in self.stages
        ]
        link = None if self.link_to is None else out_channels_of(
            teacher, self.link_to, 'teacher')
        if self.widths is None:
            self._build(widths, link)
        elif self.widths != (widths, link):
            of_link = '' if link is None else (
                f' (the last of teacher_channels, {link}, is the link\'s)')
            raise ValueError(
                f'TOFDAuxHead on {self.side} stage {self.head_key}: '
                f'configured stage_channels {self.widths[0]} / '
                f'link_channels {self.widths[1]}, but the model\'s stages '
                f'have widths {widths} (link target {link}). Give the '
                f'tofd preset the models\' stage widths: '
                f'{self.side}_channels={widths}{of_link}, or leave '
                f'student_channels and teacher_channels out: the heads then '
                f'read them from the models.')
        if self.frozen:
            if self.pretrained is not None:
                from mmfeatdistill.utils import read_checkpoint
                source, checkpoint = self.pretrained, read_checkpoint(
                    self.pretrained)
            elif teacher_checkpoint is not None:
                source, checkpoint = 'the teacher checkpoint', \
                    teacher_checkpoint
            else:
                raise ValueError(
                    'TOFDAuxHead(from_teacher_ckpt=True) needs the '
                    'distiller to load a teacher_ckpt (with trained heads).')
            self._load_trained(source, checkpoint)
            self.requires_grad_(False)
            self.eval()

    def _load_trained(self, source: str, checkpoint: dict) -> None:
        heads = checkpoint.get('tofd_teacher_heads', {}) if isinstance(
            checkpoint, dict) else {}
        train = ('Train the teacher heads with this config\'s stages and '
                 'classes: `python tools/train_tofd_teacher_heads.py <heads '
                 'config>`, and use the checkpoint it writes as '
                 'teacher_ckpt.')
        if self.head_key not in heads:
            raise RuntimeError(
                f'{source} has no trained TOFD auxiliary head '
                f'{self.head_key!r} (has: {sorted(heads) or "none"}). ' +
                train)
        state = heads[self.head_key]
        own = self.state_dict()
        problems = sorted(set(own) ^ set(state)) or [
            f'{k}: file {tuple(v.shape)} vs head {tuple(own[k].shape)}'
            for k, v in state.items() if v.shape != own[k].shape
        ]
        if problems:
            classes = state.get('fc.weight')
            found = '' if classes is None else (
                f' (the file\'s head has {classes.shape[0]} classes, this '
                f'one {self.num_classes})')
            raise RuntimeError(
                f'The trained TOFD head {self.head_key!r} in {source} does '
                f'not fit this config\'s head{found}: '
                f'{"; ".join(map(str, problems[:6]))}. It was trained for '
                f'other stages or classes. ' + train)
        self.load_state_dict(state)

    @property
    def link_weight(self) -> torch.Tensor:
        """Weight (D_t, D_s) of the feature-resizing link."""
        if not hasattr(self, 'link'):
            raise AttributeError('this head has no link (set link_to)')
        return self.link.weight

    def init_weights(self) -> None:
        """PyTorch's default init at build time; a loaded teacher head
        keeps its weights."""

    def train(self, mode: bool = True) -> 'TOFDAuxHead':
        super().train(mode and not self.frozen)
        return self

    def forward(self, feature: torch.Tensor) -> Tuple[torch.Tensor, ...]:
        if self.blocks is None:
            raise RuntimeError(
                'TOFDAuxHead has no layers: give stage_channels (and '
                'link_channels) or let the distiller call prepare().')
        mapped = pool_maps(self.blocks(feature), not self.dense)
        out = (mapped, linear_map(self.fc, mapped))
        if hasattr(self, 'link'):
            out = out + (linear_map(self.link, mapped), )
        return out
