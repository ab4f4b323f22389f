"""ND (Wang et al., ECCV 2024) as a preset, with KD ("KD++")."""
import os.path as osp
from typing import List, Optional, Sequence, Union

from ._base import (Method, as_list, check_same_length, distiller, position,
                    recorders_of)

#: rows -> (loss type, labels connector, default positions)
_ROWS = {
    'image':
    ('NDLoss', dict(type='GTLabelConnector'), lambda: [position('neck', 0)]),
    'pixel': ('DenseNDLoss', dict(type='GTSegMapConnector'),
              lambda: [position('decode_head.sep_bottleneck')]),
    'anchor': ('AnchorNDLoss', None, None),
}


def nd(*, teacher: dict, student: dict, teacher_ckpt: Optional[str],
       student_channels: Union[int, Sequence[int]],
       teacher_channels: Union[int, Sequence[int]], nd_weight: float = 1.0,
       rows: str = 'image', kd: Optional[dict] = None,
       positions: Optional[Sequence[dict]] = None,
       position_names: Optional[List[str]] = None,
       class_means_dir: Optional[str] = None, logits_source: str = 'head.fc',
       samples_source: str = 'head.loss',
       targets_source: str = 'bbox_head.get_targets', ignore_index: int = 255,
       hooks: Sequence[dict] = (), replace_base: bool = False) -> Method:
    """ND's loss on the student's embedding against the teacher's class
    means, with KD on the logits when ``kd`` is given (KD++).

    The student's embedding is mapped to the teacher's width by
    ``EmbeddingTransformConnector`` (ND's BN-Dropout-Linear) where they
    differ. Teacher in eval mode. The class means are computed before
    training by ``ClassMeansHook`` (in the returned hooks), from the same
    recorders and connectors as the loss reads.

    ``rows`` says what one row of the loss is:

    * ``'image'`` (classification): the pooled embedding of an image,
      labels from the data samples (``GTLabelConnector``), ``NDLoss``;
    * ``'pixel'`` (segmentation): the decoder feature at every pixel,
      labels from the label maps (``GTSegMapConnector``), ``DenseNDLoss``
      (pixels labelled ``ignore_index`` skipped), the transform applied
      per position;
    * ``'anchor'`` (anchor-based detection): the neck's feature at every
      positive anchor of each level (``positions``: one per level), labels
      from the head's own assignment (``get_targets`` recorded,
      ``AnchorLabelsConnector`` per level), one ``AnchorNDLoss`` and one
      class-means file per level, ``nd_weight`` split over the levels.

    Args:
        teacher (dict): Teacher model config (or ``cfg_path`` spec).
        student (dict): Student model config (or ``cfg_path`` spec).
        teacher_ckpt (str): Teacher checkpoint, URL or local path.
        student_channels (int | Sequence[int]): Student embedding width
            (per position).
        teacher_channels (int | Sequence[int]): Teacher embedding width.
        nd_weight (float): ND weight (total). Defaults to 1.0.
        rows (str): ``'image'``, ``'pixel'`` or ``'anchor'``.
        kd (dict, optional): KD on the logits (``logits_source``):
            ``dict(tau=4.0, weight=1.0, warmup=20, by_epoch=True)``; the KD
            weight rises linearly over the first ``warmup`` epochs (or
            iterations), as KD++. None: ND alone.
        positions (Sequence[dict], optional): Recorder configs of the
            embedding (see :func:`mmfeatdistill.presets.position`).
            Defaults: ``'image'`` the neck's first output, ``'pixel'`` the
            DeepLabV3+ decoder feature; required for ``'anchor'``.
        position_names (list[str], optional): Names of several positions.
            Defaults to ``0 .. N-1``.
        class_means_dir (str, optional): Folder of the class-means files
            (``<loss name>.pth``; shared by configs with the same teacher
            and positions). Defaults to the run's
            ``work_dir/class_means``.
        logits_source (str): Module whose output is the logits (KD).
        samples_source (str): Method whose input 1 holds the data samples
            (labels of ``'image'`` and ``'pixel'`` rows).
        targets_source (str): The head method whose output holds the
            anchor labels (``'anchor'`` rows).
        ignore_index (int): Label skipped by ``'pixel'`` rows.
        hooks (Sequence[dict]): More hooks (the task's), first.
        replace_base (bool): See :func:`distiller`.

    Returns:
        Method: ``(model, custom_hooks)``.
    """
    if rows not in _ROWS:
        raise ValueError(f"nd: rows must be one of {sorted(_ROWS)}, got "
                         f'{rows!r}')
    loss_type, labels, default_positions = _ROWS[rows]
    if positions is None:
        if default_positions is None:
            raise ValueError("nd(rows='anchor') needs positions: one per "
                             'level of the neck, e.g. [position("neck", k) '
                             'for k in range(6)].')
        positions = default_positions()
    positions = list(positions)
    num = len(positions)
    s_widths = as_list(student_channels, num, 'student_channels', 'nd')
    t_widths = as_list(teacher_channels, num, 'teacher_channels', 'nd')
    names = [''] if num == 1 else [
        str(n) for n in (position_names or range(num))
    ]
    check_same_length('nd', positions=positions, position_names=names)
    recorder_names = [f'feat{n}' for n in names]
    s_recorders, s_reads = recorders_of(positions, recorder_names)
    t_recorders, t_reads = recorders_of(positions, recorder_names)

    connectors, losses, mappings, schedules = {}, {}, {}, {}
    if rows == 'anchor':
        s_recorders['targets'] = dict(type='MethodOutputRecorder',
                                      source=targets_source)
    else:
        s_recorders['samples'] = dict(type='MethodInputRecorder',
                                      source=samples_source, arg_index=1)
        connectors['labels'] = labels
    loss_args = dict(ignore_index=ignore_index) if rows == 'pixel' else {}
    for k, (n, cs, ct, sr,
            tr) in enumerate(zip(names, s_widths, t_widths, s_reads, t_reads)):
        loss_name = f'loss_nd{n}'
        transform = f'transform{n}'
        if cs != ct:
            connectors[transform] = dict(
                type='EmbeddingTransformConnector', in_channels=cs,
                out_channels=ct,
                **({} if rows == 'image' else dict(pool_maps=False)))
        if rows == 'anchor':
            connectors[f'labels{n}'] = dict(type='AnchorLabelsConnector',
                                            level=k)
            label_read = dict(from_student=True, recorder='targets',
                              connector=f'labels{n}')
        else:
            label_read = dict(from_student=True, recorder='samples',
                              connector='labels')
        losses[loss_name] = dict(
            type=loss_type, loss_weight=nd_weight / num, **loss_args,
            **({} if class_means_dir is None else dict(
                class_means=osp.join(class_means_dir, f'{loss_name}.pth'))))
        mappings[loss_name] = dict(
            s_feature=dict(from_student=True, **sr,
                           **(dict(connector=transform) if cs != ct else {})),
            t_feature=dict(from_student=False, **tr), labels=label_read)
    if kd is not None:
        kd = dict(kd)
        unknown = set(kd) - {'tau', 'weight', 'warmup', 'by_epoch'}
        if unknown or 'tau' not in kd or 'weight' not in kd:
            raise KeyError(
                f'nd: kd takes tau, weight (required), warmup and by_epoch; '
                f'got {sorted(kd)}.')
        s_recorders['logits'] = dict(type='ModuleOutputRecorder',
                                     source=logits_source)
        t_recorders['logits'] = dict(type='ModuleOutputRecorder',
                                     source=logits_source)
        losses['loss_kd'] = dict(type='KDLoss', tau=kd['tau'], t_square=True,
                                 loss_weight=kd['weight'])
        mappings['loss_kd'] = dict(
            s_logits=dict(from_student=True, recorder='logits'),
            t_logits=dict(from_student=False, recorder='logits'))
        if kd.get('warmup'):
            schedules['loss_kd'] = dict(loss_weight=dict(
                type='LinearRamp', start=0.0, length=kd['warmup'],
                by_epoch=kd.get('by_epoch', True)))
    model = distiller(
        teacher=teacher,
        student=student,
        teacher_ckpt=teacher_ckpt,
        teacher_norm_eval=True,  # ND: teacher in eval mode
        replace_base=replace_base,
        student_recorders=s_recorders,
        teacher_recorders=t_recorders,
        connectors=connectors,
        distill_losses=losses,
        loss_forward_mappings=mappings,
        **(dict(schedules=schedules) if schedules else {}),
    )
    return Method(model, list(hooks) + [dict(type='ClassMeansHook')])
