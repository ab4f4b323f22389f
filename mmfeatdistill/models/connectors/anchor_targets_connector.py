"""Anchor labels of an SSD-style head's assignment, computed from the
ground truth of the data samples."""
import math
from typing import List, Optional, Sequence

import torch

from mmfeatdistill.registry import MODELS
from .base_connector import BaseConnector
from .utils import detection_instances


@MODELS.register_module()
class AnchorTargetsConnector(BaseConnector):
    """Every anchor's class label as an anchor head's own assignment gives
    it (mmdet 3.x ``AnchorHead.get_targets`` with SSD's ``PseudoSampler``):
    the class of the ground-truth box a positive anchor is assigned to,
    ``num_classes`` (the background) for every other anchor.

    For models that do not run their head's loss (TOFD's teacher-heads
    step, ``AuxHeadTrainer``, runs the frozen detector in ``tensor`` mode);
    a distiller records the student head's own ``get_targets`` instead
    (``AnchorLabelsConnector``). Give it the head's ``anchor_generator``
    and ``train_cfg.assigner``: the labels then equal ``get_targets``'
    (tested on the scenes SSD). The level's map sizes are those of the
    padded batch input divided by the level's stride, rounded up (the
    size of every stride-2 convolution with padding; SSD300's levels
    38 .. 1). Anchors outside the valid region get the background, as in
    mmdet (where they also get zero weight; none exist when the maps
    cover the input, as in SSD).

    Record the samples with ``dict(type='MethodInputRecorder',
    source='bbox_head.loss', arg_index=1)`` in a distiller; an
    ``AuxHeadTrainer`` hands its data samples to its ``labels``.

    Args:
        anchor_generator (dict): The head's anchor generator (mmdet
            ``TASK_UTILS``, e.g. ``SSDAnchorGenerator``).
        assigner (dict): The head's assigner (``train_cfg.assigner``).
        num_classes (int): Object classes K; the background is K.
        level (int, optional): Return this level only, (B, h * w * A) in
            mmdet's anchor order. Defaults to None: every level, a nested
            tensor of (B, h, w, A) labels (``AnchorCrossEntropyLoss`` takes
            the level of its logits' map size).
        allowed_border (int): The head's ``train_cfg.allowed_border``:
            anchors further outside the image are not assigned (label K).
            Defaults to -1 (SSD: every valid anchor).
        field (str): Defaults to ``'gt_instances'``.
    """

    produces_targets = True

    def __init__(self, anchor_generator: dict, assigner: dict,
                 num_classes: int, level: Optional[int] = None,
                 allowed_border: int = -1,
                 field: str = 'gt_instances') -> None:
        super().__init__()
        from mmdet.registry import TASK_UTILS

        # mmdet's components, whatever the default scope of the run
        def build(cfg: dict):
            return TASK_UTILS.build(dict(dict(_scope_='mmdet'), **cfg))

        self.prior_generator = build(anchor_generator)
        self.assigner = build(assigner)
        self.num_classes = num_classes
        if level is not None and not 0 <= level < \
                self.prior_generator.num_levels:
            raise IndexError(
                f'AnchorTargetsConnector(level={level}): the anchor '
                f'generator has {self.prior_generator.num_levels} levels.')
        self.level = level
        self.allowed_border = allowed_border
        self.field = field

    def featmap_sizes(self, input_shape: Sequence[int]) -> List[tuple]:
        """(h, w) of every level for a padded batch input (H, W)."""
        height, width = input_shape[:2]
        return [(math.ceil(height / sh), math.ceil(width / sw))
                for sw, sh in self.prior_generator.strides]

    def forward(self, data_samples: Sequence) -> torch.Tensor:
        from mmdet.models.task_modules.prior_generators import \
            anchor_inside_flags
        from mmengine.structures import InstanceData
        if not len(data_samples):
            raise ValueError('AnchorTargetsConnector: no data samples.')
        meta = data_samples[0].metainfo
        sizes = self.featmap_sizes(
            meta.get('batch_input_shape', meta.get('pad_shape')))
        device = detection_instances(data_samples[0], 0,
                                     self.field).bboxes.device
        anchors = self.prior_generator.grid_priors(sizes, device=device)
        counts = [len(a) for a in anchors]
        anchors = torch.cat(anchors)
        rows = []
        for i, sample in enumerate(data_samples):
            gt = detection_instances(sample, i, self.field)
            valid = torch.cat(
                self.prior_generator.valid_flags(
                    sizes, sample.metainfo['pad_shape'][:2], device=device))
            inside = anchor_inside_flags(anchors, valid,
                                         sample.metainfo['img_shape'][:2],
                                         self.allowed_border)
            labels = anchors.new_full((len(anchors), ), self.num_classes,
                                      dtype=torch.long)
            ignored = sample.get('ignored_instances', None)
            result = self.assigner.assign(InstanceData(priors=anchors[inside]),
                                          gt, ignored)
            positive = result.gt_inds > 0
            inside_labels = labels[inside]
            inside_labels[positive] = gt.labels.to(device).long()[
                result.gt_inds[positive] - 1]
            labels[inside] = inside_labels
            rows.append(labels)
        labels = torch.stack(rows)
        levels = []
        for (h, w), part in zip(sizes, labels.split(counts, dim=1)):
            levels.append(part.reshape(len(rows), h, w, -1))
        if self.level is not None:
            return levels[self.level].flatten(1)
        return torch.nested.nested_tensor(levels)
