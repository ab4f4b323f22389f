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
       teacher_positions: Optional[Sequence[dict]] = None,
       tokens: Optional[Union[str, dict]] = None,
       teacher_tokens: Optional[Union[str, dict]] = None,
       position_names: Optional[List[str]] = None,
       class_means_dir: Optional[str] = None, logits_source: str = 'head.fc',
       teacher_logits_source: Optional[str] = None,
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
        teacher_positions (Sequence[dict], optional): The teacher's
            embedding positions, same order, when its module paths differ
            (a transformer teacher of a CNN student: e.g. the class token
            ``position('backbone', 0)`` of mmpretrain's ViT/DeiT with
            ``out_type='cls_token'``, or the input of its classifier
            ``position('head.layers.head', type='ModuleInputRecorder')``).
            Defaults to ``positions``.
        tokens (str | dict, optional): The student's positions record
            (B, N, C) token sequences: ``'cls'`` (the class token) or
            ``'mean'`` (the mean token) makes one embedding per image of
            them (``TokenPoolConnector``; a dict gives its arguments, e.g.
            ``dict(mode='mean', num_extra_tokens=1)``). ``'image'`` rows
            only: ND's dense rows need maps. Defaults to None ((B, C)
            embeddings or (B, C, H, W) maps).
        teacher_tokens (str | dict, optional): The same for the teacher's
            positions. Defaults to ``tokens`` when ``teacher_positions`` is
            not given, else None.
        position_names (list[str], optional): Names of several positions.
            Defaults to ``0 .. N-1``.
        class_means_dir (str, optional): Folder of the class-means files
            (``<loss name>.pth``; shared by configs with the same teacher
            and positions). Defaults to the run's
            ``work_dir/class_means``.
        logits_source (str): Module whose output is the logits (KD).
        teacher_logits_source (str, optional): The teacher's, when its
            path differs (e.g. ``'head.layers.head'``, the classifier of
            mmpretrain's ``VisionTransformerClsHead``; ``'head'``, the
            averaged logits of ``DeiTClsHead``). Defaults to
            ``logits_source``. The labels always come from the student's
            data samples.
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
    if teacher_positions is None:
        teacher_positions = positions
        if teacher_tokens is None:
            teacher_tokens = tokens
    teacher_positions = list(teacher_positions)
    check_same_length('nd', positions=positions,
                      teacher_positions=teacher_positions)
    s_pool = _token_pool(tokens, rows, 'tokens')
    t_pool = _token_pool(teacher_tokens, rows, 'teacher_tokens')
    num = len(positions)
    s_widths = as_list(student_channels, num, 'student_channels', 'nd')
    t_widths = as_list(teacher_channels, num, 'teacher_channels', 'nd')
    names = [''] if num == 1 else [
        str(n) for n in (position_names or range(num))
    ]
    check_same_length('nd', positions=positions, position_names=names)
    recorder_names = [f'feat{n}' for n in names]
    s_recorders, s_reads = recorders_of(positions, recorder_names)
    t_recorders, t_reads = recorders_of(teacher_positions, recorder_names)

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
        s_connector = None
        if cs != ct:
            s_connector = transform
            connectors[transform] = dict(
                type='EmbeddingTransformConnector', in_channels=cs,
                out_channels=ct,
                **({} if rows == 'image' else dict(pool_maps=False)))
            if s_pool is not None:
                connectors[transform] = dict(
                    type='SequentialConnector',
                    connectors=[s_pool, connectors[transform]])
        elif s_pool is not None:
            s_connector = f'tokens{n}'
            connectors[s_connector] = s_pool
        t_connector = None
        if t_pool is not None:
            t_connector = f'teacher_tokens{n}'
            connectors[t_connector] = t_pool
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
        s_read = dict(from_student=True, **sr)
        if s_connector is not None:
            s_read['connector'] = s_connector
        t_read = dict(from_student=False, **tr)
        if t_connector is not None:
            t_read['connector'] = t_connector
        mappings[loss_name] = dict(s_feature=s_read, t_feature=t_read,
                                   labels=label_read)
    if kd is not None:
        kd = dict(kd)
        unknown = set(kd) - {'tau', 'weight', 'warmup', 'by_epoch'}
        if unknown or 'tau' not in kd or 'weight' not in kd:
            raise KeyError(
                f'nd: kd takes tau, weight (required), warmup and by_epoch; '
                f'got {sorted(kd)}.')
        s_recorders['logits'] = dict(type='ModuleOutputRecorder',
                                     source=logits_source)
        t_logits = teacher_logits_source or logits_source
        t_recorders['logits'] = dict(type='ModuleOutputRecorder',
                                     source=t_logits)
        losses['loss_kd'] = dict(type='KDLoss', tau=kd['tau'], t_square=True,
                                 loss_weight=kd['weight'])
        mappings['loss_kd'] = dict(
            s_logits=dict(from_student=True, recorder='logits'),
            t_logits=dict(from_student=False, recorder='logits'))
        if kd.get('warmup'):
            schedules['loss_kd'] = dict(loss_weight=dict(
                type='LinearRamp', start=0.0, length=kd['warmup'],
                by_epoch=kd.get('by_epoch', True)))
    blocks = dict(student_recorders=s_recorders, teacher_recorders=t_recorders,
                  connectors=connectors, distill_losses=losses,
                  loss_forward_mappings=mappings)
    if schedules:  # KD's warm-up
        blocks['schedules'] = schedules
    # ND: teacher in eval mode
    model = distiller(teacher=teacher, student=student,
                      teacher_ckpt=teacher_ckpt, teacher_norm_eval=True,
                      replace_base=replace_base, **blocks)
    return Method(model, list(hooks) + [dict(type='ClassMeansHook')])


def _token_pool(tokens: Optional[Union[str, dict]], rows: str,
                arg: str) -> Optional[dict]:
    """The ``TokenPoolConnector`` config of ``nd(tokens=...)`` (or
    ``teacher_tokens``), or None.

    Args:
        tokens (str | dict, optional): ``'cls'``, ``'mean'`` or the
            connector's arguments.
        rows (str): The preset's ``rows``.
        arg (str): The argument's name, for messages.
    """
    if tokens is None:
        return None
    if rows != 'image':
        raise ValueError(
            f"nd(rows={rows!r}) cannot read token positions ({arg}="
            f"{tokens!r}): ND's {rows} rows are the positions of a "
            f'(B, C, H, W) map, and a pooled or class token has none. Use '
            f"a map position (mmpretrain's VisionTransformer with "
            f"out_type='featmap'), or rows='image' for the class-token or "
            f'pooled embedding.')
    spec = dict(mode=tokens) if isinstance(tokens, str) else dict(tokens)
    if spec.get('mode', 'cls') not in ('cls', 'mean'):
        raise ValueError(
            f"nd: {arg} must be 'cls' (the class token), 'mean' (the mean "
            f"token) or TokenPoolConnector's arguments, got {tokens!r}.")
    return dict(type='TokenPoolConnector', **spec)
